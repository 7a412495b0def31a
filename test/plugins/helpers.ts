/**
 * In-process harness for the extension host: a temp repo with extension sources, and the
 * registry the CLI would build for it (builtins plus discovered extensions).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataHandle, DataWriter, MethodContext } from "../../kernel/contract/ports/model-type.js";
import { readMarker } from "../../kernel/runtime/marker.js";
import { builtinRegistry } from "../../cli/builtins.js";
import { registerExtensions, type RegisterOutcome } from "../../plugins/extensions.js";
import type { PluginRegistry } from "../../kernel/runtime/registry.js";
import { writeSource } from "./fixtures.js";
import { createTestReads } from "../../sdk/testing/reads.js";

export interface TempRepo {
  dir: string;
  repo: string;
  cleanup(): Promise<void>;
}

/** A repo (marker only) holding `files` (relative path → source). */
export async function tempRepo(files: Record<string, string>, markerExtra = ""): Promise<TempRepo> {
  const dir = await mkdtemp(join(tmpdir(), "swamp-ext-"));
  const repo = join(dir, "repo");
  await writeSource(repo, ".swamp.yaml", `swampVersion: "0.1.0"\nrepoId: "${randomUUID()}"\n${markerExtra}`);
  for (const [rel, text] of Object.entries(files)) await writeSource(repo, rel, text);
  return { dir, repo, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function setMarker(repo: string, extra: string): Promise<void> {
  await writeFile(join(repo, ".swamp.yaml"), `swampVersion: "0.1.0"\nrepoId: "${randomUUID()}"\n${extra}`);
}

/** The registry a command would build for `repo`. */
export async function extensionRegistry(
  repo: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { force?: boolean } = {},
): Promise<{ registry: PluginRegistry; outcome: RegisterOutcome }> {
  const marker = await readMarker(repo);
  const registry = builtinRegistry();
  const outcome = await registerExtensions(registry, { repoDir: repo, marker, env }, options);
  return { registry, outcome };
}

/** Environment without the developer's SWAMP_* settings, plus `extra`. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SWAMP_")) env[k] = v;
  return { ...env, ...extra };
}

export interface RecordingContext {
  context: MethodContext;
  resources: Map<string, Record<string, unknown>>;
  files: Map<string, string>;
  logs: Array<[string, string]>;
  abort: AbortController;
}

let version = 0;

function handle(name: string, specName: string, kind: "resource" | "file", size: number): DataHandle {
  version++;
  return {
    name,
    specName,
    kind,
    dataId: randomUUID(),
    version,
    size,
    tags: {},
    metadata: {
      contentType: kind === "resource" ? "application/json" : "text/plain",
      lifetime: "infinite",
      garbageCollection: 5,
      tags: {},
      ownerDefinition: { ownerType: "model-method", ownerRef: "m" },
    },
  };
}

/** A MethodContext that records what a method does with it. */
export function recordingContext(method: string, globalArgs: Record<string, unknown> = {}): RecordingContext {
  const resources = new Map<string, Record<string, unknown>>();
  const files = new Map<string, string>();
  const logs: Array<[string, string]> = [];
  const abort = new AbortController();
  const context: MethodContext = {
    signal: abort.signal,
    repoDir: "/repo",
    modelType: "@test/greeter",
    modelId: "m-1",
    methodName: method,
    globalArgs,
    definition: { id: "m-1", name: "greeter", version: 1, tags: {} },
    logger: {
      debug: (m) => logs.push(["debug", m]),
      info: (m) => logs.push(["info", m]),
      warn: (m) => logs.push(["warn", m]),
      error: (m) => logs.push(["error", m]),
    },
    writeResource: async (spec, instance, data) => {
      resources.set(instance, data);
      return handle(instance, spec, "resource", JSON.stringify(data).length);
    },
    createFileWriter: (spec, instance): DataWriter => {
      let text = "";
      const done = () => {
        files.set(instance, text);
        return handle(instance, spec, "file", text.length);
      };
      return {
        dataId: randomUUID(),
        name: instance,
        writeAll: async (bytes) => {
          text += Buffer.from(bytes).toString("utf8");
          return done();
        },
        writeText: async (t) => {
          text += t;
          return done();
        },
        writeLine: async (line) => {
          text += `${line}\n`;
        },
        writeStream: async (stream) => {
          for await (const chunk of stream) text += Buffer.from(chunk).toString("utf8");
          return done();
        },
        getFilePath: async () => "/nowhere",
        finalize: async () => done(),
      };
    },
    readResource: async (instance) => resources.get(instance) ?? null,
    deleteResource: async (instance) => {
      resources.delete(instance);
    },
    ...createTestReads(),
  };
  return { context, resources, files, logs, abort };
}
