import { Command } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { checkUpdates } from "../../../plugins/registry/install.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";

export default class ExtensionOutdatedCommand extends SwampCommand {
  static override paths = [["extension", "outdated"]];
  static override usage = Command.Usage({
    description: "List pulled extensions that are not at the registry's latest version (exit 1 when an update is available)",
    details: "Read-only, for CI: entries that are up to date are left out; one the registry cannot answer for is listed as failed (exit 0).",
    examples: [["Gate CI on updates", "swamp extension outdated --json"]],
  });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const rows = (await checkUpdates({ repoDir, marker, env: process.env })).filter((s) => s.status !== "up_to_date");
    const hasUpdateAvailable = rows.some((r) => r.status === "update_available");
    this.emit({ extensions: rows, hasUpdateAvailable }, () =>
      rows.length === 0
        ? "All pulled extensions are up to date."
        : table(
            rows.map((r) => [r.name, r.installedVersion, r.status === "failed" ? `? (${r.error.message})` : r.latestVersion]),
            { header: ["NAME", "INSTALLED", "LATEST"] },
          ),
    );
    return hasUpdateAvailable ? 1 : 0;
  }
}
