import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { ErrorCode, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { isReservedCollective } from "../../../kernel/contract/plugin.js";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { RegistryClient } from "../../../plugins/registry/client.js";
import { resolveRegistry } from "../../../plugins/registry/config.js";
import { RegistryErrorCode } from "../../../plugins/registry/errors.js";
import { checkSafety, collectFiles, readManifest, type Manifest } from "../../../plugins/registry/manifest.js";
import { extensionCollective } from "../../../plugins/registry/names.js";
import { packExtension, publishDocument } from "../../../plugins/registry/pack.js";
import { SwampCommand } from "../../base.js";
import { formatBytes } from "../../output.js";
import { table } from "../../table.js";
import { confirm } from "../../prompt.js";

/** The manifest as published: `--release-notes` replaces its notes; `--version-suffix epoch` its MICRO. */
function withOptions(manifest: Manifest, releaseNotes: string | undefined, epoch: boolean): Manifest {
  const date = manifest.version.split(".").slice(0, 3).join(".");
  return {
    ...manifest,
    ...(releaseNotes !== undefined ? { releaseNotes } : {}),
    ...(epoch ? { version: `${date}.${Math.floor(Date.now() / 1000)}` } : {}),
  };
}

export default class ExtensionPushCommand extends SwampCommand {
  static override paths = [["extension", "push"]];
  static override usage = Command.Usage({
    description: "Pack an extension from its manifest.yaml and publish it to the npm-protocol registry",
    details:
      "Validates the manifest, collects its files, applies the safety rules and builds an npm package " +
      "(name @collective/name, nested segments joined with '.', CalVer YYYY.MM.DD.MICRO published as SemVer " +
      "YYYY.MMDD.MICRO). The registry and token come from SWAMP_EXTENSION_REGISTRY, .swamp.yaml extensions.registry " +
      "or npm's configuration (.npmrc, NPM_TOKEN). --dry-run builds the package and publishes nothing. " +
      "Release notes (the manifest's releaseNotes, or --release-notes) travel in package.json swamp.releaseNotes. " +
      "Asks before publishing unless -y/--yes or --json is given.",
    examples: [
      ["See what would be published", "swamp extension push extensions/manifest.yaml --dry-run"],
      ["Publish without asking", "swamp extension push extensions/manifest.yaml -y"],
    ],
  });

  manifest = Option.String({ name: "manifest.yaml" });
  dryRun = Option.Boolean("--dry-run", false, { description: "Build the package and print it; publish nothing" });
  yes = Option.Boolean("-y,--yes", false, { description: "Do not ask for confirmation" });
  releaseNotes = Option.String("--release-notes", { description: "Release notes for this version (replaces the manifest's releaseNotes; at most 5000 characters)" });
  versionSuffix = Option.String("--version-suffix", { description: '"epoch": publish as the manifest\'s date with MICRO set to the current Unix time (unique versions for CI)' });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const manifestPath = resolve(this.manifest);
    if (this.versionSuffix !== undefined && this.versionSuffix !== "epoch") throw new UsageError(`--version-suffix must be "epoch", got "${this.versionSuffix}"`);
    if (this.releaseNotes !== undefined && this.releaseNotes.length > 5000) throw new UsageError("--release-notes must be at most 5000 characters");
    const manifest = withOptions(await readManifest(manifestPath), this.releaseNotes, this.versionSuffix === "epoch");
    if (isReservedCollective(manifest.name)) {
      throw new SwampError(
        RegistryErrorCode.reservedCollective,
        `The collective @${extensionCollective(manifest.name)} is reserved for swamp's own extensions; publish ${manifest.name} under your own collective`,
        { details: { name: manifest.name } },
      );
    }
    const marker = await readMarker(repoDir).catch((err: unknown) => {
      if ((err as { code?: string }).code === ErrorCode.notARepo) return {};
      throw err;
    });
    const files = await collectFiles(manifest, { manifestPath, repoDir, marker, env: process.env });
    const warnings = await checkSafety(files);
    if (!manifest.repository) warnings.push("manifest.yaml has no 'repository'; users will not find where to report issues");
    const packed = await packExtension(manifest, manifestPath, files);
    const target = await resolveRegistry({ repoDir, env: process.env, extension: manifest.name });
    const summary = {
      name: packed.name,
      version: packed.version,
      package: `${packed.npmName}@${packed.npmVersion}`,
      registry: target.url,
      files: packed.files,
      archiveSize: packed.tarball.length,
      unpackedSize: packed.unpackedSize,
      integrity: packed.integrity,
      warnings,
    };
    if (!this.json) for (const w of warnings) this.context.stderr.write(`warning: ${w}\n`);
    const describe = () =>
      [
        `${packed.name}@${packed.version}  (npm ${packed.npmName}@${packed.npmVersion})`,
        `Registry: ${target.url}`,
        table(packed.files.map((f) => [formatBytes(f.size), f.path]), { indent: "  " }),
        `${packed.files.length} files, archive ${formatBytes(packed.tarball.length)} (unpacked ${formatBytes(packed.unpackedSize)})`,
      ].join("\n");

    if (this.dryRun) {
      this.emit({ ...summary, status: "dry_run" }, () => `${describe()}\nDry run: nothing was published.`);
      return 0;
    }

    const client = new RegistryClient(target);
    const existing = await client.packument(packed.npmName, { abbreviated: true });
    if (existing?.versions?.[packed.npmVersion]) {
      throw new SwampError(
        RegistryErrorCode.versionExists,
        `${packed.name}@${packed.version} already exists in the registry at ${target.url}; bump the version in manifest.yaml`,
        { details: { name: packed.name, version: packed.version, registry: target.url } },
      );
    }
    if (!this.json && !this.yes) this.context.stdout.write(`${describe()}\n`);
    if (!(await confirm(this.context, `Publish ${packed.name}@${packed.version} to ${target.url}?`, { json: this.json, yes: this.yes }))) {
      this.emit({ status: "cancelled" }, () => "Cancelled.");
      return 0;
    }
    const progress = await this.progress();
    progress.start(`Publishing ${packed.name}@${packed.version} (${formatBytes(packed.tarball.length)})`);
    await client.publish(packed.npmName, packed.npmVersion, publishDocument(packed, target.url));
    progress.clear();
    this.emit({ ...summary, status: "published" }, () => `Published ${packed.name}@${packed.version} to ${target.url} (${formatBytes(packed.tarball.length)}).`);
    return 0;
  }
}
