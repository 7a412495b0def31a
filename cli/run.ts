/**
 * Builds the clipanion CLI from the routes the arguments name, parses, and runs the command.
 * Usage errors exit 2. SIGINT and SIGTERM go through the one shutdown mechanism
 * (kernel/runtime/shutdown.ts): a running method is stopped and recorded first, held locks are
 * released, and the exit code is 130 or 143.
 */
import { Cli } from "clipanion";
import { ExitCode, UsageError } from "../kernel/contract/errors.js";
import { releaseHeldLocks } from "../kernel/runtime/locks.js";
import { installShutdownHandlers, registerCleanup, shutdownExitCode } from "../kernel/runtime/shutdown.js";
import { renderError } from "./output.js";
import { commandWords, findRoute, routesFor } from "./routes.js";
import { VERSION } from "./version.js";
import { colourEnabled } from "./colour.js";

/** `swamp model @<type> method run …` is spelled type-first; clipanion sees `model method run @<type> …`. */
export function rewriteDirectTypeArgv(argv: string[]): string[] {
  if (argv[0] === "model" && argv[1]?.startsWith("@") && argv[2] === "method" && argv[3] === "run") {
    return ["model", "method", "run", argv[1], ...argv.slice(4)];
  }
  return argv;
}

/** `-h`/`--help` before any `--`. */
function asksForHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "-h" || a === "--help") return true;
  }
  return false;
}

/**
 * Help, a bare group (`swamp data`) and unknown commands are answered from the route table
 * (cli/help.ts, cli/suggest.ts), which normal runs never load.
 */
async function answerWithoutCommand(argv: string[], words: string[], streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, json: boolean): Promise<number> {
  const help = asksForHelp(argv);
  const stray = words.length === 0 && !help ? argv.find((a) => a.startsWith("-") && !["--json", "--version", "-v"].includes(a)) : undefined;
  if (stray !== undefined) return renderError(new UsageError(`unknown option '${stray}' (see 'swamp --help')`), streams, { json, verbose: false });
  const { helpFor } = await import("./help.js");
  const answer = await helpFor(words, VERSION);
  if ("error" in answer) return renderError(new UsageError(answer.error), streams, { json, verbose: false });
  streams.stdout.write(answer.text);
  return help ? ExitCode.ok : ExitCode.usage;
}

export async function runCli(rawArgv: string[]): Promise<number> {
  const argv = rewriteDirectTypeArgv(rawArgv);
  const streams = { stdout: process.stdout, stderr: process.stderr };
  const json = argv.includes("--json");
  if (argv[0] === "__complete") {
    const { completeCommand } = await import("./completion.js");
    return completeCommand(argv.slice(1), process.stdout, process.env);
  }
  const words = commandWords(argv);
  const found = findRoute(words);
  if (!found || asksForHelp(argv)) return answerWithoutCommand(argv, words, streams, json);
  const enableColors = colourEnabled(process.stdout);
  const cli = new Cli({ binaryName: "swamp", binaryLabel: "swamp", binaryVersion: VERSION, enableCapture: false, enableColors });
  const modules = await Promise.all(routesFor(argv).map((r) => r.load()));
  for (const command of new Set(modules.map((m) => m.default))) cli.register(command);
  // stdin is opened only by a command that reads it (see clipanionEdits in scripts/bundle.mjs).
  const context = {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
  };
  let command;
  try {
    command = cli.process(argv, context);
  } catch (err) {
    // `swamp workflow history` alone: the alias is also a group's name, so list the group.
    if (found.path !== found.route.path && found.path.length === words.length) {
      const { groupHelp } = await import("./help.js");
      const group = groupHelp(words);
      if (group) {
        process.stdout.write(group);
        return ExitCode.usage;
      }
    }
    const reason = err instanceof Error ? (err.message.trim().split("\n")[0] ?? "") : String(err);
    const { commandUsageMessage } = await import("./suggest.js");
    const target = (await found.route.load()).default;
    return renderError(new UsageError(commandUsageMessage(argv, found.path, target, reason)), streams, { json, verbose: false });
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
