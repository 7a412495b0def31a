/**
 * The CLI proper, bundled into one CommonJS file that the bin (cli/bin.ts) runs. Every
 * invocation loads only the command modules its arguments name.
 */
import { runCli } from "./run.js";
import { guardStdio } from "./stdio.js";

const argv = process.argv.slice(2);
guardStdio(argv.includes("--json"));
void runCli(argv).then((code) => {
  process.exitCode = code;
});
