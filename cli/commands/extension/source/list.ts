import { Command } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../../kernel/runtime/marker.js";
import { readSources, resolvedKinds, resolveSource } from "../../../../plugins/registry/sources.js";
import { SwampCommand } from "../../../base.js";
import { table } from "../../../table.js";

export default class ExtensionSourceListCommand extends SwampCommand {
  static override paths = [["extension", "source", "list"], ["extension", "source", "ls"]];
  static override usage = Command.Usage({
    description: "List the extension source directories and whether each can be loaded",
    examples: [["List sources", "swamp extension source list --json"]],
  });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    await readMarker(repoDir);
    const rows: Array<{ path: string; only?: string[]; expandedPaths: string[]; status: string; resolvedKinds?: string[] }> = [];
    for (const entry of await readSources(repoDir)) {
      const r = await resolveSource(entry, repoDir, process.env);
      rows.push({
        path: entry.path,
        ...(entry.only ? { only: entry.only } : {}),
        expandedPaths: r.expandedPaths,
        status: r.status,
        ...(r.status === "valid" ? { resolvedKinds: resolvedKinds(r) } : {}),
      });
    }
    this.emit({ sources: rows }, () => {
      if (rows.length === 0) return "No extension sources configured.";
      return table(
        rows.map((r) => [r.path, r.status, (r.resolvedKinds ?? []).join(",") || "-", (r.only ?? []).join(",") || "-"]),
        { header: ["PATH", "STATUS", "KINDS", "ONLY"] },
      );
    });
    return 0;
  }
}
