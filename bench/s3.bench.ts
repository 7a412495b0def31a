/**
 * S3 datastore sync costs, counted at the server (s3rver on loopback, see
 * test/helpers/s3-server.ts).
 *
 *   node dist/bench/s3.bench.js [objects…]      (default: 5000 50000)
 *
 * For each bucket size: seeds a bucket with N objects from one cache, hydrates a second cache,
 * then measures, for that second cache, a no-op pull, a no-op push, and a one-file change
 * (push from the first cache, pull into the second), plus a one-version data write through
 * the kernel (model lock, scoped pull, write, push, release). Prints requests per operation
 * and wall time, then how each operation's time grew from the smallest bucket to the largest
 * (the request counts should not grow at all). Then the real CLI: `swamp datastore sync` with
 * nothing to do (goal: one request), and the first pull's GETs/s at several concurrencies
 * (`hydrate` as the only argument runs just that, on a 1000-object bucket).
 * Figures only; no assertions.
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createS3Provider, type S3DatastoreConfig } from "../builtins/datastore-s3/index.js";
import type { S3SyncService } from "../builtins/datastore-s3/sync.js";
import { startS3Server, type S3TestServer } from "../test/helpers/s3-server.js";
import { makeRepo, writeVersion } from "../test/builtins/datastore-s3/harness.js";

const HYDRATE_ONLY = process.argv[2] === "hydrate";
const SIZES = HYDRATE_ONLY ? [1000] : (process.argv.length > 2 ? process.argv.slice(2) : ["5000", "50000"]).map(Number);
const PER_DIR = 50;
const REPEATS = 3;
const bin = fileURLToPath(new URL("../bin/swamp.js", import.meta.url));

interface Row {
  what: string;
  requests: number;
  detail: string;
  ms: number;
  /** CPU time of this process (client and server both live here): steadier than wall time on a loaded machine. */
  cpuMs: number;
}

async function measure(server: S3TestServer, what: string, fn: () => Promise<unknown>): Promise<Row> {
  server.resetCounts();
  const start = performance.now();
  const cpu = process.cpuUsage();
  await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const counts = server.counts();
  return {
    what,
    requests: server.total(),
    detail: Object.entries(counts)
      .sort()
      .map(([op, n]) => `${op}×${n}`)
      .join(" "),
    ms,
    cpuMs,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `fn` REPEATS times; the row of the median time (request counts are the same each time). */
async function medianOf(server: S3TestServer, what: string, fn: () => Promise<unknown>): Promise<Row> {
  const rows: Row[] = [];
  for (let i = 0; i < REPEATS; i++) rows.push(await measure(server, what, fn));
  const ms = median(rows.map((r) => r.ms));
  return { ...rows.find((r) => r.ms === ms)!, ms, cpuMs: median(rows.map((r) => r.cpuMs)) };
}

function printRows(title: string, rows: Row[]): void {
  const width = Math.max(...rows.map((r) => r.what.length));
  console.log(`\n${title}\n`);
  console.log(`${"operation".padEnd(width)}  requests        wall         cpu  breakdown`);
  for (const r of rows) {
    console.log(`${r.what.padEnd(width)}  ${String(r.requests).padStart(8)}  ${`${r.ms.toFixed(1)}ms`.padStart(10)}  ${`${r.cpuMs.toFixed(1)}ms`.padStart(10)}  ${r.detail}`);
  }
}

/** Prints one row for the `npm run bench` summary (scripts/bench.mjs gathers them). */
function benchRow(row: { row: string; baseline: string; ratio: number; goal: number; detail: string }): void {
  console.log(`BENCH-ROW ${JSON.stringify({ ...row, ratio: Number(row.ratio.toFixed(2)) })}`);
}

/** One bucket of `objects` objects under its own prefix; the rows of every operation. */
async function scenario(server: S3TestServer, root: string, objects: number): Promise<Row[]> {
  const prefix = `bench-${objects}`;
  const config = server.config({ prefix }) as S3DatastoreConfig;
  const provider = createS3Provider(config);
  const base = join(root, prefix);
  const seeder = provider.createSyncService!(join(base, "repo-a"), join(base, "cache-a")) as S3SyncService;
  const reader = provider.createSyncService!(join(base, "repo-b"), join(base, "cache-b")) as S3SyncService;
  const rows: Row[] = [];

  const dirs = Math.ceil(objects / PER_DIR);
  for (let d = 0; d < dirs; d++) {
    const rel = `files/set-${d}`;
    await mkdir(join(base, "cache-a", "files", `set-${d}`), { recursive: true });
    await seeder.markDirty({ relPath: rel });
    for (let f = 0; f < PER_DIR && d * PER_DIR + f < objects; f++) {
      await writeFile(join(base, "cache-a", "files", `set-${d}`, `obj-${f}.json`), JSON.stringify({ d, f, pad: "x".repeat(200) }));
    }
  }
  rows.push(await measure(server, `seed: push ${objects} objects`, () => seeder.pushChanged()));
  rows.push(await measure(server, `hydrate: pull ${objects} objects into an empty cache`, () => reader.pullChanged()));
  rows.push(await medianOf(server, "no-op pull", () => reader.pullChanged()));
  rows.push(await medianOf(server, "no-op push", () => reader.pushChanged()));
  rows.push(await medianOf(server, "no-op pull + push (sync service)", async () => {
    await reader.pullChanged();
    await reader.pushChanged();
  }));

  const changes: Row[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const one = `files/set-0/changed-${randomUUID()}.json`;
    await seeder.markDirty({ relPath: one });
    await writeFile(join(base, "cache-a", ...one.split("/")), "{}");
    changes.push(await measure(server, "one-file change: push", () => seeder.pushChanged()));
    changes.push(await measure(server, "one-file change: pull into the other cache", () => reader.pullChanged()));
  }
  for (const what of ["one-file change: push", "one-file change: pull into the other cache"]) {
    const mine = changes.filter((r) => r.what === what);
    const ms = median(mine.map((r) => r.ms));
    rows.push({ ...mine.find((r) => r.ms === ms)!, ms, cpuMs: median(mine.map((r) => r.cpuMs)) });
  }

  // A data version through the kernel: model lock, scoped pull, write, push, release.
  const repo = await makeRepo(base, "kernel", server, prefix);
  await repo.sync.pull();
  const model = randomUUID();
  await writeVersion(repo, model, "warmup", "w");
  rows.push(await medianOf(server, "one data version via the kernel (lock+pull+write+push+release)", () => writeVersion(repo, model, "result", "payload")));
  printRows(`S3 datastore sync, ${objects} objects in the bucket (s3rver on loopback; requests counted by the server; medians of ${REPEATS} where repeated)`, rows);
  return rows;
}

/** `swamp datastore sync` through the real CLI on a repo with nothing to do: requests made. */
async function cliNoopSync(server: S3TestServer, root: string): Promise<void> {
  const repo = await makeRepo(root, "cli", server, "bench-cli");
  await writeVersion(repo, randomUUID(), "seed", "x");
  const env = { ...process.env, ...repo.env } as NodeJS.ProcessEnv;
  // Asynchronous: the S3 server answering the child lives in this process.
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, "datastore", "sync", "--repo-dir", repo.repoDir, "--json"], { env, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`datastore sync failed (${code}): ${stderr}`))));
    });
  await sync();
  const rows: Row[] = [];
  for (let i = 0; i < REPEATS; i++) rows.push(await measure(server, "swamp datastore sync (nothing to do)", sync));
  const r = rows[rows.length - 1]!;
  printRows("The CLI: swamp datastore sync with nothing to do", rows);
  benchRow({ row: "S3: datastore sync with nothing to do", baseline: "1 request", ratio: r.requests / 1, goal: 1, detail: `${r.requests} request(s): ${r.detail}` });
}

/**
 * The first pull of `objects` objects into an empty cache, at several pull concurrencies: on
 * bare loopback (the server's CPU is the limit) and with 20 ms added to every read (closer to
 * a real bucket, where each request waits on the network).
 */
async function hydrationRates(server: S3TestServer, root: string, objects: number): Promise<void> {
  for (const latency of [0, 20]) {
    console.log(`\nFirst pull of ${objects} objects by pull concurrency, ${latency} ms added per read: GETs/s (median of ${REPEATS})`);
    server.setReadLatency(latency);
    for (const pullConcurrency of [50, 100, 200]) {
      const provider = createS3Provider(server.config({ prefix: `bench-${objects}`, pullConcurrency }) as S3DatastoreConfig);
      const rates: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const cache = join(root, `hydrate-${latency}-${pullConcurrency}-${i}`);
        const service = provider.createSyncService!(join(cache, "repo"), join(cache, "cache")) as S3SyncService;
        const row = await measure(server, "hydrate", () => service.pullChanged());
        rates.push((server.counts().GetObject ?? 0) / (row.ms / 1000));
        await rm(cache, { recursive: true, force: true });
      }
      console.log(`  pullConcurrency ${String(pullConcurrency).padStart(3)}   ${median(rates).toFixed(0).padStart(6)} GETs/s`);
    }
  }
  server.setReadLatency(0);
}

async function main(): Promise<void> {
  const server = await startS3Server();
  Object.assign(process.env, server.clientEnv());
  const root = await mkdtemp(join(tmpdir(), "swamp-s3-bench-"));
  try {
    if (!HYDRATE_ONLY) await cliNoopSync(server, root);
    const all = new Map<number, Row[]>();
    for (const n of SIZES) all.set(n, await scenario(server, root, n));
    if (SIZES.length > 1) {
      const small = Math.min(...SIZES);
      const large = Math.max(...SIZES);
      console.log(`\nGrowth from ${small} to ${large} objects (ratios large/small; requests should not grow)`);
      for (const r of all.get(large)!) {
        if (r.what.startsWith("seed") || r.what.startsWith("hydrate")) continue;
        const before = all.get(small)!.find((x) => x.what === r.what)!;
        console.log(`  ${r.what.padEnd(64)} wall ${(r.ms / before.ms).toFixed(2)}x   cpu ${(r.cpuMs / before.cpuMs).toFixed(2)}x   requests ${before.requests} → ${r.requests}`);
      }
      const write = "one data version via the kernel (lock+pull+write+push+release)";
      const [w0, w1] = [all.get(small)!, all.get(large)!].map((rows) => rows.find((r) => r.what === write)!);
      benchRow({ row: `S3: one-version write, ${large} vs ${small} objects`, baseline: `the same write at ${small} objects`, ratio: w1!.cpuMs / w0!.cpuMs, goal: 1.2, detail: `cpu medians ${w1!.cpuMs.toFixed(0)} / ${w0!.cpuMs.toFixed(0)} ms; ${w1!.requests} requests both` });
    }
    await hydrationRates(server, root, Math.min(...SIZES));
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
