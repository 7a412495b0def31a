#!/usr/bin/env node
// Runs the benchmarks (dist/bench/*.bench.js); each prints its own figures and ratios, and a
// `BENCH-ROW <json>` line per figure of the speed table ({row, baseline, ours, ratio, goal}, see
// bench/support/process-cost.ts),
// which this script gathers into one summary table at the end.
// Usage: npm run bench [-- name-filter]
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";

const PREFIX = "BENCH-ROW ";
const dir = new URL("../dist/bench", import.meta.url).pathname;
const filter = process.argv[2] ?? "";
const rows = [];

/** Runs one bench, echoing its output as it comes and collecting its rows. */
function runBench(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] });
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(PREFIX)) {
          try {
            rows.push(JSON.parse(line.slice(PREFIX.length)));
            continue;
          } catch {
            // not a row after all: print it
          }
        }
        process.stdout.write(`${line}\n`);
      }
    });
    child.on("close", (code) => {
      if (pending) process.stdout.write(`${pending}\n`);
      resolve(code ?? 1);
    });
  });
}

function table(header, body) {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

for (const name of readdirSync(dir).filter((f) => f.endsWith(".bench.js") && f.includes(filter)).sort()) {
  console.log(`\n== ${name}`);
  if ((await runBench(join(dir, name))) !== 0) process.exitCode = 1;
}

if (rows.length > 0) {
  // A goal reads like "≤ 2.5x": the number in it is the ceiling.
  const ceiling = (goal) => Number(/([0-9.]+)/.exec(String(goal))?.[1] ?? NaN);
  const body = rows.map((r) => [
    r.row,
    r.baseline,
    r.ours ?? "",
    `${Number(r.ratio).toFixed(2)}x`,
    String(r.goal),
    Number(r.ratio) <= ceiling(r.goal) ? "met" : "NOT MET",
  ]);
  console.log(`\n== summary (ratios: ours / baseline, same run)\n${table(["row", "baseline", "ours", "ratio", "goal", ""], body)}`);
}
