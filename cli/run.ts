/**
 * Builds the clipanion CLI from the routes the arguments name, parses, and runs the command.
 * Usage errors exit 2; Ctrl-C and SIGTERM release held locks before exiting.
 */
import { Cli } from "clipanion";
import { ExitCode, UsageError } from "../kernel/contract/errors.js";
import { releaseHeldLocks } from "../kernel/runtime/locks.js";
import { renderError } from "./output.js";
import { routesFor } from "./routes.js";
import { VERSION } from "./version.js";

function installSignalHandlers(): void {
  let exiting = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (exiting) return;
    exiting = true;
    const code = signal === "SIGINT" ? 130 : 143;
    setTimeout(() => process.exit(code), 5000).unref();
    void releaseHeldLocks().finally(() => process.exit(code));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}

/** `swamp model @<type> method run …` is spelled type-first; clipanion sees `model method run @<type> …`. */
export function rewriteDirectTypeArgv(argv: string[]): string[] {
  if (argv[0] === "model" && argv[1]?.startsWith("@") && argv[2] === "method" && argv[3] === "run") {
    return ["model", "method", "run", argv[1], ...argv.slice(4)];
  }
  return argv;
}

export async function runCli(rawArgv: string[]): Promise<number> {
  const argv = rewriteDirectTypeArgv(rawArgv);
  const streams = { stdout: process.stdout, stderr: process.stderr };
  const json = argv.includes("--json");
  const cli = new Cli({ binaryName: "swamp", binaryLabel: "swamp", binaryVersion: VERSION, enableCapture: false });
  const modules = await Promise.all(routesFor(argv).map((r) => r.load()));
  for (const command of new Set(modules.map((m) => m.default))) cli.register(command);
  if (argv.length === 0 || (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h"))) {
    process.stdout.write(cli.usage(null));
    return argv.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  let command;
  try {
    command = cli.process(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  } catch (err) {
    const message = err instanceof Error ? err.message.trim().split("\n")[0] ?? "" : String(err);
    return renderError(new UsageError(`${message} (see 'swamp --help')`), streams, { json, verbose: false });
  }
  installSignalHandlers();
  try {
    const code = await command.validateAndExecute();
    return typeof code === "number" ? code : ExitCode.ok;
  } catch (err) {
    return renderError(err, streams, { json, verbose: argv.includes("--verbose") });
  }
}
