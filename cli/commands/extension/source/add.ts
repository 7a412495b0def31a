import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { ErrorCode, SwampError, UsageError } from "../../../../kernel/contract/errors.js";
import { readMarker } from "../../../../kernel/runtime/marker.js";
import { defaultScanDir, displaySourcePath, expandVariables, isGlob, parseOnly, readSources, resolvedKinds, resolveSource, sourceBase, SourceErrorCode, SOURCE_KINDS, writeSources, type SourceEntry } from "../../../../plugins/registry/sources.js";
import { SwampCommand } from "../../../base.js";

export default class ExtensionSourceAddCommand extends SwampCommand {
  static override paths = [["extension", "source", "add"]];
  static override usage = Command.Usage({
    description: "Load extensions from a directory outside the repo, as if they were local",
    details:
      "Recorded in `.swamp-sources.yaml` exactly as given (`~`, `$VAR` and the globs `*`, `?`, `**`, `{a,b}` are expanded when used; " +
      "a relative path is relative to the root of the main git worktree, so linked worktrees share it, or to the repo outside git). " +
      "The directory's `extensions/<kind>s/` folders are used when it has them, otherwise the directory itself for each kind its files export. " +
      "Workflows (a `workflows/` folder, or YAML files with a top-level `jobs`) are recorded and listed for the workflow loader. " +
      `--only limits the kinds (${SOURCE_KINDS.join(", ")}).`,
    examples: [
      ["Load a sibling checkout", "swamp extension source add ../my-extensions"],
      ["Only its vaults", "swamp extension source add ../my-vaults --only vaults"],
    ],
  });

  sourcePath = Option.String({ name: "path" });
  only = Option.String("--only", { description: "Comma-separated kinds to load from it" });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    if (this.sourcePath.trim() === "") throw new UsageError("The source path is empty");
    const only = this.only === undefined ? undefined : parseOnly(this.only);
    const sources = await readSources(repoDir);
    if (sources.some((s) => s.path === this.sourcePath)) {
      throw new SwampError(ErrorCode.alreadyExists, `Source '${this.sourcePath}' is already configured`, { details: { path: this.sourcePath } });
    }
    const entry: SourceEntry = { path: this.sourcePath, ...(only ? { only } : {}) };
    const abs = expandVariables(this.sourcePath, await sourceBase(repoDir), process.env);
    const scanned = defaultScanDir(abs, repoDir, marker, process.env);
    if (scanned !== undefined) {
      throw new SwampError(ErrorCode.conflict, `'${displaySourcePath(repoDir, scanned)}' is already scanned as a default extension directory; running 'swamp extension source add' here is a no-op`, {
        details: { path: this.sourcePath },
      });
    }
    const resolved = await resolveSource(entry, repoDir, process.env);
    if (resolved.status === "path_not_found" && !isGlob(this.sourcePath)) {
      throw new SwampError(ErrorCode.notFound, `Source path does not exist: ${this.sourcePath} (${abs})`, { details: { path: this.sourcePath, resolved: abs } });
    }
    // A glob that matches nothing yet is accepted: its directories may come later.
    if (resolved.status === "no_extensions") {
      throw new SwampError(
        SourceErrorCode.noExtensions,
        `No extensions found at '${this.sourcePath}'${only ? ` for ${only.join(", ")}` : ""}. Expected 'extensions/<kind>s/' subdirectories, or files declaring extension exports (export const model = …)`,
        { details: { path: this.sourcePath, expandedPaths: resolved.expandedPaths } },
      );
    }
    const next = [...sources, entry];
    await writeSources(repoDir, next);
    const kinds = resolvedKinds(resolved);
    this.emit({ action: "added", path: this.sourcePath, ...(only ? { only } : {}), totalSources: next.length }, () =>
      [`Added extension source: ${this.sourcePath}${kinds.length > 0 ? ` (${kinds.join(", ")})` : " (no directories match yet)"}`, `Sources: ${next.length}`].join("\n"),
    );
    return 0;
  }
}
