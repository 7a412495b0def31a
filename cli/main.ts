/**
 * The `swamp` entry point. Kept tiny: `--version` answers without loading anything else, and
 * every other invocation loads only the command modules its arguments name.
 */
import { guardStdio } from "./stdio.js";
import { VERSION } from "./version.js";

const argv = process.argv.slice(2);
guardStdio(argv.includes("--json"));

if (argv.length > 0 && argv.every((a) => a === "--version" || a === "-v" || a === "--json")) {
  process.stdout.write(argv.includes("--json") ? `${JSON.stringify({ version: VERSION }, null, 2)}\n` : `${VERSION}\n`);
} else {
  const { runCli } = await import("./run.js");
  process.exitCode = await runCli(argv);
}

