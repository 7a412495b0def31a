/**
 * The S3 transport every part of the datastore uses: one AWS SDK v3 client, loaded on first use
 * (dynamic import, so commands that never touch S3 never pay for the SDK), with
 *
 *  - a hard per-request deadline (`requestTimeoutMs`, or SWAMP_S3_REQUEST_TIMEOUT_MS) that
 *    covers the whole exchange including the body, combined with the caller's AbortSignal;
 *  - our own retries (the SDK's are off): up to 4 attempts with jittered exponential backoff
 *    (200 ms, 600 ms, 1.8 s, ±25 %) for 429, 5xx, timeouts and transport errors only — never for
 *    other 4xx, never for failed preconditions, never after the caller aborted;
 *  - the raw error body captured (first 64 KiB) so messages carry the server's real reason
 *    instead of "UnknownError", and the server's `Date` header exposed (lock staleness is
 *    judged on the server's clock);
 *  - SDK checksums only where required: the default CRC32 trailers of newer SDKs break many
 *    S3-compatible stores and add nothing over the ETag/sha256 checks we do ourselves.
 *
 * Credentials come from the SDK's default chain and are never logged.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, SwampError } from "../../kernel/contract/errors.js";
import { retry } from "../../kernel/contract/retry.js";
import type { ResolvedS3Config } from "./config.js";
import { importModule } from "../../kernel/contract/import-module.js";
import { isNotFound, isNotModified, isPreconditionFailure, isRetryable, s3Failure } from "./errors.js";

type SdkModule = typeof import("@aws-sdk/client-s3");

let sdkPromise: Promise<SdkModule> | undefined;
/**
 * Loads @aws-sdk/client-s3 once per process. It is an optional dependency (only S3 needs it):
 * when it is not installed, every S3 operation fails with one line saying what to install.
 */
export function loadSdk(): Promise<SdkModule> {
  // The SDK warns on every process about its future Node requirement; swamp supports Node 20
  // and the warning would only clutter command output. An explicit setting is respected.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  sdkPromise ??= importModule<SdkModule>("@aws-sdk/client-s3").catch((err: unknown) => {
    sdkPromise = undefined;
    if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND" || !String((err as Error).message).includes("@aws-sdk/client-s3")) throw err;
    throw new SwampError(
      ErrorCode.s3SdkMissing,
      "The S3 datastore needs the AWS SDK, which is not installed: run 'npm install -g @aws-sdk/client-s3' " +
        "(or 'npm install @aws-sdk/client-s3' where swamp is installed)",
    );
  });
  return sdkPromise;
}

export const MAX_ATTEMPTS = 4;
const BASE_DELAY_MS = 200;
const ERROR_BODY_LIMIT = 64 * 1024;

/** A conditional request whose precondition did not hold (412, 409, or 404 under If-Match). */
export class PreconditionFailedError extends Error {
  readonly code = "s3_precondition_failed";
  constructor(
    readonly key: string,
    readonly status: number | undefined,
  ) {
    super(`precondition failed for ${key}`);
    this.name = "PreconditionFailedError";
  }
}

export interface ObjectInfo {
  etag: string;
  size: number;
  lastModified?: Date;
  /** The server's clock at response time (HTTP Date header). */
  serverDate?: Date;
  metadata: Record<string, string>;
}

export interface GetResult extends ObjectInfo {
  body: Buffer;
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified?: Date;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface PutOptions extends RequestOptions {
  ifMatch?: string;
  ifNoneMatch?: "*";
  metadata?: Record<string, string>;
  contentType?: string;
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  return err;
}

/** Reads a stream fully (bounded by `limit` bytes when given). */
async function readStream(stream: Readable, limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    if (size + buf.length > limit) {
      chunks.push(buf.subarray(0, limit - size));
      stream.destroy();
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  return Buffer.concat(chunks);
}

function headerDate(headers: Record<string, string> | undefined): Date | undefined {
  const raw = headers?.date ?? headers?.Date;
  if (!raw) return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function headersOf(output: unknown): Record<string, string> | undefined {
  return (output as { $swampHeaders?: Record<string, string> } | undefined)?.$swampHeaders;
}

export class S3Transport {
  readonly config: ResolvedS3Config;
  /** What this server turned out not to support (learnt from its answers). */
  readonly capabilities = { conditionalDeleteRejected: false };
  private clientPromise: Promise<S3Client> | undefined;

  constructor(config: ResolvedS3Config) {
    this.config = config;
  }

  /** The object key of a cache-relative (or internal) path: `<prefix><rel>`. */
  key(rel: string): string {
    return this.config.prefix + rel;
  }

  private client(): Promise<S3Client> {
    this.clientPromise ??= (async () => {
      const sdk = await loadSdk();
      const c = this.config;
      const client = new sdk.S3Client({
        region: c.region,
        ...(c.endpoint ? { endpoint: c.endpoint } : {}),
        forcePathStyle: c.forcePathStyle,
        maxAttempts: 1,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        requestHandler: {
          requestTimeout: c.requestTimeoutMs,
          connectionTimeout: Math.min(c.requestTimeoutMs, 10_000),
          // The SDK's agent allows 50 sockets: a higher configured concurrency would only queue
          // (and warn on stderr) without this.
          httpAgent: { maxSockets: Math.max(c.pullConcurrency, c.pushConcurrency) },
          httpsAgent: { maxSockets: Math.max(c.pullConcurrency, c.pushConcurrency) },
        },
      });
      // Outside the deserializer: expose response headers; attach the captured error body.
      client.middlewareStack.add(
        (next, context) => async (args) => {
          try {
            const out = await next(args);
            const headers = (out.response as { headers?: Record<string, string> } | undefined)?.headers;
            if (headers && out.output && typeof out.output === "object") {
              Object.defineProperty(out.output, "$swampHeaders", { value: headers, enumerable: false });
            }
            return out;
          } catch (err) {
            const body = (context as { swampErrorBody?: string }).swampErrorBody;
            if (body !== undefined && err && typeof err === "object") (err as { swampBody?: string }).swampBody = body;
            throw err;
          }
        },
        { step: "deserialize", priority: "high", name: "swampCaptureHeaders" },
      );
      // Inside the deserializer: buffer error bodies so the SDK can still parse them.
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const out = await next(args);
          const res = out.response as { statusCode?: number; body?: unknown } | undefined;
          if (res && (res.statusCode ?? 200) >= 300 && res.body && typeof (res.body as Readable).pipe === "function") {
            const buf = await readStream(res.body as Readable, ERROR_BODY_LIMIT);
            (context as { swampErrorBody?: string }).swampErrorBody = buf.toString("utf8");
            res.body = Readable.from([buf]);
          }
          return out;
        },
        { step: "deserialize", priority: "low", name: "swampCaptureErrorBody" },
      );
      return client;
    })();
    return this.clientPromise;
  }

  /**
   * Runs one request with the per-request deadline and our retry policy. `attempt` gets a
   * signal that fires on the caller's abort or on the deadline.
   */
  async request<T>(operation: string, signal: AbortSignal | undefined, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const once = async (): Promise<T> => {
      const deadline = AbortSignal.timeout(this.config.requestTimeoutMs);
      try {
        return await attempt(signal ? AbortSignal.any([signal, deadline]) : deadline);
      } catch (err) {
        if (!deadline.aborted || signal?.aborted) throw err;
        const timeout = new Error(`request timed out after ${this.config.requestTimeoutMs}ms`);
        timeout.name = "TimeoutError";
        throw timeout;
      }
    };
    return retry(once, { attempts: MAX_ATTEMPTS, baseMs: BASE_DELAY_MS, factor: 3, retryable: isRetryable, ...(signal ? { signal } : {}) });
  }

  private fail(operation: string, err: unknown): Error {
    if (err instanceof PreconditionFailedError) return err;
    if ((err as { name?: string })?.name === "AbortError") return err as Error;
    return s3Failure(operation, err, this.config);
  }

  /** GET an object into memory. null when missing; "not-modified" when `ifNoneMatch` matched. */
  async get(key: string, options: RequestOptions & { ifNoneMatch?: string } = {}): Promise<GetResult | null | "not-modified"> {
    const sdk = await loadSdk();
    const client = await this.client();
    try {
      return await this.request("GetObject", options.signal, async (signal) => {
        const out = await client.send(
          new sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: key, ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}) }),
          { abortSignal: signal },
        );
        const body = out.Body ? await readStream(out.Body as Readable) : Buffer.alloc(0);
        const serverDate = headerDate(headersOf(out));
        return {
          body,
          etag: out.ETag ?? "",
          size: body.length,
          ...(out.LastModified ? { lastModified: out.LastModified } : {}),
          ...(serverDate ? { serverDate } : {}),
          metadata: out.Metadata ?? {},
        };
      });
    } catch (err) {
      if (isNotModified(err)) return "not-modified";
      if (isNotFound(err)) return null;
      throw this.fail(`GetObject ${key}`, err);
    }
  }

  /**
   * Streams an object into an open temp file while hashing it (sha256). Returns null when the
   * object is missing. The caller renames the temp file into place.
   */
  async download(key: string, tempPath: string, options: RequestOptions = {}): Promise<{ etag: string; sha256: string; size: number } | null> {
    const sdk = await loadSdk();
    const client = await this.client();
    try {
      return await this.request("GetObject", options.signal, async (signal) => {
        const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
        const hash = createHash("sha256");
        const handle = await open(tempPath, "w", 0o644);
        let size = 0;
        try {
          const body = out.Body as Readable | undefined;
          if (body) {
            const onAbort = () => body.destroy(abortError(signal));
            signal.addEventListener("abort", onAbort, { once: true });
            try {
              for await (const chunk of body) {
                const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
                hash.update(buf);
                size += buf.length;
                await handle.write(buf);
              }
            } finally {
              signal.removeEventListener("abort", onAbort);
            }
          }
          await handle.sync();
        } finally {
          await handle.close();
        }
        return { etag: out.ETag ?? "", sha256: hash.digest("hex"), size };
      });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail(`GetObject ${key}`, err);
    }
  }

  /** HEAD an object; null when missing. */
  async head(key: string, options: RequestOptions = {}): Promise<ObjectInfo | null> {
    const sdk = await loadSdk();
    const client = await this.client();
    try {
      return await this.request("HeadObject", options.signal, async (signal) => {
        const out = await client.send(new sdk.HeadObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
        const serverDate = headerDate(headersOf(out));
        return {
          etag: out.ETag ?? "",
          size: out.ContentLength ?? 0,
          ...(out.LastModified ? { lastModified: out.LastModified } : {}),
          ...(serverDate ? { serverDate } : {}),
          metadata: out.Metadata ?? {},
        };
      });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail(`HeadObject ${key}`, err);
    }
  }

  /**
   * PUT an object (a buffer, or a file streamed from disk). Conditional puts throw
   * PreconditionFailedError when the precondition does not hold.
   */
  async put(key: string, body: Buffer | { file: string; size: number }, options: PutOptions = {}): Promise<{ etag: string }> {
    const sdk = await loadSdk();
    const client = await this.client();
    try {
      return await this.request("PutObject", options.signal, async (signal) => {
        const payload = Buffer.isBuffer(body) ? body : createReadStream(body.file);
        const out = await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.config.bucket,
            Key: key,
            Body: payload,
            ContentLength: Buffer.isBuffer(body) ? body.length : body.size,
            ...(options.contentType ? { ContentType: options.contentType } : {}),
            ...(options.metadata ? { Metadata: options.metadata } : {}),
            ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
            ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
          }),
          { abortSignal: signal },
        );
        return { etag: out.ETag ?? "" };
      });
    } catch (err) {
      const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
      if (conditional && (isPreconditionFailure(err) || (options.ifMatch !== undefined && isNotFound(err)))) {
        throw new PreconditionFailedError(key, (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode);
      }
      throw this.fail(`PutObject ${key}`, err);
    }
  }

  /**
   * DELETE an object. With `ifMatch`, a mismatch (412) or a missing key (404) throws
   * PreconditionFailedError. Unconditional deletes of missing keys succeed (S3 semantics).
   */
  async delete(key: string, options: RequestOptions & { ifMatch?: string } = {}): Promise<void> {
    const sdk = await loadSdk();
    const client = await this.client();
    try {
      await this.request("DeleteObject", options.signal, async (signal) => {
        await client.send(
          new sdk.DeleteObjectCommand({ Bucket: this.config.bucket, Key: key, ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}) }),
          { abortSignal: signal },
        );
      });
    } catch (err) {
      if (options.ifMatch !== undefined && (isPreconditionFailure(err) || isNotFound(err))) {
        throw new PreconditionFailedError(key, (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode);
      }
      if (options.ifMatch === undefined && isNotFound(err)) return;
      throw Object.assign(this.fail(`DeleteObject ${key}`, err), { s3Status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode });
    }
  }

  /** Every object under `keyPrefix` (all pages; one request per 1 000 keys). */
  async list(keyPrefix: string, options: RequestOptions = {}): Promise<ListedObject[]> {
    const sdk = await loadSdk();
    const client = await this.client();
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.request("ListObjectsV2", options.signal, (signal) =>
          client.send(
            new sdk.ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: keyPrefix, ...(token ? { ContinuationToken: token } : {}) }),
            { abortSignal: signal },
          ),
        );
      } catch (err) {
        throw this.fail(`ListObjectsV2 ${keyPrefix || "/"}`, err);
      }
      for (const obj of page.Contents ?? []) {
        if (!obj.Key) continue;
        out.push({ key: obj.Key, size: obj.Size ?? 0, etag: obj.ETag ?? "", ...(obj.LastModified ? { lastModified: obj.LastModified } : {}) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** HEAD the bucket (access check). Throws the mapped error. */
  async headBucket(options: RequestOptions = {}): Promise<void> {
    const sdk = await loadSdk();
    const client = await this.client();
    try {
      await this.request("HeadBucket", options.signal, (signal) =>
        client.send(new sdk.HeadBucketCommand({ Bucket: this.config.bucket }), { abortSignal: signal }),
      );
    } catch (err) {
      throw this.fail("HeadBucket", err);
    }
  }

  destroy(): void {
    void this.clientPromise?.then((c) => c.destroy()).catch(() => {});
  }
}
