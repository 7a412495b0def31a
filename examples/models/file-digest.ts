/**
 * Example model type: records cryptographic digests of files in the repository.
 *
 *   swamp model create @examples/file-digest docs --global-arg root=docs
 *   swamp model method run docs hash --input path=README.md
 *   swamp model method run docs verify --input name=readme-md
 *   swamp data get docs readme-md --json
 *
 * It shows the parts of a model type: typed global arguments (`root`), a resource (`digest`,
 * JSON validated by its schema), a file (`listing`, written line by line), two methods whose
 * `args` are typed from their zod schemas, reading back what an earlier run wrote
 * (`readResource`), and a pre-flight check (`root-exists`) that stops mutating methods when
 * the configured directory is missing.
 *
 * Install: copy this file to `extensions/models/file-digest.ts`.
 */
import { z } from "npm:zod@4";
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { defineModel } from "@swamp-ts/sdk";

const Algorithm = z.enum(["sha256", "sha512", "sha1"]);

const DigestSchema = z.object({
  path: z.string().describe("File path relative to the repository"),
  algorithm: Algorithm,
  hex: z.string().regex(/^[0-9a-f]+$/),
  size: z.number().int().nonnegative(),
});

/** A data name for a path: `docs/READ ME.md` → `read-me-md`. */
function nameFor(path: string): string {
  const slug = basename(path).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return slug === "" || slug === "latest" ? "file" : slug;
}

/** `root/path` inside the repository, or an error for paths that leave it. */
function insideRepo(repoDir: string, root: string, path: string): string {
  const full = resolve(repoDir, root, path);
  const rel = relative(repoDir, full);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) throw new Error(`${path} is outside the repository`);
  return full;
}

async function digestOf(file: string, algorithm: z.infer<typeof Algorithm>): Promise<{ hex: string; size: number }> {
  const bytes = await readFile(file);
  return { hex: createHash(algorithm).update(bytes).digest("hex"), size: bytes.byteLength };
}

export const model = defineModel({
  type: "@examples/file-digest",
  version: "2026.01.15.1",
  description: "Records and verifies digests of files in the repository",
  globalArguments: z.object({
    root: z.string().default(".").describe("Directory the paths are relative to (inside the repository)"),
  }),
  resources: {
    digest: {
      description: "The digest of one file",
      schema: DigestSchema,
      lifetime: "infinite",
      garbageCollection: 10,
    },
  },
  files: {
    listing: {
      description: "sha256sum-style listing of what was hashed",
      contentType: "text/plain",
      lifetime: "30d",
      garbageCollection: 5,
    },
  },
  methods: {
    hash: {
      description: "Hashes a file and records its digest",
      kind: "create",
      arguments: z.object({
        path: z.string().min(1).describe("File to hash, relative to root"),
        algorithm: Algorithm.default("sha256"),
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).optional().describe("Data name (default: from the file name)"),
      }),
      execute: async (args, context) => {
        // args: { path: string; algorithm: "sha256" | "sha512" | "sha1"; name?: string }
        const file = insideRepo(context.repoDir, context.globalArgs.root, args.path);
        const { hex, size } = await digestOf(file, args.algorithm);
        const path = relative(context.repoDir, file).split("\\").join("/");
        const name = args.name ?? nameFor(path);
        context.logger.info("{path}: {algorithm} {hex}", { path, algorithm: args.algorithm, hex });

        const digest = await context.writeResource("digest", name, { path, algorithm: args.algorithm, hex, size });
        const writer = context.createFileWriter("listing", `${name}-listing`);
        await writer.writeLine(`${hex}  ${path}`);
        const listing = await writer.writeText(`# ${size} bytes, ${args.algorithm}, ${new Date().toISOString()}\n`);
        return { dataHandles: [digest, listing] };
      },
    },
    verify: {
      description: "Re-hashes a recorded file and fails when it changed",
      kind: "read",
      arguments: z.object({
        name: z.string().min(1).describe("Data name of the recorded digest"),
      }),
      execute: async (args, context) => {
        const recorded = DigestSchema.safeParse(await context.readResource(args.name));
        if (!recorded.success) throw new Error(`No digest recorded under '${args.name}': run hash first`);
        const { path, algorithm, hex } = recorded.data;
        const now = await digestOf(insideRepo(context.repoDir, ".", path), algorithm);
        if (now.hex !== hex) throw new Error(`${path} changed: ${algorithm} was ${hex}, is ${now.hex}`);
        context.logger.info(`${path} is unchanged`);
      },
    },
  },
  checks: {
    "root-exists": {
      description: "The root directory exists in the repository",
      labels: ["filesystem"],
      appliesTo: ["hash"],
      execute: async (context) => {
        const root = join(context.repoDir, context.globalArgs.root);
        const isDir = await stat(root).then((s) => s.isDirectory(), () => false);
        return isDir ? { pass: true } : { pass: false, errors: [`root '${context.globalArgs.root}' is not a directory in the repository`] };
      },
    },
  },
});
