import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { SwampError } from "../../../kernel/contract/errors.js";
import { RegistryClient } from "../../../plugins/registry/client.js";
import { resolveRegistry } from "../../../plugins/registry/config.js";
import { RegistryErrorCode } from "../../../plugins/registry/errors.js";
import { infoFromPackument } from "../../../plugins/registry/listing.js";
import { parseExtensionRef, toNpmName } from "../../../plugins/registry/names.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../table.js";

export default class ExtensionInfoCommand extends SwampCommand {
  static override paths = [["extension", "info"]];
  static override usage = Command.Usage({
    description: "Show a published extension: description, versions, labels, content and integrity",
    details: "Reads the package's packument from the npm-protocol registry for the extension's collective. Needs no repo.",
    examples: [["Describe an extension", "swamp extension info @acme/s3-datastore --json"]],
  });

  name = Option.String({ name: "name" });

  async run(): Promise<number> {
    const { name } = parseExtensionRef(this.name);
    const repoDir = resolve(this.resolvedRepoDir());
    const target = await resolveRegistry({ repoDir, env: process.env, extension: name });
    const packument = await new RegistryClient(target).packument(toNpmName(name));
    if (!packument || !packument.versions || Object.keys(packument.versions).length === 0) {
      throw new SwampError(
        RegistryErrorCode.extensionNotFound,
        `Extension ${name} not found in the registry at ${target.url}. Try: swamp extension search ${name.split("/").pop()}`,
        { details: { name, registry: target.url } },
      );
    }
    const info = infoFromPackument(name, packument);
    this.emit({ ...info, registry: target.url }, () => {
      const rows: string[][] = [
        ["Name", info.name],
        ["Package", `${info.package} (${target.url})`],
        ["Latest", info.latestVersion ?? "-"],
        ["Description", info.description.split("\n")[0] ?? ""],
      ];
      if (info.repository) rows.push(["Repository", info.repository]);
      if (info.labels.length) rows.push(["Labels", info.labels.join(", ")]);
      if (info.contentTypes.length) rows.push(["Contents", info.contentTypes.join(", ")]);
      if (info.dependencies.length) rows.push(["Depends on", info.dependencies.join(", ")]);
      if (info.deprecated) rows.push(["Deprecated", info.deprecated]);
      if (info.integrity) rows.push(["Integrity", info.integrity]);
      rows.push(["Versions", info.versions.map((v) => v.version).join(", ")]);
      return table(rows);
    });
    return 0;
  }
}
