/**
 * A real S3-protocol server for tests and benchmarks: s3rver (a Koa app) on 127.0.0.1 with an
 * ephemeral port and a temp directory, plus one middleware placed in front of its routes that
 * adds what the S3 service does and s3rver does not:
 *
 *  - conditional writes on PutObject: `If-None-Match: *` (create only; an existing key gives
 *    412 PreconditionFailed) and `If-Match: <etag>` (compare-and-swap; a different ETag gives
 *    412, a missing key 404 NoSuchKey), as the S3 conditional-writes documentation describes;
 *  - conditional DeleteObject with `If-Match: <etag>` or `*` (412 on mismatch, 404 when the key
 *    is missing). `conditionalDelete: "ignored"` makes the server drop the header silently (as
 *    some S3-compatible stores and proxies do) and `"rejected"` answers 501 NotImplemented, so
 *    the fallback paths can be tested;
 *  - atomicity: s3rver writes an object's bytes, checksum and metadata as separate files and
 *    removes empty directories after a delete, so a read racing a write can see a torn object
 *    and two requests can trip over each other's directories. The middleware serialises
 *    mutations (PUT, DELETE, POST) and lets reads (GET, HEAD, LIST) run together between them,
 *    which gives the per-request atomicity the real service has;
 *  - per-operation request counts (PutObject, GetObject, ListObjectsV2, …) for assertions and
 *    benchmarks, the most requests answered at once, a read latency to make requests overlap,
 *    and fault injection (answer the next N matching requests with a status code).
 *
 * Clients authenticate with access key `S3RVER` / secret `S3RVER` (s3rver's dummy account).
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

export type ConditionalDeleteMode = "supported" | "ignored" | "rejected";

export interface S3ServerOptions {
  /** Buckets created at start (default: ["swamp-test"]). */
  buckets?: string[];
  conditionalDelete?: ConditionalDeleteMode;
}

export interface InjectedFault {
  /** Operation name as counted (e.g. "PutObject"); any operation when omitted. */
  op?: string;
  /** Only requests whose key contains this text. */
  keyIncludes?: string;
  status: number;
  code: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Delay before answering (ms), e.g. to exercise client timeouts. */
  delayMs?: number;
}

export interface RequestRecord {
  op: string;
  bucket: string;
  key: string;
  status: number;
}

export interface S3TestServer {
  endpoint: string;
  port: number;
  bucket: string;
  directory: string;
  conditionalDelete: ConditionalDeleteMode;
  /** Requests per operation since start or the last resetCounts(). */
  counts(): Record<string, number>;
  total(): number;
  resetCounts(): void;
  /** Every request since the last resetCounts(), in arrival order. */
  requests(): RequestRecord[];
  inject(fault: InjectedFault): void;
  /** Delays every later GetObject answer by `ms` (a slow network, so requests overlap). */
  setReadLatency(ms: number): void;
  /** The most requests this server was answering at once since start or resetCounts(). */
  maxInFlight(): number;
  clearFaults(): void;
  /** Keys of the objects in `bucket` (reads the server's directory; not counted). */
  keys(bucket?: string): Promise<string[]>;
  /** Environment for an AWS SDK client (credentials of s3rver's dummy account). */
  clientEnv(): Record<string, string>;
  /** An `s3` datastore config pointing at this server. */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

const OBJECT_SUFFIX = "._S3rver_object";

/** A readers-writer lock: many readers or one writer. */
class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private queue: Array<{ write: boolean; go: () => void }> = [];

  async run<T>(write: boolean, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.queue.push({ write, go });
      this.pump();
    });
    try {
      return await fn();
    } finally {
      if (write) this.writer = false;
      else this.readers--;
      this.pump();
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.write) {
        if (this.writer || this.readers > 0) return;
        this.writer = true;
      } else {
        if (this.writer) return;
        this.readers++;
      }
      this.queue.shift();
      next.go();
    }
  }
}

function header(ctx: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
}

function errorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${esc(v)}</${k}>`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message>${fields}<RequestId>swamp-test</RequestId></Error>`;
}

function classify(method: string, bucket: string, key: string, query: Record<string, unknown>, headers: Record<string, unknown>): string {
  if (!bucket) return method === "GET" ? "ListBuckets" : `${method}Service`;
  if (!key) {
    if (method === "HEAD") return "HeadBucket";
    if (method === "GET") {
      if ("location" in query) return "GetBucketLocation";
      return query["list-type"] === "2" ? "ListObjectsV2" : "ListObjects";
    }
    if (method === "PUT") return "CreateBucket";
    if (method === "POST" && "delete" in query) return "DeleteObjects";
    if (method === "DELETE") return "DeleteBucket";
    return `${method}Bucket`;
  }
  if (method === "GET") return "GetObject";
  if (method === "HEAD") return "HeadObject";
  if (method === "PUT") return "x-amz-copy-source" in headers ? "CopyObject" : "PutObject";
  if (method === "DELETE") return "DeleteObject";
  return `${method}Object`;
}

async function walkKeys(dir: string, prefix: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory()) await walkKeys(join(dir, e.name), `${prefix}${e.name}/`, out);
    else if (e.name.endsWith(OBJECT_SUFFIX)) out.push(prefix + e.name.slice(0, -OBJECT_SUFFIX.length));
  }
}

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3TestServer> {
  const buckets = options.buckets ?? ["swamp-test"];
  const conditionalDelete = options.conditionalDelete ?? "supported";
  const directory = await mkdtemp(join(tmpdir(), "swamp-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name })),
  });

  let counts: Record<string, number> = {};
  let log: RequestRecord[] = [];
  let faults: InjectedFault[] = [];
  let readLatencyMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const rw = new ReadWriteLock();

  server.middleware.unshift(async (ctx, next) => {
    const parts = ctx.path.split("/").slice(1);
    const bucket = decodeURIComponent(parts[0] ?? "");
    const key = parts.slice(1).map(decodeURIComponent).join("/");
    const op = classify(ctx.method, bucket, key, ctx.query, ctx.headers);
    counts[op] = (counts[op] ?? 0) + 1;
    const record: RequestRecord = { op, bucket, key, status: 0 };
    log.push(record);

    const fail = (status: number, code: string, message: string, extra: Record<string, string> = {}) => {
      ctx.status = status;
      ctx.type = "application/xml";
      ctx.body = ctx.method === "HEAD" ? "" : errorXml(code, message, extra);
      record.status = status;
    };

    const fault = faults.find((f) => (f.op === undefined || f.op === op) && (f.keyIncludes === undefined || key.includes(f.keyIncludes)));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults = faults.filter((f) => f !== fault);
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      fail(fault.status, fault.code, `injected ${fault.code}`);
      return;
    }

    const mutation = ctx.method === "PUT" || ctx.method === "DELETE" || ctx.method === "POST";
    await rw.run(mutation, async () => {
      // The SDK tags requests with `?x-id=<Operation>`; any other parameter is a subresource
      // (tagging, acl, multipart) that is not a plain object write.
      const plain = Object.keys(ctx.query).every((q) => q === "x-id");
      if (key && (ctx.method === "PUT" || ctx.method === "DELETE") && plain && !("x-amz-copy-source" in ctx.headers)) {
        const ifMatch = header(ctx, "if-match");
        const ifNoneMatch = header(ctx, "if-none-match");
        if (ctx.method === "DELETE" && ifMatch !== undefined && conditionalDelete === "rejected") {
          fail(501, "NotImplemented", "A header you provided implies functionality that is not implemented", { Header: "If-Match" });
          return;
        }
        const conditional = ctx.method === "PUT" || conditionalDelete === "supported";
        if (conditional && (ifMatch !== undefined || ifNoneMatch !== undefined)) {
          let current: string | null = null;
          try {
            current = String((await server.store.getMetadata(bucket, key)).etag);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
          }
          if (ifNoneMatch !== undefined) {
            if (ctx.method !== "PUT" || ifNoneMatch.trim() !== "*") {
              fail(501, "NotImplemented", "If-None-Match is only supported on PutObject with the value *", { Header: "If-None-Match" });
              return;
            }
            if (current !== null) {
              fail(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: "If-None-Match" });
              return;
            }
          }
          if (ifMatch !== undefined) {
            if (current === null) {
              fail(404, "NoSuchKey", "The specified key does not exist.", { Key: key });
              return;
            }
            if (ifMatch.trim() !== "*" && normalizeEtag(ifMatch) !== normalizeEtag(current)) {
              fail(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: "If-Match" });
              return;
            }
          }
        }
      }
      // A client that gives up mid-request (an SDK timeout, a kill -9) must not keep the lock:
      // s3rver reads a PUT body inside next(), and that read never ends for a dropped
      // connection. It may have dropped while this request queued, its events already fired.
      const clientGone = new Promise<void>((resolve) => {
        if (ctx.req.destroyed || ctx.res.destroyed || ctx.req.socket.destroyed) return resolve();
        ctx.req.once("aborted", resolve);
        ctx.res.once("close", () => {
          if (!ctx.res.writableFinished) resolve();
        });
      });
      try {
        await Promise.race([next(), clientGone]);
        record.status = ctx.status;
      } catch (err) {
        record.status = (err as { status?: number }).status ?? 500;
        throw err;
      }
    });
  });

  // Outermost: in-flight accounting and read latency wrap everything, faults included.
  server.middleware.unshift(async (ctx, next) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const isObjectRead = ctx.method === "GET" && ctx.path.split("/").filter(Boolean).length >= 2;
      if (readLatencyMs > 0 && isObjectRead) await new Promise((r) => setTimeout(r, readLatencyMs));
      await next();
    } finally {
      inFlight--;
    }
  });

  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const bucket = buckets[0] ?? "swamp-test";

  return {
    endpoint,
    port: address.port,
    bucket,
    directory,
    conditionalDelete,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    resetCounts: () => {
      counts = {};
      log = [];
      maxInFlight = inFlight;
    },
    requests: () => [...log],
    inject: (fault) => {
      faults.push({ ...fault });
    },
    setReadLatency: (ms) => {
      readLatencyMs = ms;
    },
    maxInFlight: () => maxInFlight,
    clearFaults: () => {
      faults = [];
    },
    keys: async (b = bucket) => {
      const out: string[] = [];
      await walkKeys(join(directory, b), "", out);
      return out.sort();
    },
    clientEnv: () => ({
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    }),
    config: (extra = {}) => ({ bucket, endpoint, forcePathStyle: true, region: "us-east-1", ...extra }),
    close: async () => {
      await server.close().catch(() => {});
      await rm(directory, { recursive: true, force: true });
    },
  };
}
