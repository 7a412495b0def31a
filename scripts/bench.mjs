#!/usr/bin/env node
// Runs the benchmarks (dist/bench/*.bench.js); each prints its own figures and ratios.
// Usage: npm run bench [-- name-filter]
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const dir = new URL("../dist/bench", import.meta.url).pathname;
const filter = process.argv[2] ?? "";
for (const name of readdirSync(dir).filter((f) => f.endsWith(".bench.js") && f.includes(filter)).sort()) {
  console.log(`\n== ${name}`);
  const r = spawnSync(process.execPath, [join(dir, name)], { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = 1;
}
