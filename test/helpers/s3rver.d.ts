/** Minimal typings for the parts of s3rver (a Koa app) the test server uses. */
declare module "s3rver" {
  import type { Server } from "node:http";
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
    allowMismatchedSignatures?: boolean;
  }
  interface KoaContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    headers: Record<string, string | string[] | undefined>;
    status: number;
    body: unknown;
    type: string;
    set(name: string, value: string): void;
    response: { get(name: string): string };
    req: import("node:http").IncomingMessage;
    res: import("node:http").ServerResponse;
  }
  type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
  interface FilesystemStore {
    getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
    putBucket(bucket: string): Promise<unknown>;
  }
  class S3rver {
    constructor(options?: S3rverOptions);
    middleware: Middleware[];
    store: FilesystemStore;
    httpServer?: Server;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
  export default S3rver;
}
