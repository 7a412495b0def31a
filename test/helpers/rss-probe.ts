/**
 * Preloaded (`node --import`) into a process a test measures: at exit it appends the process's CPU
 * time and peak RSS to the file named by SWAMP_BENCH_COST, one JSON line. Nothing else.
 */
import { appendFileSync } from "node:fs";

const target = process.env.SWAMP_BENCH_COST;
if (target) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
    appendFileSync(target, `${JSON.stringify({ cpuMs, maxRssKb: usage.maxRSS })}\n`);
  });
}
