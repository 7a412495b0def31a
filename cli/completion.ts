/**
 * Shell completion. `swamp completion <shell>` prints a script; the script calls
 * `swamp __complete -- <words…>` (the words typed after `swamp`, the last one being completed)
 * which prints one candidate per line: command words from the route table, a command's options,
 * and values (model, data, workflow and vault names, model and vault types, a model's methods)
 * read from the repo's indexes, file names and bundle manifest, never by parsing definitions or
 * opening a vault.
 */
import { readdir, readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { commandSpec, type CommandSpec } from "./help.js";
import { commandWords, findRoute, ROUTES, routePaths } from "./routes.js";
import { rewriteDirectTypeArgv } from "./run.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(shell: Shell): string {
  switch (shell) {
    case "bash":
      return [
        "# swamp completion for bash: add to ~/.bashrc:  source <(swamp completion bash)",
        "_swamp_complete() {",
        "  local IFS=$'\\n'",
        '  COMPREPLY=($(swamp __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))',
        "}",
        "complete -o default -F _swamp_complete swamp",
        "",
      ].join("\n");
    case "zsh":
      return [
        "#compdef swamp",
        "# swamp completion for zsh: add to ~/.zshrc (after compinit):  source <(swamp completion zsh)",
        "_swamp() {",
        "  local -a candidates",
        '  candidates=(${(f)"$(swamp __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)"})',
        "  if (( ${#candidates} )); then compadd -Q -a candidates; else _files; fi",
        "}",
        "compdef _swamp swamp",
        "",
      ].join("\n");
    case "fish":
      return [
        "# swamp completion for fish:  swamp completion fish > ~/.config/fish/completions/swamp.fish",
        "function __swamp_complete",
        "    set -l tokens (commandline -opc) (commandline -ct)",
        "    swamp __complete -- $tokens[2..-1] 2>/dev/null",
        "end",
        "complete -c swamp -f -a '(__swamp_complete)'",
        "",
      ].join("\n");
  }
}

/** `--repo-dir` on the line, else `$SWAMP_REPO_DIR`, else the working directory. */
function repoDirOf(words: readonly string[], env: NodeJS.ProcessEnv): string {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "--repo-dir" && words[i + 1] !== undefined) return words[i + 1] as string;
    if (w.startsWith("--repo-dir=")) return w.slice("--repo-dir=".length);
  }
  return env.SWAMP_REPO_DIR || ".";
}

interface IndexedModel {
  name: string;
  id: string;
  type: string;
}

/** Model definitions as `.swamp/definitions-index.json` lists them. */
async function indexedModels(repoDir: string): Promise<IndexedModel[]> {
  try {
    const parsed = JSON.parse(await readFile(join(repoDir, ".swamp", "definitions-index.json"), "utf8")) as { entries?: unknown };
    if (!Array.isArray(parsed.entries)) return [];
    return parsed.entries.filter(
      (e): e is IndexedModel => !!e && typeof e.name === "string" && typeof e.id === "string" && typeof e.type === "string",
    );
  } catch {
    return [];
  }
}

async function dirNames(dir: string, keep: (name: string) => boolean = () => true): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && keep(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Where the datastore keeps `data/`: a configured filesystem path, else `<repo>/.swamp`. */
async function datastoreBase(repoDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { readMarker, markerPath } = await import("../kernel/runtime/marker.js");
    const { resolveDatastoreSpec } = await import("../kernel/runtime/datastore-config.js");
    const marker = await readMarker(repoDir);
    const spec = resolveDatastoreSpec({ repoDir, marker, markerFile: markerPath(repoDir), env });
    const path = spec.config.path;
    if (typeof path === "string") return isAbsolute(path) ? path : resolve(repoDir, path);
  } catch {
    // no marker or an unusual datastore: the default place
  }
  return join(repoDir, ".swamp");
}

/** The data names a model has (the name directories of its data folder). */
async function dataNames(repoDir: string, env: NodeJS.ProcessEnv, modelRef: string | undefined): Promise<string[]> {
  if (modelRef === undefined) return [];
  const model = (await indexedModels(repoDir)).find((m) => m.name === modelRef || m.id === modelRef);
  if (!model) return [];
  const { modelTypePath } = await import("../kernel/data/names.js");
  const base = await datastoreBase(repoDir, env);
  return dirNames(join(base, "data", modelTypePath(model.type), model.id), (n) => !n.startsWith("."));
}

async function workflowNames(repoDir: string): Promise<string[]> {
  try {
    return (await readdir(join(repoDir, "workflows"))).flatMap((f) => /^workflow-(.+)\.yaml$/.exec(f)?.[1] ?? []);
  } catch {
    return [];
  }
}

/** Built-in types of a kind, plus the model types the repo's definitions and extension bundles name. */
async function typeNames(repoDir: string, kind: "model" | "vault"): Promise<string[]> {
  const { builtinRegistry } = await import("./builtins.js");
  const names = builtinRegistry()
    .list(kind)
    .map((e) => e.type);
  if (kind === "model") {
    const { typesUnder } = await import("../plugins/registry/type-refs.js");
    names.push(...(await typesUnder(join(repoDir, "models"))));
    const { manifestPath } = await import("../plugins/manifest.js");
    try {
      const manifest = JSON.parse(await readFile(manifestPath(repoDir, "model"), "utf8")) as { entries?: Record<string, { lastType?: unknown }> };
      for (const e of Object.values(manifest.entries ?? {})) if (typeof e?.lastType === "string") names.push(e.lastType);
    } catch {
      // no extension models
    }
  }
  return names;
}

/** The descriptors of the repo's extension models, as their bundle manifest records them. */
async function extensionModels(repoDir: string): Promise<{ type?: unknown; methods?: unknown }[]> {
  const { manifestPath } = await import("../plugins/manifest.js");
  try {
    const manifest = JSON.parse(await readFile(manifestPath(repoDir, "model"), "utf8")) as { entries?: Record<string, { descriptor?: unknown }> };
    return Object.values(manifest.entries ?? {}).flatMap((e) => (e?.descriptor && typeof e.descriptor === "object" ? [e.descriptor] : []));
  } catch {
    return [];
  }
}

/**
 * The methods of a model's type: `ref` is a model name or id, or `@<type>` (the type-first
 * form). A built-in type's own methods, plus those extensions declare or add for that type.
 */
async function methodNames(repoDir: string, ref: string | undefined): Promise<string[]> {
  if (ref === undefined) return [];
  const types = ref.startsWith("@") ? [ref.slice(1), ref] : [(await indexedModels(repoDir)).find((m) => m.name === ref || m.id === ref)?.type];
  const names: string[] = [];
  const { builtinRegistry } = await import("./builtins.js");
  const registry = builtinRegistry();
  for (const type of types) {
    if (type === undefined) continue;
    const builtin = registry.get("model", type);
    if (builtin) names.push(...Object.keys((await builtin.load()).methods));
    for (const d of await extensionModels(repoDir)) {
      if (d.type === type && d.methods && typeof d.methods === "object") names.push(...Object.keys(d.methods));
    }
  }
  return names;
}

/** The repo's vault names, from the vault files as `vault search` lists them; nothing is decrypted. */
async function vaultNames(repoDir: string): Promise<string[]> {
  const { readMarker } = await import("../kernel/runtime/marker.js");
  const { vaultsDirOf } = await import("../kernel/vaults/service.js");
  const { VaultConfigRepository } = await import("../kernel/vaults/config.js");
  const marker = await readMarker(repoDir).catch(() => ({}));
  return (await new VaultConfigRepository(vaultsDirOf({ repoDir, marker })).list()).map((v) => v.config.name);
}

type ValueKind = "model" | "data" | "workflow" | "vault" | "method" | "modelType" | "vaultType" | "shell";

/** What a positional or option value names, by its name in the command's definition. */
function valueKind(name: string, path: readonly string[]): ValueKind | undefined {
  switch (name) {
    case "model":
    case "model_id_or_name":
    case "--model":
      return "model";
    case "data_name":
    case "old_name":
      return "data";
    case "--name":
      return path[0] === "data" ? "data" : undefined;
    case "workflow":
    case "workflow_id_or_name":
    case "run_or_workflow":
    case "--workflow":
      return "workflow";
    case "vault":
    case "--vault":
      return "vault";
    case "name_or_id":
      return path[0] === "vault" ? "vault" : undefined;
    case "method":
      return path[0] === "model" ? "method" : undefined;
    case "type":
      return path[0] === "model" ? "modelType" : path[0] === "vault" ? "vaultType" : undefined;
    case "shell":
      return "shell";
    default:
      return undefined;
  }
}

/** The words after the command path: positionals in order and option values by option name. */
function parseArgs(words: readonly string[], spec: CommandSpec): { positionals: string[]; options: Map<string, string> } {
  const takesValue = new Set(spec.options.filter((o) => o.value !== undefined).flatMap((o) => o.names));
  const positionals: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w.startsWith("-") && w !== "-") {
      const [name = w, inline] = w.split(/=(.*)/s);
      if (inline !== undefined) options.set(name, inline);
      else if (takesValue.has(name) && i + 1 < words.length) options.set(name, words[++i] as string);
    } else positionals.push(w);
  }
  return { positionals, options };
}

/** The next command words after `prefix` (e.g. `get`, `list`… after `data`). */
function nextWords(prefix: readonly string[]): string[] {
  const out = new Set<string>();
  for (const route of ROUTES) {
    for (const path of routePaths(route)) if (path.length > prefix.length && prefix.every((w, i) => path[i] === w)) out.add(path[prefix.length] as string);
  }
  return [...out];
}

/**
 * Candidates for the last of `words` (the words after `swamp`; the last may be empty), sorted
 * and without duplicates.
 */
export async function complete(words: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const current = words[words.length - 1] ?? "";
  const repoDir = repoDirOf(words, env);
  const done = (candidates: readonly string[]) => [...new Set(candidates.filter((c) => c.startsWith(current)))].sort();

  // The type-first form `model @<type> method run …`: its words, then as `model method run @<type> …`.
  const typed = words.slice(0, -1);
  if (typed[0] === "model" && typed.length === 1 && current.startsWith("@")) return done((await typeNames(repoDir, "model")).map((t) => (t.startsWith("@") ? t : `@${t}`)));
  if (typed[0] === "model" && typed[1]?.startsWith("@")) {
    if (typed.length === 2) return done(["method"]);
    if (typed.length === 3) return done(typed[2] === "method" ? ["run"] : []);
  }
  const before = rewriteDirectTypeArgv(typed);

  const leading = commandWords(before);
  const found = findRoute(leading);
  if (found?.route.path[0] === "help") return done(nextWords(leading.slice(1)));
  if (!found) return done(leading.length === before.length ? nextWords(leading) : []);

  const spec = commandSpec((await found.route.load()).default);
  const rest = before.slice(found.path.length);
  const previous = rest[rest.length - 1];
  const previousOption = previous !== undefined ? spec.options.find((o) => o.value !== undefined && o.names.includes(previous)) : undefined;
  const args = parseArgs(rest, spec);
  const valuesOf = async (kind: ValueKind | undefined): Promise<string[]> => {
    switch (kind) {
      case "model":
        return (await indexedModels(repoDir)).map((m) => m.name);
      case "data":
        return dataNames(repoDir, env, args.options.get("--model") ?? args.positionals[0]);
      case "workflow":
        return workflowNames(repoDir);
      case "vault":
        return vaultNames(repoDir);
      case "method":
        return methodNames(repoDir, args.positionals[0]);
      case "modelType":
        // Types may be typed with a leading `@` (`@command/shell`).
        return (await typeNames(repoDir, "model")).map((t) => (current.startsWith("@") && !t.startsWith("@") ? `@${t}` : t));
      case "vaultType":
        return typeNames(repoDir, "vault");
      case "shell":
        return [...SHELLS];
      default:
        return [];
    }
  };

  if (previousOption) {
    return done(await valuesOf(valueKind(previousOption.names[previousOption.names.length - 1] as string, found.path)));
  }
  if (current.startsWith("-")) return done(spec.options.flatMap((o) => o.names.filter((n) => n.startsWith("--"))));
  // Right after a path that is also a group's prefix (`workflow run`), its subcommands too.
  const subcommands = rest.length === 0 ? nextWords(found.path) : [];
  const positional = spec.positionals[args.positionals.length];
  return done([...subcommands, ...(positional !== undefined ? await valuesOf(valueKind(positional, found.path)) : [])]);
}

/** The hidden `swamp __complete -- <words…>` command: prints one candidate per line. */
export async function completeCommand(argv: readonly string[], stdout: NodeJS.WritableStream, env: NodeJS.ProcessEnv): Promise<number> {
  const words = argv[0] === "--" ? argv.slice(1) : argv;
  try {
    const candidates = await complete(words.length === 0 ? [""] : words, env);
    if (candidates.length > 0) stdout.write(`${candidates.join("\n")}\n`);
  } catch {
    // Completion never prints errors into the user's command line.
  }
  return 0;
}
