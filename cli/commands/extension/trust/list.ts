import { Command } from "clipanion";
import { resolve } from "node:path";
import { readMarker } from "../../../../kernel/runtime/marker.js";
import { trustState } from "../../../../plugins/registry/trust.js";
import { SwampCommand } from "../../../base.js";

function section(title: string, names: readonly string[]): string[] {
  return [title, ...(names.length > 0 ? names.map((n) => `  ${n}`) : ["  (none)"])];
}

export default class ExtensionTrustListCommand extends SwampCommand {
  static override paths = [["extension", "trust", "list"]];
  static override usage = Command.Usage({
    description: "Show which collectives' extensions may be installed on first use",
    details: "Read from `.swamp.yaml` `trustedCollectives`; when that key is absent the default is `swamp` and `si`.",
    examples: [["Show trusted collectives", "swamp extension trust list --json"]],
  });

  async run(): Promise<number> {
    const marker = await readMarker(resolve(this.resolvedRepoDir()));
    const state = trustState(marker);
    this.emit(state, () =>
      [
        "Trusted Collectives",
        "",
        ...section("Explicit:", state.explicit),
        `Auto-trust membership collectives: ${state.trustMemberCollectives ? "enabled" : "disabled"}`,
        ...(state.trustMemberCollectives ? section("Membership:", state.membership) : []),
        ...section("Resolved (effective):", state.resolved),
      ].join("\n"),
    );
    return 0;
  }
}
