import { fileURLToPath } from "node:url";

/** The swamp bin a bench runs: this build, or BENCH_SWAMP_BIN (e.g. another branch's) for before/after figures. */
export const swampBin = process.env.BENCH_SWAMP_BIN ?? fileURLToPath(new URL("../../bin/swamp.js", import.meta.url));
