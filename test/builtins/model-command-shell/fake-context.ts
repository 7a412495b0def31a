/**
 * An in-memory MethodContext for testing model types without a repository: resources are kept
 * in memory, file writers write to a temp directory (so large output stays out of memory), and
 * every call is recorded. Writer semantics follow the port: writeLine appends `line\n`,
 * writeAll/writeText after writeLine append the final chunk and finalize, abort drops the file.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestReads } from "../../../sdk/testing/reads.js";
import type {
  DataHandle,
  DataWriter,
  MethodContext,
  MethodLogger,
  WriteOverrides,
} from "../../../kernel/contract/index.js";

export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  /** performance.now() when it was logged. */
  at: number;
}

export interface ResourceWrite {
  specName: string;
  instanceName: string;
  data: Record<string, unknown>;
  overrides?: WriteOverrides;
  handle: DataHandle;
}

export interface FakeContextOptions {
  signal?: AbortSignal;
  secretEnv?: Record<string, string>;
  redact?(text: string): string;
  /** Keep at most this many log entries (all are counted). Default 10 000. */
  maxLogEntries?: number;
  /** Makes the Nth writeLine call (1-based) of every writer fail. */
  failWriteLineAt?: number;
  modelType?: string;
  definitionName?: string;
}

function makeHandle(
  kind: "resource" | "file",
  specName: string,
  name: string,
  version: number,
  size: number,
  contentType: string,
  attributes?: Record<string, unknown>,
): DataHandle {
  const handle: DataHandle = {
    name,
    specName,
    kind,
    dataId: randomUUID(),
    version,
    size,
    tags: { type: kind, specName },
    metadata: {
      contentType,
      lifetime: "infinite",
      garbageCollection: 10,
      tags: { type: kind, specName },
      ownerDefinition: { ownerType: "model-method", ownerRef: "fake-model-id" },
    },
  };
  if (attributes) handle.attributes = attributes;
  return handle;
}

export class FakeWriter implements DataWriter {
  readonly dataId = randomUUID();
  readonly calls: string[] = [];
  writeLineCalls = 0;
  state: "idle" | "open" | "finalized" | "aborted" = "idle";
  handle: DataHandle | null = null;
  size = 0;
  private fh: FileHandle | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly specName: string,
    readonly name: string,
    readonly path: string,
    private readonly nextVersion: () => number,
    readonly contentType: string,
    private readonly failWriteLineAt?: number,
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private ensureUsable(): void {
    if (this.state === "finalized" || this.state === "aborted") {
      throw new Error(`DataWriter "${this.name}" has already been finalized`);
    }
  }

  private async openFile(): Promise<FileHandle> {
    this.ensureUsable();
    if (!this.fh) {
      this.fh = await open(this.path, "a");
      this.state = "open";
    }
    return this.fh;
  }

  private async append(bytes: Uint8Array): Promise<void> {
    const fh = await this.openFile();
    await fh.write(bytes);
    this.size += bytes.byteLength;
  }

  private async commit(): Promise<DataHandle> {
    if (this.fh) {
      await this.fh.close();
      this.fh = null;
    }
    this.state = "finalized";
    this.handle = makeHandle("file", this.specName, this.name, this.nextVersion(), this.size, this.contentType);
    return this.handle;
  }

  writeAll(bytes: Uint8Array): Promise<DataHandle> {
    this.calls.push("writeAll");
    return this.serial(async () => {
      await this.append(bytes);
      return this.commit();
    });
  }

  writeText(text: string): Promise<DataHandle> {
    this.calls.push("writeText");
    return this.serial(async () => {
      await this.append(Buffer.from(text, "utf8"));
      return this.commit();
    });
  }

  writeLine(line: string): Promise<void> {
    this.writeLineCalls++;
    if (this.writeLineCalls === this.failWriteLineAt) return Promise.reject(new Error("disk full (fake)"));
    if (this.calls[this.calls.length - 1] !== "writeLine") this.calls.push("writeLine");
    return this.serial(() => this.append(Buffer.from(line + "\n", "utf8")));
  }

  writeStream(stream: AsyncIterable<Uint8Array>, options: { onLine?(line: string): void } = {}): Promise<DataHandle> {
    this.calls.push("writeStream");
    return this.serial(async () => {
      let pending = "";
      for await (const chunk of stream) {
        await this.append(chunk);
        if (options.onLine) {
          pending += Buffer.from(chunk).toString("utf8");
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          lines.forEach((l) => options.onLine?.(l));
        }
      }
      if (options.onLine && pending) options.onLine(pending);
      return this.commit();
    });
  }

  getFilePath(): Promise<string> {
    this.calls.push("getFilePath");
    return this.serial(async () => {
      await this.openFile();
      return this.path;
    });
  }

  finalize(): Promise<DataHandle> {
    this.calls.push("finalize");
    return this.serial(async () => {
      this.ensureUsable();
      if (this.state === "idle") throw new Error(`DataWriter "${this.name}" has not been used — nothing to finalize`);
      return this.commit();
    });
  }

  abort(): Promise<void> {
    this.calls.push("abort");
    return this.serial(async () => {
      if (this.state === "finalized" || this.state === "aborted") return;
      if (this.fh) {
        await this.fh.close();
        this.fh = null;
      }
      await rm(this.path, { force: true });
      this.state = "aborted";
    });
  }

  /** The committed (or in-progress) content. */
  content(): string {
    return readFileSync(this.path, "utf8");
  }
}

export class FakeMethodContext implements MethodContext {
  readonly signal: AbortSignal;
  readonly repoDir: string;
  readonly modelType: string;
  readonly modelId = "00000000-0000-4000-8000-000000000001";
  readonly methodName = "execute";
  readonly globalArgs: Record<string, unknown> = {};
  readonly definition: MethodContext["definition"];
  readonly logger: MethodLogger;
  readonly secretEnv?: Record<string, string>;
  readonly redact?: (text: string) => string;
  readonly dataRepository: MethodContext["dataRepository"];
  readonly definitionRepository: MethodContext["definitionRepository"];
  readonly queryData: MethodContext["queryData"];
  readonly createCelEnvironment: MethodContext["createCelEnvironment"];

  readonly logs: LogEntry[] = [];
  readonly logCounts = { debug: 0, info: 0, warn: 0, error: 0 };
  readonly resources: ResourceWrite[] = [];
  readonly writers: FakeWriter[] = [];
  readonly dir: string;
  private readonly versions = new Map<string, number>();
  private readonly failWriteLineAt: number | undefined;

  constructor(options: FakeContextOptions = {}) {
    const reads = createTestReads();
    this.dataRepository = reads.dataRepository;
    this.definitionRepository = reads.definitionRepository;
    this.queryData = reads.queryData;
    this.createCelEnvironment = reads.createCelEnvironment;
    this.dir = mkdtempSync(join(tmpdir(), "swamp-fake-ctx-"));
    this.repoDir = this.dir;
    this.signal = options.signal ?? new AbortController().signal;
    this.modelType = options.modelType ?? "command/shell";
    this.definition = { id: this.modelId, name: options.definitionName ?? "fake", version: 1, tags: {} };
    if (options.secretEnv) this.secretEnv = options.secretEnv;
    if (options.redact) this.redact = options.redact;
    this.failWriteLineAt = options.failWriteLineAt;
    const max = options.maxLogEntries ?? 10_000;
    const record = (level: LogEntry["level"]) => (message: string) => {
      this.logCounts[level]++;
      if (this.logs.length < max) this.logs.push({ level, message, at: performance.now() });
    };
    this.logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
  }

  private nextVersion(name: string): number {
    const v = (this.versions.get(name) ?? 0) + 1;
    this.versions.set(name, v);
    return v;
  }

  async writeResource(
    specName: string,
    instanceName: string,
    data: Record<string, unknown>,
    overrides?: WriteOverrides,
  ): Promise<DataHandle> {
    const size = Buffer.byteLength(JSON.stringify(data), "utf8");
    const handle = makeHandle("resource", specName, instanceName, this.nextVersion(instanceName), size, "application/json", data);
    const write: ResourceWrite = { specName, instanceName, data, handle };
    if (overrides) write.overrides = overrides;
    this.resources.push(write);
    return handle;
  }

  createFileWriter(specName: string, instanceName: string, overrides?: WriteOverrides & { contentType?: string }): FakeWriter {
    const writer = new FakeWriter(
      specName,
      instanceName,
      join(this.dir, `${specName}-${instanceName}-${this.writers.length}`),
      () => this.nextVersion(instanceName),
      overrides?.contentType ?? "text/plain",
      this.failWriteLineAt,
    );
    this.writers.push(writer);
    return writer;
  }

  async readResource(): Promise<Record<string, unknown> | null> {
    return null;
  }

  async deleteResource(): Promise<void> {}

  lines(level: LogEntry["level"]): string[] {
    return this.logs.filter((l) => l.level === level).map((l) => l.message);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
