/**
 * Help text: the top level and each group from the static route table (no command module is
 * loaded), one command's help from its own clipanion definition with option values named.
 * Loaded only when help is asked for (or a usage error needs a command's options).
 */
import { Cli, type CommandClass } from "clipanion";
import { findRoute, NOUNS, ROUTES, type Route } from "./routes.js";
import { table as renderTable } from "./table.js";

/** What a value looks like, for options whose name does not say it well enough. */
const VALUE_NAMES: Record<string, string> = {
  "--input": "key=value",
  "--arg": "key=value",
  "--global-arg": "key=value",
  "--tag": "key=value",
  "--input-file": "file",
  "--value-file": "file",
  "--repo-dir": "dir",
  "--path": "dir",
  "--datastore": "spec",
  "--config": "json",
  "--limit": "n",
  "--tail": "n",
  "--page": "n",
  "--per-page": "n",
};

export interface OptionSpec {
  /** Every spelling, e.g. ["-y", "--yes"]. */
  names: string[];
  /** The value placeholder (`key=value`), or undefined for a flag. */
  value: string | undefined;
  description: string;
  required: boolean;
}

export interface CommandSpec {
  /** `swamp data get [model] [data_name]`. */
  usage: string;
  /** Positional names in order (`model`, `data_name`); a trailing `...` marks a rest list. */
  positionals: string[];
  options: OptionSpec[];
  description: string;
  details: string | undefined;
  examples: Array<[string, string]>;
}

function valueName(names: readonly string[]): string {
  const long = names.find((n) => n.startsWith("--")) ?? names[0] ?? "value";
  // Else the option's last word: `--skip-check-label <label>`, `--owner-type <type>`.
  return VALUE_NAMES[long] ?? long.replace(/^-+/, "").split("-").pop() ?? "value";
}

/** A command's usage, positionals and options as clipanion defines them. */
export function commandSpec(command: CommandClass<any>): CommandSpec {
  const cli = new Cli({ binaryName: "swamp" });
  cli.register(command);
  const def = cli.definitions()[0];
  if (!def) throw new Error("command has no usage");
  const path = def.path.split(" ");
  // clipanion spells a rest list as a bare `...`.
  const usage = def.usage.replace(/ \.\.\.$/, " [args...]");
  const positionals = usage
    .split(" ")
    .slice(path.length)
    .map((t) => t.replace(/^[[<]|[\]>]$/g, ""));
  const options = def.options.map((o) => {
    const [namePart = "", arity] = o.definition.split(" ");
    const names = namePart.split(",");
    return { names, value: arity === undefined ? undefined : valueName(names), description: o.description ?? "", required: o.required };
  });
  return {
    usage,
    positionals,
    options,
    description: (def.description ?? "").trim(),
    details: def.details?.trim(),
    examples: (def.examples ?? []).map(([label, line]) => [label.trim(), line]),
  };
}

/** Two aligned columns; help is never cut to the terminal's width (it is read, not scanned). */
function table(rows: ReadonlyArray<readonly [string, string]>): string {
  return renderTable(rows, { indent: "  ", fit: false });
}

export function topLevelHelp(version: string): string {
  return [
    `swamp ${version}: typed model definitions, methods that run, and versioned data`,
    "",
    "Usage: swamp <command> [options]",
    "",
    "Commands:",
    table(NOUNS.map((n) => [n.name, n.description])),
    "",
    "Run 'swamp <command> --help' (or 'swamp help <command>') for a group's commands or one command's options.",
    "",
  ].join("\n");
}

/** The commands under `prefix` (one line each), or null when no command starts with it. */
export function groupHelp(prefix: readonly string[]): string | null {
  const rows: Array<[string, string]> = [];
  for (const route of ROUTES) {
    if (route.path.length <= prefix.length || !prefix.every((w, i) => route.path[i] === w)) continue;
    const aliases = (route.aliases ?? [])
      .filter((a) => a.length > prefix.length && prefix.every((w, i) => a[i] === w))
      .map((a) => a.slice(prefix.length).join(" "));
    const name = route.path.slice(prefix.length).join(" ") + (aliases.length > 0 ? ` (${aliases.join(", ")})` : "");
    rows.push([name, route.description]);
  }
  if (rows.length === 0) return null;
  const noun = prefix.length === 1 ? NOUNS.find((n) => n.name === prefix[0]) : undefined;
  return [
    ...(noun ? [noun.description, ""] : []),
    `Usage: swamp ${prefix.join(" ")} <command> [options]`,
    "",
    "Commands:",
    table(rows),
    "",
    `Run 'swamp ${prefix.join(" ")} <command> --help' for a command's options and examples.`,
    "",
  ].join("\n");
}

export function commandHelp(route: Route, command: CommandClass<any>): string {
  const spec = commandSpec(command);
  const optionRows = spec.options.map((o) => {
    const names = o.names.join(", ") + (o.value ? ` <${o.value}>` : "");
    return [names, o.description + (o.required ? " (required)" : "")] as const;
  });
  const aliases = (route.aliases ?? []).map((a) => `swamp ${a.join(" ")}`);
  const required = spec.options.filter((o) => o.required).map((o) => `${o.names[o.names.length - 1]} <${o.value ?? "value"}>`);
  const lines = [
    spec.description,
    "",
    `Usage: ${[spec.usage, ...required].join(" ")} [options]`,
    ...(aliases.length > 0 ? [`Also: ${aliases.join(", ")}`] : []),
  ];
  if (spec.details) lines.push("", spec.details);
  if (optionRows.length > 0) lines.push("", "Options:", table(optionRows));
  if (spec.examples.length > 0) {
    lines.push("", "Examples:");
    for (const [label, line] of spec.examples) lines.push(`  ${label}`, `    $ ${line}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Help for the words of a command line: the top level (no words), a group, or a command; an
 * error line (with the nearest commands) when the words name nothing.
 */
export async function helpFor(words: readonly string[], version: string): Promise<{ text: string } | { error: string }> {
  if (words.length === 0) return { text: topLevelHelp(version) };
  const found = findRoute(words);
  const group = groupHelp(words);
  // A command whose path is all the words, or one followed by positionals: that command's help.
  if (found && (found.path.length === words.length || !group)) {
    const command = (await found.route.load()).default;
    return { text: commandHelp(found.route, command) };
  }
  if (group) return { text: group };
  const { unknownCommandMessage } = await import("./suggest.js");
  return { error: unknownCommandMessage(words) };
}
