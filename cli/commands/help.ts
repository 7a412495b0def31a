import { Command, Option } from "clipanion";
import { UsageError } from "../../kernel/contract/errors.js";
import { helpFor } from "../help.js";
import { renderError } from "../output.js";
import { VERSION } from "../version.js";

/** `swamp help [command…]`: the same text as `swamp [command…] --help`. */
export default class HelpCommand extends Command {
  static override paths = [["help"]];
  static override usage = Command.Usage({
    description: "Show help for swamp or for a command",
    examples: [
      ["The commands, grouped by noun", "swamp help"],
      ["The commands of one group", "swamp help data"],
      ["One command's options and examples", "swamp help data get"],
    ],
  });

  words = Option.Rest({ name: "command" });

  async execute(): Promise<number> {
    const answer = await helpFor(this.words, VERSION);
    if ("error" in answer) return renderError(new UsageError(answer.error), this.context, { json: false, verbose: false });
    this.context.stdout.write(answer.text);
    return 0;
  }
}
