/**
 * S3 datastore sync costs, counted at the server (s3rver on loopback, see
 * test/helpers/s3-server.ts).
 *
 *   node dist/bench/s3.bench.js [objects]      (default 5000)
 *
 * Seeds a bucket with N objects from one cache, hydrates a second cache, then measures, for
 * that second cache, a no-op pull, a no-op push, and a one-file change (push from the first
 * cache, pull into the second), plus a one-version data write through the kernel (model lock,
 * scoped pull, write, push, release). Prints requests per operation and wall time. Figures
 * only; no assertions.
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createS3Provider, type S3DatastoreConfig } from "../builtins/datastore-s3/index.js";
import type { S3SyncService } from "../builtins/datastore-s3/sync.js";
import { startS3Server, type S3TestServer } from "../test/helpers/s3-server.js";
import { makeRepo, writeVersion } from "../test/builtins/datastore-s3/harness.js";

const OBJECTS = Number(process.argv[2] ?? "5000");
const PER_DIR = 50;

interface Row {
  what: string;
  requests: number;
  detail: string;
  ms: number;
}

async function measure(server: S3TestServer, what: string, fn: () => Promise<unknown>): Promise<Row> {
  server.resetCounts();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const counts = server.counts();
  return {
    what,
    requests: server.total(),
    detail: Object.entries(counts)
      .sort()
      .map(([op, n]) => `${op}×${n}`)
      .join(" "),
    ms,
  };
}

async function main(): Promise<void> {
  const server = await startS3Server();
  Object.assign(process.env, server.clientEnv());
  const root = await mkdtemp(join(tmpdir(), "swamp-s3-bench-"));
  try {
    const config = server.config({ prefix: "bench" }) as S3DatastoreConfig;
    const provider = createS3Provider(config);
    const seeder = provider.createSyncService!(join(root, "repo-a"), join(root, "cache-a")) as S3SyncService;
    const reader = provider.createSyncService!(join(root, "repo-b"), join(root, "cache-b")) as S3SyncService;
    const rows: Row[] = [];

    const dirs = Math.ceil(OBJECTS / PER_DIR);
    for (let d = 0; d < dirs; d++) {
      const rel = `files/set-${d}`;
      await mkdir(join(root, "cache-a", "files", `set-${d}`), { recursive: true });
      await seeder.markDirty({ relPath: rel });
      for (let f = 0; f < PER_DIR && d * PER_DIR + f < OBJECTS; f++) {
        await writeFile(join(root, "cache-a", "files", `set-${d}`, `obj-${f}.json`), JSON.stringify({ d, f, pad: "x".repeat(200) }));
      }
    }
    rows.push(await measure(server, `seed: push ${OBJECTS} objects`, () => seeder.pushChanged()));
    rows.push(await measure(server, `hydrate: pull ${OBJECTS} objects into an empty cache`, () => reader.pullChanged()));
    rows.push(await measure(server, "no-op pull", () => reader.pullChanged()));
    rows.push(await measure(server, "no-op push", () => reader.pushChanged()));
    rows.push(await measure(server, "no-op pull + push (datastore sync)", async () => {
      await reader.pullChanged();
      await reader.pushChanged();
    }));

    const one = `files/set-0/changed-${randomUUID()}.json`;
    await seeder.markDirty({ relPath: one });
    await writeFile(join(root, "cache-a", ...one.split("/")), "{}");
    rows.push(await measure(server, "one-file change: push", () => seeder.pushChanged()));
    rows.push(await measure(server, "one-file change: pull into the other cache", () => reader.pullChanged()));

    // A data version through the kernel: model lock, scoped pull, write, push, release.
    const repo = await makeRepo(root, "kernel", server, "bench");
    await repo.sync.pull();
    const model = randomUUID();
    await writeVersion(repo, model, "warmup", "w");
    rows.push(await measure(server, "one data version via the kernel (lock+pull+write+push+release)", () => writeVersion(repo, model, "result", "payload")));

    const width = Math.max(...rows.map((r) => r.what.length));
    console.log(`S3 datastore sync, ${OBJECTS} objects in the bucket (s3rver on loopback; requests counted by the server)\n`);
    console.log(`${"operation".padEnd(width)}  requests      time  breakdown`);
    for (const r of rows) {
      console.log(`${r.what.padEnd(width)}  ${String(r.requests).padStart(8)}  ${`${r.ms.toFixed(1)}ms`.padStart(10)}  ${r.detail}`);
    }
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
