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
