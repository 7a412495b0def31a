/**
 * A single-use writer of one new version (the model-type port's DataWriter).
 *
 *   writeAll(bytes) / writeText(text)   whole content, written atomically
 *   writeLine(line)                     appends `line\n` to the claimed version's raw file
 *                                       (no in-memory buffer), hashed as it goes; finalize()
 *   writeStream(iterable, {onLine})     streams chunks to disk, reports complete lines, finalizes
 *   getFilePath()                       claims a version and returns its raw path for direct
 *                                       writes (a subprocess, say); finalize() hashes the file
 *                                       in chunks
 *
 * Until finalize() commits metadata.yaml, the claimed version is invisible to every reader.
 * abort() drops it. After commit or abort every method throws
 * `DataWriter "<name>" has already been finalized`.
 */
import { createHash } from "node:crypto";
import type { Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import type { DataHandle, DataWriter } from "../contract/ports/model-type.js";
import { SwampError } from "../contract/errors.js";
import { fsWriteError } from "../runtime/fs-errors.js";
import { DataErrorCode } from "./errors.js";
import { handleFor } from "./handle.js";
import type { Claim, DataRepository, PreparedWrite } from "./repository.js";

type WriterState = "idle" | "open" | "done";

export class FileDataWriter implements DataWriter {
  readonly dataId: string;
  readonly name: string;
  private readonly repo: DataRepository;
  private readonly prepared: PreparedWrite;
  private state: WriterState = "idle";
  private claimed: Claim | null = null;
  private fh: FileHandle | null = null;
  private hash: Hash | null = null;
  private size = 0;
  /** Someone else may have written the raw file: hash it from disk at finalize. */
  private external = false;
  private queue: Promise<unknown> = Promise.resolve();

  /** @internal Use DataRepository.createWriter(). */
  constructor(repo: DataRepository, prepared: PreparedWrite) {
    this.repo = repo;
    this.prepared = prepared;
    this.dataId = prepared.template.id;
    this.name = prepared.name;
  }

  /** The claimed version number, once a write started. */
  get version(): number | null {
    return this.claimed?.version ?? null;
  }

  private finalizedError(): SwampError {
    return new SwampError(DataErrorCode.writerState, `DataWriter "${this.name}" has already been finalized`);
  }

  /** Runs `fn` after every earlier call on this writer settled (calls need not be awaited). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async openClaim(): Promise<void> {
    if (this.state === "done") throw this.finalizedError();
    if (this.state === "open") return;
    const claim = await this.repo.claim(this.prepared);
    this.claimed = claim;
    try {
      this.fh = await open(claim.rawPath, "a");
    } catch (err) {
      await this.repo.abort(claim);
      this.state = "done";
      throw fsWriteError(err, claim.rawPath);
    }
    this.hash = createHash("sha256");
    this.state = "open";
  }

  private async append(bytes: Uint8Array): Promise<void> {
    const fh = this.fh as FileHandle;
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
      done += bytesWritten;
    }
    this.hash?.update(bytes);
    this.size += bytes.byteLength;
  }

  /**
   * Appends text without building a Buffer for it: the bytes are encoded for the write and
   * dropped with it (no garbage for the collector to find), which keeps a long stream of lines
   * in flat memory.
   */
  private async appendText(text: string): Promise<void> {
    const fh = this.fh as FileHandle;
    const size = Buffer.byteLength(text, "utf8");
    const { bytesWritten } = await fh.write(text, null, "utf8");
    if (bytesWritten < size) {
      const rest = Buffer.from(text, "utf8").subarray(bytesWritten);
      let done = 0;
      while (done < rest.byteLength) done += (await fh.write(rest, done, rest.byteLength - done)).bytesWritten;
    }
    this.hash?.update(text, "utf8");
    this.size += size;
  }

  private async failed(err: unknown): Promise<never> {
    const path = this.claimed?.rawPath;
    await this.dropClaim();
    throw fsWriteError(err, path);
  }

  private async dropClaim(): Promise<void> {
    this.state = "done";
    if (this.fh) {
      await this.fh.close().catch(() => {});
      this.fh = null;
    }
    if (this.claimed) await this.repo.abort(this.claimed);
  }

  writeAll(bytes: Uint8Array): Promise<DataHandle> {
    return this.serial(async () => {
      if (this.state === "done") throw this.finalizedError();
      if (this.state === "open") {
        // Content already started (writeLine/getFilePath): treat as the final chunk.
        try {
          await this.append(bytes);
        } catch (err) {
          return this.failed(err);
        }
        return this.finalizeNow();
      }
      this.state = "done";
      const meta = await this.repo.save(this.specForSave(), bytes);
      return handleFor(meta, this.prepared.specName);
    });
  }

  writeText(text: string): Promise<DataHandle> {
    return this.writeAll(Buffer.from(text, "utf8"));
  }

  writeLine(line: string): Promise<void> {
    return this.serial(async () => {
      await this.openClaim();
      try {
        await this.appendText(line + "\n");
      } catch (err) {
        await this.failed(err);
      }
    });
  }

  writeStream(stream: AsyncIterable<Uint8Array | string>, options: { onLine?(line: string): void } = {}): Promise<DataHandle> {
    return this.serial(async () => {
      await this.openClaim();
      const onLine = options.onLine;
      const decoder = onLine ? new TextDecoder() : null;
      let pending = "";
      const emit = (text: string) => {
        if (!onLine) return;
        pending += text;
        let nl = pending.indexOf("\n");
        while (nl >= 0) {
          onLine(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
          nl = pending.indexOf("\n");
        }
      };
      try {
        for await (const chunk of stream) {
          const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
          await this.append(bytes);
          if (decoder) emit(decoder.decode(bytes, { stream: true }));
        }
        if (decoder) emit(decoder.decode());
        if (onLine && pending.length > 0) onLine(pending);
      } catch (err) {
        return this.failed(err);
      }
      return this.finalizeNow();
    });
  }

  getFilePath(): Promise<string> {
    return this.serial(async () => {
      await this.openClaim();
      this.external = true;
      return (this.claimed as Claim).rawPath;
    });
  }

  finalize(): Promise<DataHandle> {
    return this.serial(async () => {
      if (this.state === "done") throw this.finalizedError();
      if (this.state === "idle") {
        throw new SwampError(DataErrorCode.writerState, `DataWriter "${this.name}" has not been used — nothing to finalize`);
      }
      return this.finalizeNow();
    });
  }

  /** Drops the claimed version without committing it (nothing becomes visible). */
  abort(): Promise<void> {
    return this.serial(async () => {
      if (this.state === "done") return;
      await this.dropClaim();
    });
  }

  private async finalizeNow(): Promise<DataHandle> {
    const claim = this.claimed as Claim;
    let size = this.size;
    let checksum: string;
    try {
      const fh = this.fh as FileHandle;
      await fh.sync();
      await fh.close();
      this.fh = null;
      if (this.external) {
        ({ size, checksum } = await hashFile(claim.rawPath));
        const again = await open(claim.rawPath, "r+");
        try {
          await again.sync();
        } finally {
          await again.close();
        }
      } else checksum = (this.hash as Hash).digest("hex");
    } catch (err) {
      return this.failed(err);
    }
    this.state = "done";
    try {
      const meta = await this.repo.commit(this.prepared, claim, { size, checksum });
      return handleFor(meta, this.prepared.specName);
    } catch (err) {
      await this.repo.abort(claim);
      throw err;
    }
  }

  private specForSave() {
    const t = this.prepared.template;
    return {
      modelType: this.prepared.type,
      modelId: this.prepared.modelId,
      name: this.prepared.name,
      contentType: t.contentType,
      lifetime: t.lifetime,
      garbageCollection: t.garbageCollection,
      streaming: t.streaming,
      tags: t.tags,
      ownerDefinition: t.ownerDefinition,
      specName: this.prepared.specName,
      dataId: t.id,
    };
  }
}

/** Size and sha256 of a file, read in chunks. */
export async function hashFile(path: string): Promise<{ size: number; checksum: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { size, checksum: hash.digest("hex") };
}
