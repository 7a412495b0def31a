import { Command, Option } from "clipanion";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import { assertSecretKeyValid, VaultErrorCode } from "../../../kernel/vaults/errors.js";
import { SwampCommand } from "../../base.js";
import { confirm } from "../../prompt.js";
import { openVaults, readAllStdin, readHidden, requireNonEmpty, stripSingleTrailingNewline } from "./shared.js";

export const ARGV_VALUE_WARNING =
  "The secret was given on the command line, where shell history and process listings can keep it. Pipe it on stdin or let swamp prompt for it instead.";

function parseLabels(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const at = l.indexOf("=");
    if (at <= 0) throw new UsageError(`Invalid --label "${l}": use key=value`);
    out[l.slice(0, at)] = l.slice(at + 1);
  }
  return out;
}

export default class VaultPutCommand extends SwampCommand {
  static override paths = [["vault", "put"], ["vault", "write-secret"]];
  static override usage = Command.Usage({
    description: "Store a secret in a vault",
    details:
      "The value is read from stdin when it is piped (one trailing newline is dropped only when it is the only one, so " +
      "multi-line values such as PEM keys are kept exactly), or asked for without echo in a terminal. A value on the " +
      "command line (<value> or KEY=VALUE) works but lands in shell history, so swamp warns. An existing secret is only " +
      "replaced with --force (or after confirming in a terminal).",
    examples: [
      ["From a pipe", "printf %s \"$TOKEN\" | swamp vault put dev-secrets api-token"],
      ["Prompted without echo", "swamp vault put dev-secrets api-token"],
      ["Replace an existing secret", "swamp vault put dev-secrets api-token --force < token.txt"],
    ],
  });

  vault = Option.String({ name: "vault" });
  key = Option.String({ name: "key" });
  value = Option.String({ required: false, name: "value" });
  yes = Option.Boolean("-y,--yes", false, { description: "Answer yes to questions (overwrite an existing secret)" });
  force = Option.Boolean("-f,--force", false, { description: "Overwrite an existing secret without asking" });
  label = Option.Array("--label", [], { description: "key=value label passed to the vault as a tag; repeatable" });

  async run(): Promise<number> {
    let key = this.key;
    let argvValue = this.value;
    if (argvValue === undefined && key.includes("=")) {
      const at = key.indexOf("=");
      argvValue = key.slice(at + 1);
      key = key.slice(0, at);
    }
    if (key.length === 0) throw new UsageError("A secret key is required. Usage: swamp vault put <vault> <key> [value]");
    assertSecretKeyValid(this.vault, key); // before anyone types or pipes a value
    const labels = parseLabels(this.label);

    const stderr = this.context.stderr;
    if (argvValue !== undefined) {
      stderr.write(this.json ? `${JSON.stringify({ warning: ARGV_VALUE_WARNING })}\n` : `Warning: ${ARGV_VALUE_WARNING}\n`);
    }

    const { vaults } = await openVaults(this);
    // The vault must exist before anyone types a secret.
    const open = await vaults.vault(this.vault);
    const stdin = this.context.stdin as NodeJS.ReadStream;
    const interactive = !this.json && stdin.isTTY === true && argvValue === undefined;

    const exists = await vaults.has(this.vault, key);
    if (exists && !this.force && !this.yes) {
      if (!interactive) {
        throw new SwampError(VaultErrorCode.secretExists, `Secret '${key}' already exists in vault '${this.vault}'. Use --force to overwrite it`, {
          details: { vault: this.vault, key },
        });
      }
      if (!(await confirm(`Secret '${key}' already exists in vault '${this.vault}'. Overwrite it?`, { json: false, yes: false }))) {
        this.emit({ cancelled: true }, () => "Cancelled.");
        return 0;
      }
    }

    let value: string;
    if (argvValue !== undefined) {
      value = requireNonEmpty(argvValue, "the command line");
    } else if (stdin.isTTY) {
      value = requireNonEmpty(await readHidden(`Secret value for '${key}': `, stdin, stderr), "the prompt");
    } else {
      value = requireNonEmpty(stripSingleTrailingNewline(await readAllStdin(stdin)), "stdin");
    }

    await vaults.put(this.vault, key, value, "cli:vault put", Object.keys(labels).length ? { tags: labels } : undefined);
    const result = {
      vaultName: open.stored.config.name,
      secretKey: key,
      vaultType: open.stored.config.type,
      overwritten: exists,
      timestamp: new Date().toISOString(),
      ...(Object.keys(labels).length ? { labels } : {}),
    };
    this.emit(result, () => `${exists ? "Updated" : "Stored"} secret '${key}' in vault '${result.vaultName}'`);
    return 0;
  }
}
