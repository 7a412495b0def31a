/**
 * Usage errors that say what was wrong and what was probably meant: an unknown command names
 * the nearest commands, an unknown option the nearest options of that command. The distance
 * itself lives in kernel/runtime/suggest.ts (shared with model-type and workflow suggestions).
 */
import type { CommandClass } from "clipanion";
import { nearestMatches, quotedChoices } from "../kernel/runtime/suggest.js";
import { commandSpec, type CommandSpec } from "./help.js";
import { ROUTES, routePaths } from "./routes.js";

/** Options every command has (cli/base.ts). */
const GLOBAL_OPTIONS = new Set(["--json", "--repo-dir", "--datastore", "--verbose"]);

function allPaths(): Array<readonly string[]> {
  return ROUTES.flatMap((r) => routePaths(r));
}

/** How many leading words agree with some command path (0: not even the first word). */
function knownDepth(words: readonly string[]): number {
  let depth = 0;
  for (const path of allPaths()) {
    let d = 0;
    while (d < path.length && d < words.length && path[d] === words[d]) d++;
    depth = Math.max(depth, d);
  }
  return depth;
}

/** `unknown command 'data lst'; did you mean 'data list'?` for words that name no command or group. */
export function unknownCommandMessage(words: readonly string[]): string {
  const depth = knownDepth(words);
  const prefix = words.slice(0, depth);
  const typed = words.slice(0, depth + 1).join(" ");
  const next = new Set<string>();
  for (const path of allPaths()) if (path.length > depth && prefix.every((w, i) => path[i] === w)) next.add(path[depth] as string);
  const suggestions = nearestMatches(words[depth] ?? "", [...next]).map((word) => {
    // Carry on with the words typed after the typo while they still spell a command: `modle get` → `model get`.
    const fixed = [...prefix, word];
    for (const w of words.slice(depth + 1)) {
      if (!allPaths().some((p) => p.length > fixed.length && fixed.every((x, i) => p[i] === x) && p[fixed.length] === w)) break;
      fixed.push(w);
    }
    return fixed.join(" ");
  });
  const help = `swamp ${[...prefix, "--help"].join(" ")}`;
  return suggestions.length > 0
    ? `unknown command '${typed}'; did you mean ${quotedChoices(suggestions)}?`
    : `unknown command '${typed}' (see '${help}')`;
}

/** The first option in argv (after the command path) that the command does not define. */
function unknownOption(argv: readonly string[], spec: CommandSpec): string | undefined {
  const long = new Set<string>();
  const short = new Set<string>();
  for (const o of spec.options) {
    for (const n of o.names) {
      if (n.startsWith("--")) {
        long.add(n);
        if (o.value === undefined) long.add(`--no-${n.slice(2)}`);
      } else short.add(n);
    }
  }
  for (const arg of argv) {
    if (arg === "--") break;
    if (arg === "-" || !arg.startsWith("-")) continue;
    const name = arg.split("=")[0] as string;
    if (name.startsWith("--")) {
      if (!long.has(name)) return name;
    } else {
      // `-yf`: each letter is a short flag.
      for (const letter of name.slice(1)) if (!short.has(`-${letter}`)) return name.length > 2 ? `-${letter}` : name;
    }
  }
  return undefined;
}

/**
 * The one line for argv that the command at `path` rejected: an unknown option with the nearest
 * ones, else clipanion's complaint (a missing value, a wrong number of arguments) with the usage.
 */
export function commandUsageMessage(argv: readonly string[], path: readonly string[], command: CommandClass<any>, reason: string): string {
  const spec = commandSpec(command);
  const help = `see 'swamp ${path.join(" ")} --help'`;
  const bad = unknownOption(argv.slice(path.length), spec);
  if (bad !== undefined) {
    const names = spec.options.flatMap((o) => o.names.filter((n) => n.startsWith("--")));
    const near = nearestMatches(bad, names);
    // Nothing close: the command's own options (the global ones are in every command's help).
    const own = names.filter((n) => !GLOBAL_OPTIONS.has(n));
    const hint = near.length > 0 ? `; did you mean ${quotedChoices(near)}?` : own.length > 0 ? `; its options are ${own.join(", ")}` : "";
    return `unknown option '${bad}' for 'swamp ${path.join(" ")}'${hint} (${help})`;
  }
  if (/^Command not found/.test(reason)) return `wrong arguments for 'swamp ${path.join(" ")}'; usage: ${spec.usage} [options] (${help})`;
  return `${reason.replace(/\.$/, "")} (${help})`;
}
