import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { removeExtension } from "../../../plugins/registry/install.js";
import { parseExtensionRef } from "../../../plugins/registry/names.js";
import { SwampCommand } from "../../base.js";

export default class ExtensionRmCommand extends SwampCommand {
  static override paths = [
    ["extension", "rm"],
    ["extension", "remove"],
  ];
  static override usage = Command.Usage({
    description: "Remove a pulled extension: its lockfile entry and its files under .swamp/pulled-extensions",
    details: "Extensions it depends on stay installed; remove them on their own.",
    examples: [["Remove an extension", "swamp extension rm @acme/s3-datastore --json"]],
  });

  name = Option.String({ name: "@collective/name" });

  async run(): Promise<number> {
    const { name } = parseExtensionRef(this.name);
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const removed = await removeExtension({ repoDir, marker, env: process.env }, name);
    this.emit({ removed }, () => `Removed ${removed.name}@${removed.version} (${removed.filesDeleted} files).`);
    return 0;
  }
}
