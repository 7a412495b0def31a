// What piscina uses of node:perf_hooks, for the bundle: loading node:perf_hooks costs the CLI
// and each worker thread ~1.5 ms (scripts/bundle.mjs). piscina only subtracts `now()` readings,
// so the process clock serves; its histograms (off: the pool passes `recordTiming: false`)
// come from the real module, loaded on first use.
"use strict";

module.exports = {
  performance: { now: () => Number(process.hrtime.bigint()) / 1e6 },
  createHistogram: (...args) => require("node:perf_hooks").createHistogram(...args),
};
