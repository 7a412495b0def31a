import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { addTrustedCollective } from "../../../../plugins/registry/trust.js";
import { SwampCommand } from "../../../base.js";

export default class ExtensionTrustAddCommand extends SwampCommand {
  static override paths = [["extension", "trust", "add"]];
  static override usage = Command.Usage({
    description: "Trust a collective: its extensions may be installed on first use",
    details: "Appends to `.swamp.yaml` `trustedCollectives` (the default `swamp`, `si` is written out first), keeping the rest of the file as it is.",
    examples: [["Trust @acme/* extensions", "swamp extension trust add acme"]],
  });

  collective = Option.String({ name: "collective" });

  async run(): Promise<number> {
    const trustedCollectives = await addTrustedCollective(resolve(this.resolvedRepoDir()), this.collective);
    this.emit({ action: "added", collective: this.collective, trustedCollectives }, () =>
      [`Added trusted collective: ${this.collective}`, `Trusted collectives: ${trustedCollectives.join(", ")}`].join("\n"),
    );
    return 0;
  }
}
