import { Command } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { entryIntact, installExtensions } from "../../../plugins/registry/install.js";
import { lockfilePath, readLockfile } from "../../../plugins/registry/lockfile.js";
import { SwampCommand } from "../../base.js";

export default class ExtensionInstallCommand extends SwampCommand {
  static override paths = [["extension", "install"]];
  static override usage = Command.Usage({
    description: "Restore every extension in the lockfile at its pinned version, integrity verified",
    details:
      "For each entry of extensions/models/upstream_extensions.json whose files are not all present, downloads exactly " +
      "the pinned version and checks it against the lockfile's integrity. If any entry cannot be restored (a mismatch, " +
      "a missing version, the registry down), nothing is installed and the command fails. To add an extension, use " +
      "'swamp extension pull'.",
    examples: [["Restore after a clone", "swamp extension install --json"]],
  });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const lock = await readLockfile(lockfilePath(repoDir, marker, process.env));
    const names = Object.keys(lock).sort();
    const entries: Array<{ name: string; version: string; status: "installed" | "up_to_date" }> = [];
    const missing = [];
    for (const name of names) {
      const entry = lock[name]!;
      const intact = await entryIntact(repoDir, entry);
      entries.push({ name, version: entry.version, status: intact ? "up_to_date" : "installed" });
      if (!intact) missing.push({ name, version: entry.version, ...(entry.integrity ? { integrity: entry.integrity } : {}) });
    }
    // Pinned entries are restored as they are; their dependencies are entries of their own.
    if (missing.length > 0) {
      const progress = await this.progress();
      await installExtensions({ repoDir, marker, env: process.env, force: true, progress, onProgress: (line) => progress.start(line), skipDependencies: true }, missing);
      progress.clear();
    }
    const installed = entries.filter((e) => e.status === "installed").length;
    this.emit(
      {
        entries,
        installed,
        upToDate: entries.length - installed,
        failed: 0,
        ...(names.length === 0 ? { warning: "Lockfile has no entries — nothing to restore" } : {}),
      },
      () =>
        names.length === 0
          ? "Lockfile has no entries — nothing to restore. Use 'swamp extension pull @collective/name' to add one."
          : [...entries.map((e) => `${e.status === "installed" ? "Installed" : "Up to date"}  ${e.name}@${e.version}`), `${installed} installed, ${entries.length - installed} up to date.`].join("\n"),
    );
    return 0;
  }
}
