/**
 * Extension sources used by the extension-host tests, as strings written into temp repos
 * (they import `npm:zod@4` like real extensions, which tsc could not compile in place).
 */
import { writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The seed's quick-start datastore, verbatim. */
export const SEED_STORE = `import { z } from "npm:zod@4";
const ConfigSchema = z.object({
endpoint: z.string().url(),
bucket: z.string(),
});
export const datastore = {
type: "@myorg/my-store",
name: "My Custom Store",
description: "Stores runtime data in a custom backend",
configSchema: ConfigSchema,
createProvider: (config: Record<string, unknown>) => {
const parsed = ConfigSchema.parse(config);
return {
createLock: (
datastorePath: string,
options?: {
lockKey?: string;
ttlMs?: number;
retryIntervalMs?: number;
maxWaitMs?: number;
},
) => ({
acquire: async () => {},
release: async () => {},
withLock: async <T>(fn: () => Promise<T>) => {
return await fn();
},
inspect: async () => null,
forceRelease: async (_nonce: string) => false,
}),
createVerifier: () => ({
verify: async () => ({
healthy: true,
message: "OK",
latencyMs: 1,
datastoreType: "@myorg/my-store",
}),
}),
resolveDatastorePath: (repoDir: string) => \`\${repoDir}/.my-store\`,
};
},
};
`;

/**
 * A working filesystem-like datastore: an exclusive-create lock file with a nonce, a
 * heartbeat, stale takeover (TTL or dead pid on this host), a verifier, a sync service, and
 * `misbehave` switches that make verify() fail in each way the host must survive.
 */
export const FS_STORE = `import { z } from "npm:zod@4";
import { link, mkdir, readFile, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { lockBody } from "./_lib/body.ts";

const ConfigSchema = z.object({
  path: z.string().optional(),
  misbehave: z.enum(["throw", "throw-code", "crash", "exit", "loop", "oom", "write", "read", "spawn"]).optional(),
  target: z.string().optional(),
  sync: z.boolean().optional(),
});

class LockTimeout extends Error {
  code = "lock_timeout";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

function createLock(root: string, options: { lockKey?: string; ttlMs?: number; retryIntervalMs?: number; maxWaitMs?: number } = {}) {
  const key = options.lockKey ?? ".datastore.lock";
  const file = join(root, key);
  const ttlMs = options.ttlMs ?? 30_000;
  const retry = options.retryIntervalMs ?? 50;
  const maxWait = options.maxWaitMs ?? 60_000;
  let nonce: string | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let beat: Promise<void> | undefined;
  const read = async () => {
    try {
      return JSON.parse(await readFile(file, "utf8"));
    } catch {
      return null;
    }
  };
  const put = async (info: unknown, exclusive: boolean) => {
    await mkdir(dirname(file), { recursive: true });
    const tmp = \`\${file}.\${randomUUID()}.tmp\`;
    await writeFile(tmp, lockBody(info));
    try {
      if (exclusive) await link(tmp, file);
      else await rename(tmp, file);
    } finally {
      await unlink(tmp).catch(() => {});
    }
  };
  const info = () => ({
    holder: \`\${process.env.USER ?? "unknown"}@\${hostname()}\`,
    hostname: hostname(),
    pid: process.pid,
    acquiredAt: new Date().toISOString(),
    ttlMs,
    nonce,
  });
  const stale = (i: { acquiredAt: string; ttlMs: number; hostname: string; pid: number }) =>
    Date.now() - Date.parse(i.acquiredAt) > i.ttlMs || (i.hostname === hostname() && !alive(i.pid));
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const lock = {
    async acquire() {
      const start = Date.now();
      for (;;) {
        nonce = randomUUID();
        try {
          await put(info(), true);
          // One beat at a time, and release() waits for it: a beat that read the lock as ours
          // must not rewrite it after release() removed it.
          timer = setInterval(() => {
            if (beat) return;
            beat = (async () => {
              const cur = await read();
              if (cur && cur.nonce === nonce) await put(info(), false).catch(() => {});
              else stop();
            })().finally(() => {
              beat = undefined;
            });
          }, Math.max(50, Math.floor(ttlMs / 3)));
          return;
        } catch (e) {
          if ((e as { code?: string }).code !== "EEXIST") throw e;
        }
        const cur = await read();
        if (cur && stale(cur)) {
          await unlink(file).catch(() => {});
          continue;
        }
        const remaining = start + maxWait - Date.now();
        if (remaining <= 0) {
          nonce = null;
          throw new LockTimeout(\`Lock "\${key}" held by \${cur?.holder ?? "unknown"} (pid \${cur?.pid}) — timed out after \${maxWait}ms\`);
        }
        await sleep(Math.min(retry, remaining));
      }
    },
    async release() {
      stop();
      await beat;
      if (!nonce) return;
      const cur = await read();
      if (cur && cur.nonce === nonce) await unlink(file).catch(() => {});
      nonce = null;
    },
    async withLock<T>(fn: () => Promise<T>): Promise<T> {
      await lock.acquire();
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
    inspect: read,
    async forceRelease(expected: string) {
      const cur = await read();
      if (!cur || cur.nonce !== expected) return false;
      await unlink(file).catch(() => {});
      return true;
    },
  };
  return lock;
}

export const datastore = {
  type: "@test/fs-store",
  name: "Test filesystem store",
  description: "A filesystem datastore with a real lock, used to test the extension host",
  configSchema: ConfigSchema,
  createProvider: (config: Record<string, unknown>) => {
    const c = ConfigSchema.parse(config);
    let dirty = 0;
    return {
      createLock: (datastorePath: string, options?: { lockKey?: string; ttlMs?: number; retryIntervalMs?: number; maxWaitMs?: number }) =>
        createLock(datastorePath, options),
      createVerifier: () => ({
        verify: async () => {
          const started = performance.now();
          switch (c.misbehave) {
            case "throw":
              throw new Error("verify exploded");
            case "throw-code":
              throw Object.assign(new Error("the backend said no"), { code: "backend_unavailable" });
            case "crash":
              setTimeout(() => {
                throw new Error("async boom");
              }, 0);
              return new Promise(() => {});
            case "exit":
              process.exit(7);
            case "loop":
              for (;;) {}
            case "oom": {
              const hog: unknown[] = [];
              for (;;) hog.push(new Array(1_000_000).fill(hog.length));
            }
            case "write":
              writeFileSync(c.target ?? "/tmp/x", "written by an extension");
              break;
            case "read":
              readFileSync(c.target ?? "/etc/hostname");
              break;
            case "spawn":
              {
                const r = spawnSync("true");
                if (r.error) throw r.error;
              }
              break;
          }
          const root = c.path;
          return { healthy: true, message: \`ok at \${root ?? "default"}\`, latencyMs: performance.now() - started, datastoreType: "@test/fs-store" };
        },
      }),
      ...(c.sync
        ? {
            createSyncService: (_repoDir: string, _cachePath: string) => ({
              pullChanged: async () => 0,
              pushChanged: async () => {
                const n = dirty;
                dirty = 0;
                return n;
              },
              markDirty: async () => {
                dirty++;
              },
              capabilities: () => ({ scopedSync: false }),
            }),
            resolveCachePath: (repoDir: string) => join(repoDir, ".fs-store-cache"),
          }
        : {}),
      resolveDatastorePath: (repoDir: string) => c.path ?? join(repoDir, ".fs-store"),
      listLockKeys: async (datastorePath: string, prefix: string) => {
        try {
          return (await readdir(join(datastorePath, prefix))).filter((n) => n.endsWith(".lock")).map((n) => \`\${prefix.replace(/\\/$/, "")}/\${n}\`);
        } catch {
          return [];
        }
      },
    };
  },
};
`;

/** A helper module of FS_STORE (in `_lib/`, which discovery skips). */
export const FS_STORE_LIB = `export function lockBody(info: unknown): string {
  return JSON.stringify(info, null, 2);
}
`;

/** An extension model type: zod arguments, a resource, a file, a check, and faulty methods. */
/** Id of the greeter definition that `greeterDefinition` writes. */
export const GREETER_ID = "0f4c6a2e-6f1d-4e7b-9a55-1f3c2d4e5a6b";

/** A definition of the `@test/greeter` type (GREETER_MODEL), saved at models/@test/greeter/<GREETER_ID>.yaml. */
export function greeterDefinition(prefix = "hi", extra = ""): string {
  return [
    'type: "@test/greeter"',
    "typeVersion: 2026.01.01.1",
    `id: ${GREETER_ID}`,
    "name: greeter",
    "version: 1",
    "tags: {}",
    "globalArguments:",
    `  prefix: ${prefix}`,
    "methods:",
    "  greet:",
    "    arguments:",
    "      name: world",
    extra,
  ].join("\n");
}

export const GREETER_MODEL = `import { z } from "npm:zod@4";
import { writeFileSync } from "node:fs";

export const model = {
  type: "@test/greeter",
  version: "2026.01.01.1",
  globalArguments: z.object({ prefix: z.string().default("hello"), marker: z.string().optional() }),
  resources: {
    greeting: {
      description: "The greeting",
      schema: z.object({ message: z.string(), count: z.number() }),
      lifetime: "infinite",
      garbageCollection: 5,
    },
  },
  files: {
    transcript: { description: "What was said", contentType: "text/plain", lifetime: "infinite", garbageCollection: 5 },
  },
  checks: {
    "prefix-allowed": {
      description: "The prefix must not be 'forbidden'",
      execute: async (ctx: { globalArgs: Record<string, unknown> }) =>
        ctx.globalArgs.prefix === "forbidden" ? { pass: false, errors: ["prefix 'forbidden' is not allowed"] } : { pass: true },
    },
  },
  methods: {
    greet: {
      description: "Greets someone, several times",
      arguments: z.object({ name: z.string(), times: z.number().int().min(1).default(1) }),
      execute: async (args: { name: string; times: number }, ctx: any) => {
        ctx.logger.info("greeting {name}", { name: args.name });
        console.log("console output from the extension");
        const handle = await ctx.writeResource("greeting", "main", { message: \`\${ctx.globalArgs.prefix} \${args.name}\`, count: args.times });
        const writer = ctx.createFileWriter("transcript", "transcript");
        for (let i = 0; i < args.times; i++) await writer.writeLine(\`\${ctx.globalArgs.prefix} \${args.name} #\${i + 1}\`);
        const file = await writer.finalize();
        const back = await ctx.readResource("main");
        if (!back || back.message !== \`\${ctx.globalArgs.prefix} \${args.name}\`) throw new Error("readResource did not return what was written");
        return { dataHandles: [handle, file] };
      },
    },
    fail: {
      description: "Throws",
      arguments: z.object({ code: z.string().optional() }),
      execute: async (args: { code?: string }) => {
        throw Object.assign(new Error("the method failed on purpose"), args.code ? { code: args.code } : {});
      },
    },
    crash: {
      description: "Crashes its worker (uncaught exception in a timer)",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => {
        await ctx.writeResource("greeting", "before-crash", { message: "kept", count: 1 });
        setTimeout(() => {
          throw new Error("uncaught in a timer");
        }, 0);
        return new Promise(() => {});
      },
    },
    exit: { description: "Calls process.exit", arguments: z.object({}), execute: async () => process.exit(3) },
    loop: { description: "Loops forever", arguments: z.object({}), execute: async () => { for (;;) {} } },
    oom: {
      description: "Allocates until it runs out of memory",
      arguments: z.object({}),
      execute: async () => {
        const hog: unknown[] = [];
        for (;;) hog.push(new Array(1_000_000).fill(hog.length));
      },
    },
    wait: {
      description: "Waits until cancelled",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) =>
        new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(Object.assign(new Error("cancelled by the host"), { code: "cancelled" })))),
    },
    touch: {
      description: "Writes the marker file named by globalArguments.marker",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => {
        writeFileSync(String(ctx.globalArgs.marker), "touched");
        return {};
      },
    },
  },
};
`;

/** Adds a method to @test/greeter from another file. */
export const GREETER_EXTENSION = `import { z } from "npm:zod@4";
export const extension = {
  type: "@test/greeter",
  methods: [
    {
      shout: {
        description: "Greets loudly",
        arguments: z.object({ name: z.string() }),
        execute: async (args: { name: string }, ctx: any) => {
          const h = await ctx.writeResource("greeting", "loud", { message: args.name.toUpperCase(), count: 1 });
          return { dataHandles: [h] };
        },
      },
    },
  ],
};
`;

/** A model whose top level writes a marker file: proves when its code is loaded. */
export function markerModel(markerPath: string): string {
  return `import { z } from "npm:zod@4";
import { appendFileSync } from "node:fs";
appendFileSync(${JSON.stringify(markerPath)}, "loaded\\n");
export const model = {
  type: "@test/marked",
  version: "2026.01.01.1",
  methods: {
    noop: { description: "Does nothing", arguments: z.object({}), execute: async () => ({}) },
  },
};
`;
}

/**
 * A model type `type` whose method `run` writes what it saw as resource `out`: `head` goes
 * at the module's top (imports, module state), `body` fills `seen` when the method runs.
 */
export function seeingModel(type: string, head: string, body: string): string {
  return `import { z } from "npm:zod@4";
${head}
export const model = {
  type: "${type}",
  version: "2026.01.01.1",
  resources: { out: { description: "what it saw", schema: z.object({}).passthrough(), lifetime: "infinite", garbageCollection: 5 } },
  methods: {
    run: {
      description: "records what it saw",
      arguments: z.object({}),
      execute: async (_args: unknown, ctx: any) => {
        const seen: Record<string, unknown> = {};
        ${body}
        return { dataHandles: [await ctx.writeResource("out", "out", seen)] };
      },
    },
  },
};
`;
}

/** Imports every way the bundler maps: zod subpaths, an installed package by bare name, the sdk. */
export const IMPORTS_MODEL = `import { z } from "zod/v4";
import * as zodCore from "npm:zod@4.1.0/v4/core";
import { parse } from "yaml";
import { ErrorCode, LockTimeoutError } from "swamp-sdk";

export const model = {
  type: "@test/imports",
  version: "2026.01.01.1",
  resources: { out: { schema: z.object({}).passthrough(), lifetime: "infinite", garbageCollection: 1 } },
  methods: {
    run: {
      description: "Parses YAML and uses the sdk",
      arguments: z.object({ text: z.string() }),
      execute: async (args: { text: string }, ctx: any) => {
        const err = new LockTimeoutError("k.lock", null, 5);
        const schema = z.string();
        const h = await ctx.writeResource("out", "out", {
          parsed: parse(args.text),
          code: err.code,
          sdkCode: ErrorCode.lockTimeout,
          sharedZod: schema instanceof zodCore.$ZodType,
        });
        return { dataHandles: [h] };
      },
    },
  },
};
`;

export const MEMORY_VAULT = `import { z } from "npm:zod@4";
const stores = new Map<string, Map<string, string>>();
export const vault = {
  type: "@test/memory-vault",
  name: "Memory vault",
  description: "Keeps secrets in the worker's memory",
  configSchema: z.object({ seed: z.record(z.string(), z.string()).optional() }),
  createProvider: (name: string, config: { seed?: Record<string, string> }) => {
    const store = stores.get(name) ?? new Map(Object.entries(config.seed ?? {}));
    stores.set(name, store);
    return {
      get: async (key: string) => {
        const v = store.get(key);
        if (v === undefined) throw Object.assign(new Error(\`no secret \${key}\`), { code: "vault_secret_not_found" });
        return v;
      },
      put: async (key: string, value: string) => {
        store.set(key, value);
      },
      list: async () => [...store.keys()].sort(),
      getName: () => name,
      delete: async (key: string) => {
        store.delete(key);
      },
    };
  },
};
`;

export const ECHO_DRIVER = `import { z } from "npm:zod@4";
export const driver = {
  type: "@test/echo-driver",
  name: "Echo driver",
  description: "Runs the method in process through the host and logs around it",
  configSchema: z.object({ label: z.string().default("echo") }),
  createDriver: (config: { label?: string }) => ({
    type: "@test/echo-driver",
    execute: async (request: any, callbacks: any) => {
      const started = Date.now();
      callbacks.onLog(\`[\${config.label ?? "echo"}] running \${request.methodName}\`, "stdout");
      try {
        const handles = callbacks.runInProcess ? await callbacks.runInProcess() : [];
        return { status: "success", outputs: handles.map((handle: unknown) => ({ kind: "persisted", handle })), logs: [], durationMs: Date.now() - started };
      } catch (err) {
        return { status: "error", error: (err as Error).message, outputs: [], logs: [], durationMs: Date.now() - started };
      }
    },
  }),
};
`;

export const SUMMARY_REPORT = `export const report = {
  name: "@test/summary",
  description: "Counts the data a method produced",
  scope: "method",
  labels: ["test"],
  execute: async (ctx: any) => ({
    markdown: \`# \${ctx.definition.name}: \${ctx.methodName} \${ctx.executionStatus} with \${ctx.dataHandles.length} handle(s)\\n\`,
    json: { model: ctx.definition.name, method: ctx.methodName, status: ctx.executionStatus, handles: ctx.dataHandles.length },
  }),
};
`;

export async function writeSource(repo: string, relPath: string, text: string): Promise<string> {
  const path = join(repo, relPath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return path;
}

/**
 * Two tiny model bundles in `dir`: `plain` never builds a CEL environment, `cel` calls
 * `createCelEnvironment`, the text by which a build records that a bundle may need the engine.
 */
export function writeCelProbeBundles(dir: string): { plain: string; cel: string } {
  const plain = join(dir, "plain.mjs");
  const cel = join(dir, "cel.mjs");
  writeFileSync(plain, "export const model = { type: '@t/plain' };\n");
  writeFileSync(cel, "export const model = { type: '@t/cel', run: (context) => context.createCelEnvironment() };\n");
  return { plain, cel };
}
