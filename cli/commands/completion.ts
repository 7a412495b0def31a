import { Command, Option } from "clipanion";
import { UsageError } from "../../kernel/contract/errors.js";
import { nearestMatches, quotedChoices } from "../../kernel/runtime/suggest.js";
import { completionScript, SHELLS, type Shell } from "../completion.js";
import { renderError } from "../output.js";

/** `swamp completion bash|zsh|fish`: the script that completes swamp in that shell. */
export default class CompletionCommand extends Command {
  static override paths = [["completion"]];
  static override usage = Command.Usage({
    description: "Print a shell completion script (bash, zsh or fish)",
    details:
      "The script completes commands, options, model, data and workflow names and model types by asking " +
      "`swamp __complete`, which reads the repo's indexes (`--repo-dir` on the line, else $SWAMP_REPO_DIR, else the current directory).",
    examples: [
      ["Bash, for this shell", "source <(swamp completion bash)"],
      ["Zsh, in ~/.zshrc after compinit", "source <(swamp completion zsh)"],
      ["Fish", "swamp completion fish > ~/.config/fish/completions/swamp.fish"],
    ],
  });

  shell = Option.String({ name: "shell" });

  async execute(): Promise<number> {
    if (!(SHELLS as readonly string[]).includes(this.shell)) {
      const near = nearestMatches(this.shell, SHELLS);
      const hint = near.length > 0 ? `; did you mean ${quotedChoices(near)}?` : ` (use ${quotedChoices(SHELLS)})`;
      return renderError(new UsageError(`unknown shell '${this.shell}'${hint}`), this.context, { json: false, verbose: false });
    }
    this.context.stdout.write(completionScript(this.shell as Shell));
    return 0;
  }
}
