import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { installExtension } from "../../../plugins/registry/install.js";
import { parseExtensionRef } from "../../../plugins/registry/names.js";
import { SwampCommand } from "../../base.js";
import { confirm } from "../../prompt.js";

export default class ExtensionPullCommand extends SwampCommand {
  static override paths = [["extension", "pull"]];
  static override usage = Command.Usage({
    description: "Install an extension from the npm-protocol registry into .swamp/pulled-extensions and pin it in the lockfile",
    details:
      "Resolves the version (latest when none is given), downloads the tarball verified against the registry's " +
      "dist.integrity, extracts it safely into .swamp/pulled-extensions/<name>/ and records name, version and integrity " +
      "in extensions/models/upstream_extensions.json. Its types load at once; the repo's own extensions win over pulled " +
      "ones. Dependencies listed in its manifest are pulled too, when their collective is trusted. An extension that is " +
      "already there is replaced only with -f/--force (or after a yes on a terminal; --json refuses).",
    examples: [
      ["Pull the latest version", "swamp extension pull @acme/s3-datastore"],
      ["Pull an exact version", "swamp extension pull @acme/s3-datastore@2026.08.12.1 --json"],
    ],
  });

  ref = Option.String({ name: "@collective/name[@version]" });
  force = Option.Boolean("-f,--force", false, { description: "Replace an extension that is already pulled" });

  async run(): Promise<number> {
    const ref = parseExtensionRef(this.ref);
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const progress = await this.progress();
    const installed = await installExtension(
      {
        repoDir,
        marker,
        env: process.env,
        force: this.force,
        // Asked only on a terminal; elsewhere (and under --json) an existing extension is refused.
        confirmOverwrite: this.json || !process.stdin.isTTY ? undefined : (paths) => this.askOverwrite(paths),
        progress,
        onProgress: (line) => progress.start(line),
      },
      ref,
    );
    progress.clear();
    const [main, ...deps] = installed;
    if (!this.json) for (const e of installed) for (const w of e.warnings) this.context.stderr.write(`warning: ${e.name}: ${w}\n`);
    this.emit(
      { ...main, integrityStatus: "verified", dependencies: deps },
      () =>
        [
          `Pulled ${main!.name}@${main!.version} (integrity verified: ${main!.integrity.slice(0, 19)}…)`,
          `Extracted ${main!.files.length} files:`,
          ...main!.files.map((f) => `  ${f}`),
          ...deps.map((d) => `Pulled dependency ${d.name}@${d.version} (${d.files.length} files)`),
        ].join("\n"),
    );
    return 0;
  }

  private async askOverwrite(paths: string[]): Promise<boolean> {
    (await this.progress()).clear();
    this.context.stderr.write(`Already pulled, will be replaced:\n${paths.map((p) => `  ${p}`).join("\n")}\n`);
    return confirm(this.context, "Overwrite existing files?", { json: false, yes: false });
  }
}
