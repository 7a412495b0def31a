/**
 * Every command path and how to load it. The file for `swamp a b c` is `commands/a/b/c.ts`;
 * only the modules matching the typed path are imported.
 */
import type { CommandClass } from "clipanion";

export interface Route {
  path: readonly string[];
  load(): Promise<{ default: CommandClass<any> }>;
}

export const ROUTES: readonly Route[] = [
  { path: ["repo", "init"], load: () => import("./commands/repo/init.js") },
  { path: ["datastore", "status"], load: () => import("./commands/datastore/status.js") },
  { path: ["datastore", "lock", "status"], load: () => import("./commands/datastore/lock/status.js") },
  { path: ["datastore", "lock", "release"], load: () => import("./commands/datastore/lock/release.js") },
  { path: ["datastore", "setup", "filesystem"], load: () => import("./commands/datastore/setup/filesystem.js") },
  { path: ["datastore", "setup", "s3"], load: () => import("./commands/datastore/setup/s3.js") },
  { path: ["datastore", "sync"], load: () => import("./commands/datastore/sync.js") },
  { path: ["model", "create"], load: () => import("./commands/model/create.js") },
  { path: ["model", "get"], load: () => import("./commands/model/get.js") },
  { path: ["model", "search"], load: () => import("./commands/model/search.js") },
  { path: ["model", "list"], load: () => import("./commands/model/search.js") },
  { path: ["model", "edit"], load: () => import("./commands/model/edit.js") },
  { path: ["model", "validate"], load: () => import("./commands/model/validate.js") },
  { path: ["model", "delete"], load: () => import("./commands/model/delete.js") },
  { path: ["model", "output", "search"], load: () => import("./commands/model/output/search.js") },
  { path: ["model", "output", "get"], load: () => import("./commands/model/output/get.js") },
  { path: ["model", "output", "logs"], load: () => import("./commands/model/output/logs.js") },
  { path: ["model", "type", "search"], load: () => import("./commands/model/type/search.js") },
  { path: ["model", "type", "list"], load: () => import("./commands/model/type/search.js") },
  { path: ["model", "type", "describe"], load: () => import("./commands/model/type/describe.js") },
  { path: ["model", "type", "get"], load: () => import("./commands/model/type/describe.js") },
  { path: ["model", "method", "describe"], load: () => import("./commands/model/method/describe.js") },
  { path: ["model", "method", "run"], load: () => import("./commands/model/method/run.js") },
  { path: ["data", "get"], load: () => import("./commands/data/get.js") },
  { path: ["data", "list"], load: () => import("./commands/data/list.js") },
  { path: ["data", "versions"], load: () => import("./commands/data/versions.js") },
  { path: ["data", "search"], load: () => import("./commands/data/search.js") },
  { path: ["data", "query"], load: () => import("./commands/data/query.js") },
  { path: ["data", "rename"], load: () => import("./commands/data/rename.js") },
  { path: ["data", "delete"], load: () => import("./commands/data/delete.js") },
  { path: ["data", "gc"], load: () => import("./commands/data/gc.js") },
  // swamp workflow … (runs) and swamp run …
  { path: ["workflow", "run", "search"], load: () => import("./commands/workflow/run/search.js") },
  { path: ["workflow", "run", "list"], load: () => import("./commands/workflow/run/search.js") },
  { path: ["workflow", "history", "get"], load: () => import("./commands/workflow/history/get.js") },
  { path: ["workflow", "history"], load: () => import("./commands/workflow/history/get.js") },
  { path: ["workflow", "history", "search"], load: () => import("./commands/workflow/history/search.js") },
  { path: ["workflow", "history", "list"], load: () => import("./commands/workflow/history/search.js") },
  { path: ["workflow", "history", "logs"], load: () => import("./commands/workflow/history/logs.js") },
  { path: ["workflow", "cancel"], load: () => import("./commands/workflow/cancel.js") },
  { path: ["run", "gc"], load: () => import("./commands/run/gc.js") },
  // swamp vault …
  { path: ["vault", "create"], load: () => import("./commands/vault/create.js") },
  { path: ["vault", "get"], load: () => import("./commands/vault/get.js") },
  { path: ["vault", "describe"], load: () => import("./commands/vault/describe.js") },
  { path: ["vault", "search"], load: () => import("./commands/vault/search.js") },
  { path: ["vault", "list"], load: () => import("./commands/vault/search.js") },
  { path: ["vault", "put"], load: () => import("./commands/vault/put.js") },
  { path: ["vault", "write-secret"], load: () => import("./commands/vault/put.js") },
  { path: ["vault", "read-secret"], load: () => import("./commands/vault/read-secret.js") },
  { path: ["vault", "list-keys"], load: () => import("./commands/vault/list-keys.js") },
  { path: ["vault", "delete"], load: () => import("./commands/vault/delete.js") },
  { path: ["vault", "edit"], load: () => import("./commands/vault/edit.js") },
  { path: ["vault", "annotate"], load: () => import("./commands/vault/annotate.js") },
  { path: ["vault", "inspect"], load: () => import("./commands/vault/inspect.js") },
  { path: ["vault", "migrate"], load: () => import("./commands/vault/migrate.js") },
  { path: ["vault", "audit-trail"], load: () => import("./commands/vault/audit-trail.js") },
  { path: ["vault", "type", "search"], load: () => import("./commands/vault/type/search.js") },
  { path: ["vault", "type", "list"], load: () => import("./commands/vault/type/search.js") },
  // swamp extension / doctor …
  { path: ["extension", "list"], load: () => import("./commands/extension/list.js") },
  { path: ["extension", "ls"], load: () => import("./commands/extension/list.js") },
  { path: ["extension", "pull"], load: () => import("./commands/extension/pull.js") },
  { path: ["extension", "install"], load: () => import("./commands/extension/install.js") },
  { path: ["extension", "rm"], load: () => import("./commands/extension/rm.js") },
  { path: ["extension", "remove"], load: () => import("./commands/extension/rm.js") },
  { path: ["extension", "update"], load: () => import("./commands/extension/update.js") },
  { path: ["extension", "outdated"], load: () => import("./commands/extension/outdated.js") },
  { path: ["extension", "push"], load: () => import("./commands/extension/push.js") },
  { path: ["extension", "search"], load: () => import("./commands/extension/search.js") },
  { path: ["extension", "info"], load: () => import("./commands/extension/info.js") },
  { path: ["extension", "new"], load: () => import("./commands/extension/new.js") },
  { path: ["extension", "trust", "list"], load: () => import("./commands/extension/trust/list.js") },
  { path: ["extension", "trust", "add"], load: () => import("./commands/extension/trust/add.js") },
  { path: ["extension", "trust", "rm"], load: () => import("./commands/extension/trust/rm.js") },
  { path: ["extension", "trust", "remove"], load: () => import("./commands/extension/trust/rm.js") },
  { path: ["extension", "source", "add"], load: () => import("./commands/extension/source/add.js") },
  { path: ["extension", "source", "list"], load: () => import("./commands/extension/source/list.js") },
  { path: ["extension", "source", "ls"], load: () => import("./commands/extension/source/list.js") },
  { path: ["extension", "source", "rm"], load: () => import("./commands/extension/source/rm.js") },
  { path: ["extension", "source", "remove"], load: () => import("./commands/extension/source/rm.js") },
  { path: ["doctor", "extensions"], load: () => import("./commands/doctor/extensions.js") },
  { path: ["doctor", "workflows"], load: () => import("./commands/doctor/workflows.js") },
  // swamp workflow … (the workflow files)
  { path: ["workflow", "create"], load: () => import("./commands/workflow/create.js") },
  { path: ["workflow", "get"], load: () => import("./commands/workflow/get.js") },
  { path: ["workflow", "search"], load: () => import("./commands/workflow/search.js") },
  { path: ["workflow", "list"], load: () => import("./commands/workflow/search.js") },
  { path: ["workflow", "validate"], load: () => import("./commands/workflow/validate.js") },
  { path: ["workflow", "edit"], load: () => import("./commands/workflow/edit.js") },
  { path: ["workflow", "delete"], load: () => import("./commands/workflow/delete.js") },
  { path: ["workflow", "schema", "get"], load: () => import("./commands/workflow/schema/get.js") },
  // swamp data …
  // swamp workflow …
  { path: ["workflow", "run"], load: () => import("./commands/workflow/run.js") },
  { path: ["workflow", "evaluate"], load: () => import("./commands/workflow/evaluate.js") },
];

/** Routes whose path agrees with the leading words of argv; all routes when none does. */
export function routesFor(argv: readonly string[]): Route[] {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  let best: Route[] = [];
  let bestDepth = 0;
  for (const route of ROUTES) {
    let depth = 0;
    while (depth < route.path.length && depth < words.length && route.path[depth] === words[depth]) depth++;
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
