import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { removeTrustedCollective } from "../../../../plugins/registry/trust.js";
import { SwampCommand } from "../../../base.js";

export default class ExtensionTrustRmCommand extends SwampCommand {
  static override paths = [["extension", "trust", "rm"], ["extension", "trust", "remove"]];
  static override usage = Command.Usage({
    description: "Stop trusting a collective",
    details: "Removes it from `.swamp.yaml` `trustedCollectives`. Removing `swamp` is allowed; an empty list turns auto-resolve off.",
    examples: [["Stop trusting @acme/*", "swamp extension trust rm acme"]],
  });

  collective = Option.String({ name: "collective" });

  async run(): Promise<number> {
    const trustedCollectives = await removeTrustedCollective(resolve(this.resolvedRepoDir()), this.collective);
    this.emit({ action: "removed", collective: this.collective, trustedCollectives }, () =>
      [`Removed trusted collective: ${this.collective}`, `Trusted collectives: ${trustedCollectives.join(", ") || "(none)"}`].join("\n"),
    );
    return 0;
  }
}
