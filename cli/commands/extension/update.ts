import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { checkUpdates, installExtension } from "../../../plugins/registry/install.js";
import { parseExtensionRef } from "../../../plugins/registry/names.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";

type Row = Awaited<ReturnType<typeof checkUpdates>>[number] | { name: string; status: "updated"; previousVersion: string; newVersion: string };

export default class ExtensionUpdateCommand extends SwampCommand {
  static override paths = [["extension", "update"]];
  static override usage = Command.Usage({
    description: "Move pulled extensions (or one) to the registry's latest version and re-pin the lockfile",
    details:
      "Compares each lockfile entry with the registry's latest (dist-tags.latest) and pulls newer versions, replacing " +
      "the old files (edits inside .swamp/pulled-extensions are overwritten). --check only reports. Exits 1 if an " +
      "update failed.",
    examples: [
      ["Update everything", "swamp extension update"],
      ["See what would change", "swamp extension update @acme/s3-datastore --check --json"],
    ],
  });

  name = Option.String({ required: false, name: "@collective/name" });
  check = Option.Boolean("--check", false, { description: "Only report which extensions have a newer version" });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const ctx = { repoDir, marker, env: process.env };
    const statuses = await checkUpdates(ctx, this.name ? [parseExtensionRef(this.name).name] : undefined);
    const rows: Row[] = [];
    for (const s of statuses) {
      if (s.status !== "update_available" || this.check) {
        rows.push(s);
        continue;
      }
      const progress = await this.progress();
      progress.start(`Updating ${s.name} ${s.installedVersion} → ${s.latestVersion}`);
      await installExtension({ ...ctx, force: true, progress, onProgress: (line) => progress.start(line) }, { name: s.name, version: s.latestVersion });
      progress.clear();
      rows.push({ name: s.name, status: "updated", previousVersion: s.installedVersion, newVersion: s.latestVersion });
    }
    const count = (status: string) => rows.filter((r) => r.status === status).length;
    const summary = { total: rows.length, upToDate: count("up_to_date"), updated: count("updated"), updateAvailable: count("update_available"), failed: count("failed") };
    this.emit({ extensions: rows, summary }, () =>
      rows.length === 0
        ? "No upstream extensions installed."
        : table(
            rows.map((r) => [
              r.name,
              r.status,
              r.status === "updated" ? `${r.previousVersion} → ${r.newVersion}` : r.status === "failed" ? r.error.message : `${r.installedVersion} (latest ${r.latestVersion})`,
            ]),
          ),
    );
    return summary.failed > 0 ? 1 : 0;
  }
}
