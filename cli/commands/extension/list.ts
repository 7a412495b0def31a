import { Command } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { displayPath, reconcile } from "../../../plugins/catalog.js";
import { isolationFor, isolationPolicy } from "../../../plugins/isolation.js";
import { lockfilePath, readLockfile } from "../../../plugins/registry/lockfile.js";
import { resolveSourceDirs } from "../../../plugins/registry/sources.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";

export interface ExtensionRow {
  kind: string;
  type: string | null;
  name: string | null;
  description: string | null;
  source: string;
  state: string;
  isolation: string;
  fingerprint: string | null;
  bundlePath: string | null;
  lastError?: string;
}

export default class ExtensionListCommand extends SwampCommand {
  static override paths = [
    ["extension", "list"],
    ["extension", "ls"],
  ];
  static override usage = Command.Usage({
    description: "List the pulled extensions (from the lockfile) and every extension source the repo loads, with its state",
    details:
      "`extensions` lists the lockfile's entries (name, version, pulledAt, files), sorted by name. `catalog` lists every " +
      "extension source the repo loads (extensions/<kind>s or SWAMP_<KIND>S_DIR or the marker's <kind>sDir, source mounts, " +
      "pulled extensions) with its kind, type, state and isolation; sources are reconciled with the bundle cache first: a " +
      "new or changed source is rebuilt, an unchanged one is read from the manifest without loading its code.",
    examples: [["List extensions", "swamp extension list --json"]],
  });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const policy = isolationPolicy(marker);
    const sources = await resolveSourceDirs(repoDir, marker, process.env);
    for (const warning of sources.warnings) this.context.stderr.write(`warning: ${warning}\n`);
    const catalogs = await reconcile({ repoDir, marker, env: process.env, isolation: policy, sourceDirs: sources.dirs });
    const rows: ExtensionRow[] = [];
    for (const catalog of catalogs) {
      for (const e of catalog.entries) {
        const type = e.descriptor?.type ?? e.lastType;
        rows.push({
          kind: e.kind,
          type,
          name: e.descriptor?.name ?? null,
          description: e.descriptor?.description ?? null,
          source: e.source,
          state: e.state,
          isolation: isolationFor(policy, e.kind, type ?? undefined),
          fingerprint: e.fingerprint,
          bundlePath: e.bundlePath,
          ...(e.lastError ? { lastError: e.lastError } : {}),
        });
      }
    }
    // The spec's shape: `extensions` lists what the lockfile pins. What the repo loads (local, source-mounted and
    // pulled sources with their state) is extra information the spec does not define, under its own key.
    const lock = await readLockfile(lockfilePath(repoDir, marker, process.env));
    const extensions = Object.keys(lock)
      .sort()
      .map((name) => {
        const e = lock[name]!;
        return { name, version: e.version, pulledAt: e.pulledAt ?? null, files: e.files ?? [] };
      });
    this.emit({ extensions, catalog: rows }, () => {
      const lines = [
        extensions.length === 0
          ? "No upstream extensions installed. Use 'swamp extension pull @namespace/name' to install one."
          : extensions.map((p) => `${p.name}  v${p.version}${p.pulledAt ? `  (pulled ${p.pulledAt})` : ""}`).join("\n"),
      ];
      if (rows.length > 0) {
        lines.push(
          "",
          "Loaded by this repo:",
          table(
            rows.map((r) => [r.kind, r.type ?? "?", r.state, r.isolation, displayPath(repoDir, r.source)]),
            { header: ["KIND", "TYPE", "STATE", "ISOLATION", "SOURCE"] },
          ),
        );
      }
      for (const r of rows.filter((x) => x.lastError)) lines.push(`${displayPath(repoDir, r.source)}: ${r.lastError}`);
      return lines.join("\n");
    });
    return 0;
  }
}
