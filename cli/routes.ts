/**
 * Every command: its path (and aliases), the one-line description help shows, and how to load
 * it. The file for `swamp a b c` is `commands/a/b/c.ts`; only the modules matching the typed
 * path are imported, and help, suggestions and completion answer from this table alone
 * (a unit test keeps each description equal to the command's own `usage.description`).
 */
import type { CommandClass } from "clipanion";

export interface Route {
  path: readonly string[];
  /** Other spellings of the same command (clipanion `paths` after the first). */
  aliases?: readonly (readonly string[])[];
  description: string;
  load(): Promise<{ default: CommandClass<any> }>;
}

/** The top-level words, in the order help lists them, with what each group is for. */
export const NOUNS: ReadonlyArray<{ name: string; description: string }> = [
  { name: "repo", description: "Create a swamp repository" },
  { name: "model", description: "Define models, run their methods, inspect runs and model types" },
  { name: "data", description: "Read, search, rename, delete and garbage-collect the data models produce" },
  { name: "workflow", description: "Create, validate and run workflows; inspect and cancel their runs" },
  { name: "vault", description: "Create vaults and store, read and annotate secrets" },
  { name: "datastore", description: "Choose where runtime data lives, sync it, inspect and release locks" },
  { name: "extension", description: "Pull, install, update, publish and trust extensions" },
  { name: "doctor", description: "Check that extensions and workflows load" },
  { name: "run", description: "Delete old workflow runs and method outputs" },
  { name: "completion", description: "Print a shell completion script (bash, zsh or fish)" },
  { name: "help", description: "Show help for swamp or for a command" },
];

export const ROUTES: readonly Route[] = [
  { path: ["repo", "init"], description: "Create a swamp repository", load: () => import("./commands/repo/init.js") },
  { path: ["model", "create"], description: "Create a model definition in models/<type>/<id>.yaml", load: () => import("./commands/model/create.js") },
  { path: ["model", "get"], description: "Show a model definition", load: () => import("./commands/model/get.js") },
  { path: ["model", "search"], aliases: [["model", "list"]], description: "List model definitions in models/, optionally filtered", load: () => import("./commands/model/search.js") },
  { path: ["model", "edit"], description: "Edit a model definition (from piped YAML, or in $EDITOR)", load: () => import("./commands/model/edit.js") },
  { path: ["model", "validate"], description: "Check model definitions against their types: arguments, expressions, checks", load: () => import("./commands/model/validate.js") },
  { path: ["model", "delete"], description: "Delete a model definition, its run records and (with --force) its data", load: () => import("./commands/model/delete.js") },
  { path: ["model", "output", "search"], description: "List method runs, newest first", load: () => import("./commands/model/output/search.js") },
  { path: ["model", "output", "get"], description: "Show one method run (by id, id prefix, or the latest run of a model)", load: () => import("./commands/model/output/get.js") },
  { path: ["model", "output", "logs"], description: "Print the log of a method run", load: () => import("./commands/model/output/logs.js") },
  { path: ["model", "type", "search"], aliases: [["model", "type", "list"]], description: "List the model types this repo can use", load: () => import("./commands/model/type/search.js") },
  { path: ["model", "type", "describe"], aliases: [["model", "type", "get"]], description: "Show a model type's arguments, methods and data outputs", load: () => import("./commands/model/type/describe.js") },
  { path: ["model", "method", "describe"], description: "Show a method's arguments and the data it produces", load: () => import("./commands/model/method/describe.js") },
  { path: ["model", "method", "run"], description: "Run a method of a model and store what it produces", load: () => import("./commands/model/method/run.js") },
  { path: ["data", "get"], description: "Show one version of a data item (the latest by default) with its content", load: () => import("./commands/data/get.js") },
  { path: ["data", "list"], description: "List the data of a model (latest version of each item), grouped by type", load: () => import("./commands/data/list.js") },
  { path: ["data", "versions"], description: "Show every version of a data item, newest first (JSON in both modes)", load: () => import("./commands/data/versions.js") },
  { path: ["data", "search"], description: "Search the latest version of every data item in the repository", load: () => import("./commands/data/search.js") },
  { path: ["data", "query"], description: "Query data with a CEL predicate over DataRecord fields", load: () => import("./commands/data/query.js") },
  { path: ["data", "rename"], description: "Rename a data item, leaving a forward reference under the old name", load: () => import("./commands/data/rename.js") },
  { path: ["data", "delete"], description: "Delete a data item (all versions or one), or every item matching a prefix", load: () => import("./commands/data/delete.js") },
  { path: ["data", "gc"], description: "Garbage-collect data: delete expired items and prune versions beyond their policy", load: () => import("./commands/data/gc.js") },
  { path: ["workflow", "run", "search"], aliases: [["workflow", "run", "list"]], description: "Search workflow runs, newest first", load: () => import("./commands/workflow/run/search.js") },
  { path: ["workflow", "history", "get"], aliases: [["workflow", "history"]], description: "Show one workflow run: by run id, unique id prefix, or the latest run of a workflow", load: () => import("./commands/workflow/history/get.js") },
  { path: ["workflow", "history", "search"], aliases: [["workflow", "history", "list"]], description: "List the runs of every workflow, newest first", load: () => import("./commands/workflow/history/search.js") },
  { path: ["workflow", "history", "logs"], description: "Print the log of a workflow run (by run id, unique prefix, or the latest run of a workflow)", load: () => import("./commands/workflow/history/logs.js") },
  { path: ["workflow", "cancel"], description: "Cancel a running workflow run", load: () => import("./commands/workflow/cancel.js") },
  { path: ["workflow", "create"], description: "Create a workflow file (workflows/workflow-<name>.yaml) with one example job and step", load: () => import("./commands/workflow/create.js") },
  { path: ["workflow", "get"], description: "Show a workflow: inputs, jobs and steps with their dependencies", load: () => import("./commands/workflow/get.js") },
  { path: ["workflow", "search"], aliases: [["workflow", "list"]], description: "List workflows, optionally filtered by a substring of name, id or description", load: () => import("./commands/workflow/search.js") },
  { path: ["workflow", "validate"], description: "Check workflows: schema, names, dependencies, cycles, models, methods and required inputs; exit 1 on failure", load: () => import("./commands/workflow/validate.js") },
  { path: ["workflow", "edit"], description: "Edit a workflow file (from piped YAML, or in $EDITOR)", load: () => import("./commands/workflow/edit.js") },
  { path: ["workflow", "delete"], description: "Delete a workflow file with all its run records (its workflow-lifetime data expires at the next data gc)", load: () => import("./commands/workflow/delete.js") },
  { path: ["workflow", "schema", "get"], description: "Print the JSON Schemas of the workflow file: workflow, job, step, task, dependencies, conditions", load: () => import("./commands/workflow/schema/get.js") },
  { path: ["workflow", "run"], description: "Run a workflow: its jobs and steps, in dependency order, and record the run", load: () => import("./commands/workflow/run.js") },
  { path: ["workflow", "evaluate"], description: "Evaluate a workflow's expressions without running it, and save the evaluated copy", load: () => import("./commands/workflow/evaluate.js") },
  { path: ["run", "gc"], description: "Delete finished workflow runs and method outputs (records and logs) older than a retention period", load: () => import("./commands/run/gc.js") },
  { path: ["vault", "create"], description: "Create a vault: a named secret store of a vault type, configured in vaults/<type>/<id>.yaml", load: () => import("./commands/vault/create.js") },
  { path: ["vault", "get"], description: "Show a vault's configuration (never its secrets; see 'swamp vault read-secret')", load: () => import("./commands/vault/get.js") },
  { path: ["vault", "describe"], description: "Describe a vault (its configuration; never its secrets)", load: () => import("./commands/vault/describe.js") },
  { path: ["vault", "search"], aliases: [["vault", "list"]], description: "List the repository's vaults, optionally filtered by name, type or id prefix", load: () => import("./commands/vault/search.js") },
  { path: ["vault", "put"], aliases: [["vault", "write-secret"]], description: "Store a secret in a vault", load: () => import("./commands/vault/put.js") },
  { path: ["vault", "read-secret"], description: "Print a secret's value (the only command that reveals one)", load: () => import("./commands/vault/read-secret.js") },
  { path: ["vault", "list-keys"], description: "List the secret keys of a vault (names only, never values)", load: () => import("./commands/vault/list-keys.js") },
  { path: ["vault", "delete"], description: "Delete a secret from a vault", load: () => import("./commands/vault/delete.js") },
  { path: ["vault", "edit"], description: "Edit a vault's config file (vaults/<type>/<id>.yaml) in your editor", load: () => import("./commands/vault/edit.js") },
  { path: ["vault", "annotate"], description: "Describe a secret: a URL, notes and labels kept beside it (never its value)", load: () => import("./commands/vault/annotate.js") },
  { path: ["vault", "inspect"], description: "Show what is known about a secret without revealing it: size, shape, annotation, refresh hook", load: () => import("./commands/vault/inspect.js") },
  { path: ["vault", "migrate"], description: "Move a vault to another vault type, keeping its name, id, secrets, annotations and refresh hooks", load: () => import("./commands/vault/migrate.js") },
  { path: ["vault", "audit-trail"], description: "Show the vault audit trail: which secrets were written, deleted, annotated (and read, for vaults that audit reads)", load: () => import("./commands/vault/audit-trail.js") },
  { path: ["vault", "type", "search"], aliases: [["vault", "type", "list"]], description: "List the vault types available here (built in and from extensions), filtered by type, name or description", load: () => import("./commands/vault/type/search.js") },
  { path: ["datastore", "status"], description: "Show which datastore this repo uses and whether it is healthy", load: () => import("./commands/datastore/status.js") },
  { path: ["datastore", "lock", "status"], description: "Show who holds the datastore's global lock and any per-model locks", load: () => import("./commands/datastore/lock/status.js") },
  { path: ["datastore", "lock", "release"], description: "Break a lock left behind by a crashed process", load: () => import("./commands/datastore/lock/release.js") },
  { path: ["datastore", "setup", "filesystem"], description: "Keep this repo's runtime data in a directory of your choice", load: () => import("./commands/datastore/setup/filesystem.js") },
  { path: ["datastore", "setup", "s3"], description: "Keep this repo's runtime data in an S3 bucket shared by a team and CI", load: () => import("./commands/datastore/setup/s3.js") },
  { path: ["datastore", "sync"], description: "Pull remote changes into the local cache and push local changes to the remote datastore", load: () => import("./commands/datastore/sync.js") },
  { path: ["extension", "list"], aliases: [["extension", "ls"]], description: "List the pulled extensions (from the lockfile) and every extension source the repo loads, with its state", load: () => import("./commands/extension/list.js") },
  { path: ["extension", "pull"], description: "Install an extension from the npm-protocol registry into .swamp/pulled-extensions and pin it in the lockfile", load: () => import("./commands/extension/pull.js") },
  { path: ["extension", "install"], description: "Restore every extension in the lockfile at its pinned version, integrity verified", load: () => import("./commands/extension/install.js") },
  { path: ["extension", "rm"], aliases: [["extension", "remove"]], description: "Remove a pulled extension: its lockfile entry and its files under .swamp/pulled-extensions", load: () => import("./commands/extension/rm.js") },
  { path: ["extension", "update"], description: "Move pulled extensions (or one) to the registry's latest version and re-pin the lockfile", load: () => import("./commands/extension/update.js") },
  { path: ["extension", "outdated"], description: "List pulled extensions that are not at the registry's latest version (exit 1 when an update is available)", load: () => import("./commands/extension/outdated.js") },
  { path: ["extension", "push"], description: "Pack an extension from its manifest.yaml and publish it to the npm-protocol registry", load: () => import("./commands/extension/push.js") },
  { path: ["extension", "search"], description: "Search the npm-protocol registry for swamp extensions", load: () => import("./commands/extension/search.js") },
  { path: ["extension", "info"], description: "Show a published extension: description, versions, labels, content and integrity", load: () => import("./commands/extension/info.js") },
  { path: ["extension", "trust", "list"], description: "Show which collectives' extensions may be installed on first use", load: () => import("./commands/extension/trust/list.js") },
  { path: ["extension", "trust", "add"], description: "Trust a collective: its extensions may be installed on first use", load: () => import("./commands/extension/trust/add.js") },
  { path: ["extension", "trust", "rm"], aliases: [["extension", "trust", "remove"]], description: "Stop trusting a collective", load: () => import("./commands/extension/trust/rm.js") },
  { path: ["extension", "source", "add"], description: "Load extensions from a directory outside the repo, as if they were local", load: () => import("./commands/extension/source/add.js") },
  { path: ["extension", "source", "list"], aliases: [["extension", "source", "ls"]], description: "List the extension source directories and whether each can be loaded", load: () => import("./commands/extension/source/list.js") },
  { path: ["extension", "source", "rm"], aliases: [["extension", "source", "remove"]], description: "Stop loading extensions from a source directory", load: () => import("./commands/extension/source/rm.js") },
  { path: ["doctor", "extensions"], description: "Check that every extension builds, loads and registers; exit 1 when one does not", load: () => import("./commands/doctor/extensions.js") },
  { path: ["doctor", "workflows"], description: "Load every workflow file and report the ones that fail (file, line, reason); exit 1 when one does", load: () => import("./commands/doctor/workflows.js") },
  { path: ["completion"], description: "Print a shell completion script (bash, zsh or fish)", load: () => import("./commands/completion.js") },
  { path: ["help"], description: "Show help for swamp or for a command", load: () => import("./commands/help.js") },
];

/** Every spelling of a route's command. */
export function routePaths(route: Route): readonly (readonly string[])[] {
  return [route.path, ...(route.aliases ?? [])];
}

/** The leading words of argv: the command path and positionals before the first option. */
export function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  return words;
}

/** The command `words` start with (its longest matching spelling), if any. */
export function findRoute(words: readonly string[]): { route: Route; path: readonly string[] } | undefined {
  let found: { route: Route; path: readonly string[] } | undefined;
  for (const route of ROUTES) {
    for (const path of routePaths(route)) {
      if (path.length <= words.length && path.every((w, i) => words[i] === w) && path.length > (found?.path.length ?? 0)) {
        found = { route, path };
      }
    }
  }
  return found;
}

/** Routes whose path agrees with the leading words of argv; all routes when none does. */
export function routesFor(argv: readonly string[]): Route[] {
  const words = commandWords(argv);
  let best: Route[] = [];
  let bestDepth = 0;
  for (const route of ROUTES) {
    let depth = 0;
    for (const path of routePaths(route)) {
      let d = 0;
      while (d < path.length && d < words.length && path[d] === words[d]) d++;
      depth = Math.max(depth, d);
    }
    if (depth === 0) continue;
    if (depth > bestDepth) {
      best = [route];
      bestDepth = depth;
    } else if (depth === bestDepth) {
      best.push(route);
    }
  }
  return best.length > 0 ? best : [...ROUTES];
}
