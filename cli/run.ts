/**
 * Builds the clipanion CLI from the routes the arguments name, parses, and runs the command.
 * Usage errors exit 2. SIGINT and SIGTERM go through the one shutdown mechanism
 * (kernel/runtime/shutdown.ts): a running method is stopped and recorded first, held locks are
 * released, and the exit code is 130 or 143.
 */
import { Cli, type CommandClass } from "clipanion";
import { ExitCode, UsageError } from "../kernel/contract/errors.js";
import { releaseHeldLocks } from "../kernel/runtime/locks.js";
import { installShutdownHandlers, registerCleanup, shutdownExitCode } from "../kernel/runtime/shutdown.js";
import { renderError } from "./output.js";
import { routesFor } from "./routes.js";
import { VERSION } from "./version.js";

/** `swamp model @<type> method run …` is spelled type-first; clipanion sees `model method run @<type> …`. */
export function rewriteDirectTypeArgv(argv: string[]): string[] {
  if (argv[0] === "model" && argv[1]?.startsWith("@") && argv[2] === "method" && argv[3] === "run") {
    return ["model", "method", "run", argv[1], ...argv.slice(4)];
  }
  return argv;
}

/** `swamp data` (a group, not a command): list the group's commands instead of failing obscurely. */
function commandGroupListing(argv: string[], commands: CommandClass<any>[]): string | null {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  if (words.length === 0) return null;
  const rows: Array<[string, string]> = [];
  for (const c of new Set(commands)) {
    const path = c.paths?.[0];
    if (path && path.length > words.length && words.every((w, i) => path[i] === w)) {
      rows.push([`swamp ${path.join(" ")}`, c.usage?.description ?? ""]);
    }
  }
  if (rows.length === 0) return null;
  rows.sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(...rows.map(([p]) => p.length));
  return `Usage: swamp ${words.join(" ")} <command>\n\nCommands:\n${rows.map(([p, d]) => `  ${p.padEnd(width)}  ${d}`).join("\n")}\n`;
}

export async function runCli(rawArgv: string[]): Promise<number> {
  const argv = rewriteDirectTypeArgv(rawArgv);
  const streams = { stdout: process.stdout, stderr: process.stderr };
  const json = argv.includes("--json");
  const enableColors = !!process.stdout.isTTY && !process.env.NO_COLOR;
  const cli = new Cli({ binaryName: "swamp", binaryLabel: "swamp", binaryVersion: VERSION, enableCapture: false, enableColors });
  const modules = await Promise.all(routesFor(argv).map((r) => r.load()));
  for (const command of new Set(modules.map((m) => m.default))) cli.register(command);
  if (argv.length === 0 || (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h"))) {
    process.stdout.write(cli.usage(null));
    return argv.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  const context = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
  let command;
  try {
    command = cli.process(argv, context);
  } catch (err) {
    const group = commandGroupListing(argv, modules.map((m) => m.default));
    if (group) {
      process.stdout.write(group);
      return argv.includes("--help") || argv.includes("-h") ? ExitCode.ok : ExitCode.usage;
    }
    const message = err instanceof Error ? err.message.trim().split("\n")[0] ?? "" : String(err);
    return renderError(new UsageError(`${message} (see 'swamp --help')`), streams, { json, verbose: false });
  }
  installShutdownHandlers();
  registerCleanup(releaseHeldLocks);
  let code: number;
  try {
    // cli.run handles --help and gives the command its cli object; commands render their own errors.
    code = await cli.run(command, context);
  } catch (err) {
    code = renderError(err, streams, { json, verbose: argv.includes("--verbose") });
  }
  return shutdownExitCode() ?? code;
}
