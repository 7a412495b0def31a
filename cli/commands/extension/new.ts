import { Command, Option } from "clipanion";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { ErrorCode, SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { typeNameProblem, type PluginKind } from "../../../kernel/contract/plugin.js";
import { atomicCreateFile } from "../../../kernel/runtime/atomic-write.js";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { EXTENSION_KINDS, extensionDirFor } from "../../../plugins/discover.js";
import { RegistryErrorCode } from "../../../plugins/registry/errors.js";
import { isExtensionName, NAME_RULE } from "../../../plugins/registry/names.js";
import { firstCalVer, scaffold, scaffoldStem } from "../../../plugins/scaffold/templates.js";
import { SwampCommand } from "../../base.js";

export default class ExtensionNewCommand extends SwampCommand {
  static override paths = [["extension", "new"]];
  static override usage = Command.Usage({
    description: "Write a new local extension (datastore, model, vault, driver or report) with a conformance test",
    details:
      "Writes `<name>.ts` into the repository's folder for that kind (where swamp finds local extensions, e.g. " +
      "`extensions/models/`) and `<name>_test.ts` beside it, which runs the sdk's conformance suite for the kind. " +
      "Never overwrites: an existing file is an error and nothing is written.",
    examples: [
      ["A model type", "swamp extension new model @acme/greeter"],
      ["A vault, printing the written paths as JSON", "swamp extension new vault @acme/file-vault --json"],
    ],
  });

  kind = Option.String({ name: "kind" });
  name = Option.String({ name: "@collective/name" });

  async run(): Promise<number> {
    const kind = this.kind as PluginKind;
    if (!EXTENSION_KINDS.includes(kind)) throw new UsageError(`Unknown extension kind "${this.kind}": use one of ${EXTENSION_KINDS.join(", ")}`);
    // The same rules and error as every other command that takes an extension name.
    if (!isExtensionName(this.name)) throw new SwampError(RegistryErrorCode.nameInvalid, `${NAME_RULE}: ${this.name}`);
    const problem = typeNameProblem(kind, this.name, "extension");
    if (problem) throw new SwampError(RegistryErrorCode.nameInvalid, problem);

    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const dir = extensionDirFor(kind, repoDir, marker, process.env);
    const source = join(dir, `${scaffoldStem(this.name)}.ts`);
    const test = join(dir, `${scaffoldStem(this.name)}_test.ts`);
    const shown = (p: string) => {
      const rel = relative(repoDir, p);
      return rel.startsWith("..") ? p : rel.split(sep).join("/");
    };
    const files = scaffold({ kind, name: this.name, sourcePath: shown(source), version: firstCalVer() }, shown(test));

    await mkdir(dirname(source), { recursive: true });
    if (!(await atomicCreateFile(source, files.source))) throw exists(shown(source));
    if (!(await atomicCreateFile(test, files.test))) {
      await rm(source, { force: true });
      throw exists(shown(test));
    }
    const out = { kind, name: this.name, source: shown(source), test: shown(test) };
    this.emit(out, () => [`Created ${kind} ${this.name}:`, `  ${out.source}`, `  ${out.test}`].join("\n"));
    return 0;
  }
}

function exists(path: string): SwampError {
  return new SwampError(ErrorCode.alreadyExists, `${path} already exists; not overwriting it (choose another name or remove the file)`, { details: { path } });
}
