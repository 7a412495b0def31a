import { Command, Option } from "clipanion";
import { initRepo } from "../../../kernel/runtime/repo-init.js";
import { SwampCommand } from "../../base.js";
import { VERSION } from "../../version.js";

export default class RepoInitCommand extends SwampCommand {
  static override paths = [["repo", "init"]];
  static override usage = Command.Usage({
    description: "Create a swamp repository",
    details:
      "Creates models/, workflows/, vaults/ and grants/, the runtime tree under .swamp/, a managed section in " +
      ".gitignore, and the .swamp.yaml marker. With --force an existing repo keeps its id and configuration.",
    examples: [
      ["Initialise the current directory", "swamp repo init"],
      ["Initialise a new directory", "swamp repo init my-infra"],
    ],
  });

  target = Option.String({ required: false, name: "path" });
  force = Option.Boolean("-f,--force", false, { description: "Reinitialise an existing repository" });

  async run(): Promise<void> {
    const result = await initRepo(this.target ?? this.repoDir ?? ".", { force: this.force, version: VERSION });
    this.emit(result, () =>
      [
        `${result.reinitialized ? "Reinitialized" : "Initialized"} swamp repository at ${result.path}`,
        "",
        "Next steps:",
        "  swamp datastore status        # where runtime data is kept",
        "  swamp model create command/shell hello-world",
      ].join("\n"),
    );
  }
}
