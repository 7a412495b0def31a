import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { ErrorCode, SwampError } from "../../../../kernel/contract/errors.js";
import { readMarker } from "../../../../kernel/runtime/marker.js";
import { readSources, writeSources } from "../../../../plugins/registry/sources.js";
import { SwampCommand } from "../../../base.js";

export default class ExtensionSourceRmCommand extends SwampCommand {
  static override paths = [["extension", "source", "rm"], ["extension", "source", "remove"]];
  static override usage = Command.Usage({
    description: "Stop loading extensions from a source directory",
    details: "Takes the path exactly as `source list` shows it. Removing the last source deletes `.swamp-sources.yaml`.",
    examples: [["Remove a source", "swamp extension source rm ../my-extensions"]],
  });

  sourcePath = Option.String({ name: "path" });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    await readMarker(repoDir);
    const sources = await readSources(repoDir);
    if (sources.length === 0) throw new SwampError(ErrorCode.notFound, "No extension sources configured. Nothing to remove.", { details: { path: this.sourcePath } });
    const next = sources.filter((s) => s.path !== this.sourcePath);
    if (next.length === sources.length) {
      throw new SwampError(ErrorCode.notFound, `Source '${this.sourcePath}' is not configured (configured: ${sources.map((s) => s.path).join(", ")})`, {
        details: { path: this.sourcePath, sources: sources.map((s) => s.path) },
      });
    }
    await writeSources(repoDir, next);
    this.emit({ action: "removed", path: this.sourcePath, totalSources: next.length }, () => `Removed extension source: ${this.sourcePath}\nSources: ${next.length}`);
    return 0;
  }
}
