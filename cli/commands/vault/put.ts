import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { SwampError, UsageError } from "../../../kernel/contract/errors.js";
import type { VaultRefreshHook } from "../../../kernel/contract/ports/vault.js";
import { readInputFile, STDIN_PATH } from "../../../kernel/runtime/user-input.js";
import { assertSecretKeyValid, VaultErrorCode } from "../../../kernel/vaults/errors.js";
import { parseDuration, runRefreshCommand } from "../../../kernel/vaults/refresh.js";
import { SwampCommand } from "../../base.js";
import { askHidden, confirm } from "../../prompt.js";
import { Caller, openVaults, parseLabels, readAllStdin, requireNonEmpty, stripSingleTrailingNewline, warnFor } from "./shared.js";

export const ARGV_VALUE_WARNING =
  "The secret was given on the command line, where other users can see it in the process list and shell history keeps it. Prefer stdin, --value-file or the prompt.";

export default class VaultPutCommand extends SwampCommand {
  static override paths = [["vault", "put"], ["vault", "write-secret"]];
  static override usage = Command.Usage({
    description: "Store a secret in a vault",
    details:
      "The value is read from stdin when it is piped (one trailing newline is dropped only when it is the only one, so " +
      "multi-line values such as PEM keys are kept exactly), from --value-file, or asked for without echo in a terminal. " +
      "A value on the command line (<value> or KEY=VALUE) is visible to other users in the process list, so it is " +
      "accepted only with --value-from-arg, and swamp warns. An existing secret is only replaced with --force or --yes " +
      "(or after confirming in a terminal); under --json only --force replaces one.\n\n" +
      "--refresh-from <cmd> with --refresh-ttl <duration> (e.g. 30m, 12h, 7d) stores a refresh hook: the command's " +
      "stdout becomes the value now (unless a value is given) and again whenever the value is read after the TTL has " +
      "passed. --clear-refresh removes the hook. --label key=value (repeatable) labels the secret.",
    examples: [
      ["From a pipe", "printf %s \"$TOKEN\" | swamp vault put dev-secrets api-token"],
      ["Prompted without echo", "swamp vault put dev-secrets api-token"],
      ["From a file", "swamp vault put dev-secrets tls-key --value-file ./tls.key"],
      ["Replace an existing secret", "swamp vault put dev-secrets api-token --force < token.txt"],
      ["Refreshed by a command", "swamp vault put dev-secrets gh-token --refresh-from 'gh auth token' --refresh-ttl 12h"],
    ],
  });

  vault = Option.String({ name: "vault" });
  key = Option.String({ name: "key" });
  value = Option.String({ required: false, name: "value" });
  yes = Option.Boolean("-y,--yes", false, { description: "Answer yes to questions (overwrite an existing secret)" });
  force = Option.Boolean("-f,--force", false, { description: "Overwrite an existing secret without asking" });
  valueFromArg = Option.Boolean("--value-from-arg", false, { description: "Accept the value from the command line (visible to other users)" });
  valueFile = Option.String("--value-file", { description: "Read the value from this file (- for stdin)" });
  refreshFrom = Option.String("--refresh-from", { description: "Command whose stdout refreshes the value (needs --refresh-ttl)" });
  refreshTtl = Option.String("--refresh-ttl", { description: "How long a refreshed value is used, e.g. 30m, 12h, 7d (needs --refresh-from)" });
  clearRefresh = Option.Boolean("--clear-refresh", false, { description: "Remove the secret's refresh hook" });
  label = Option.Array("--label", [], { description: "key=value label passed to the vault as a tag; repeatable" });

  async run(): Promise<number> {
    let key = this.key;
    let argvValue = this.value;
    if (argvValue === undefined && key.includes("=")) {
      const at = key.indexOf("=");
      argvValue = key.slice(at + 1);
      key = key.slice(0, at);
    }
    if (key.length === 0) throw new UsageError("A secret key is required. Usage: swamp vault put <vault> <key>");
    // Everything below is checked before anyone types, pipes or runs anything.
    if (argvValue !== undefined && !this.valueFromArg) {
      throw new SwampError(
        VaultErrorCode.valueOnCommandLine,
        "The secret was given on the command line, where other users can see it. Pipe it on stdin, use --value-file or the prompt, or pass --value-from-arg to accept it",
        { exitCode: 2 },
      );
    }
    if (argvValue !== undefined && this.valueFile !== undefined) throw new UsageError("Give the value either on the command line or with --value-file, not both");
    assertSecretKeyValid(this.vault, key);
    const labels = parseLabels(this.label);
    const hook = this.refreshSettings();

    if (argvValue !== undefined) warnFor(this)(ARGV_VALUE_WARNING);

    const { kernel, vaults } = await openVaults(this);
    // The vault must exist before anyone types a secret.
    const open = await vaults.vault(this.vault);
    if (hook || this.clearRefresh) vaults.requireCapability(open, "refresh hooks");
    const stdin = this.context.stdin as NodeJS.ReadStream;
    const explicit = argvValue !== undefined || this.valueFile !== undefined;
    const prompting = !explicit && !hook && stdin.isTTY === true;
    const vaultName = open.stored.config.name;

    const exists = await vaults.has(vaultName, key);
    // --json asks no questions, so only --force may replace a secret there.
    if (exists && !this.force && !(this.yes && !this.json)) {
      if (this.json || !prompting) {
        throw new SwampError(
          VaultErrorCode.secretExists,
          `Secret '${key}' already exists in vault '${vaultName}'. Use --force${this.json ? "" : " (or --yes)"} to overwrite it`,
          { details: { vault: vaultName, key } },
        );
      }
      if (!(await confirm(this.context, `Secret '${key}' already exists in vault '${vaultName}'. Overwrite?`, { json: false, yes: false }))) {
        this.emit({ cancelled: true }, () => "Cancelled.");
        return 0;
      }
    }

    let value: string;
    if (argvValue !== undefined) {
      value = requireNonEmpty(argvValue, "the command line");
    } else if (this.valueFile !== undefined) {
      value = requireNonEmpty(stripSingleTrailingNewline(await readValueFile(this.valueFile === STDIN_PATH ? STDIN_PATH : resolve(this.valueFile))), "--value-file");
    } else if (hook) {
      value = await runRefreshCommand(hook.command, kernel.repoDir);
    } else if (stdin.isTTY) {
      value = requireNonEmpty(await askHidden(this.context, `Enter value for ${key}: `), "the prompt");
    } else {
      value = requireNonEmpty(stripSingleTrailingNewline(await readAllStdin(stdin)), "stdin");
    }

    await vaults.put(vaultName, key, value, Caller.put, Object.keys(labels).length ? { tags: labels } : undefined);
    if (hook) await vaults.setRefreshHook(vaultName, key, { ...hook, lastRefreshedAt: new Date().toISOString() });
    else if (this.clearRefresh) await vaults.setRefreshHook(vaultName, key, null);
    const result = {
      vaultName,
      secretKey: key,
      vaultType: open.stored.config.type,
      overwritten: exists,
      timestamp: new Date().toISOString(),
      ...(Object.keys(labels).length ? { labels } : {}),
    };
    this.emit(result, () =>
      [
        `${exists ? "Updated" : "Stored"} secret '${key}' in vault '${vaultName}'`,
        ...(hook ? [`  refreshed every ${hook.ttl} by: ${hook.command}`] : []),
        ...(this.clearRefresh ? ["  refresh hook removed"] : []),
      ].join("\n"),
    );
    return 0;
  }

  /** The refresh hook the flags ask for (without its last run), or null. */
  private refreshSettings(): Omit<VaultRefreshHook, "lastRefreshedAt"> | null {
    const from = this.refreshFrom;
    const ttl = this.refreshTtl;
    if ((from === undefined) !== (ttl === undefined)) throw new UsageError("--refresh-from and --refresh-ttl go together: give both or neither");
    if (from === undefined || ttl === undefined) return null;
    if (this.clearRefresh) throw new UsageError("--clear-refresh cannot be combined with --refresh-from or --refresh-ttl");
    if (from.trim() === "") throw new UsageError("--refresh-from needs a command");
    const ttlMs = parseDuration(ttl);
    if (ttlMs === null) throw new UsageError(`Invalid --refresh-ttl "${ttl.slice(0, 40)}": use a duration such as 90s, 30m, 12h or 7d`);
    return { command: from, ttl: ttl.trim(), ttlMs };
  }
}

async function readValueFile(path: string): Promise<string> {
  try {
    return await readInputFile(path, "The secret in --value-file");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SwampError("not_found", `Cannot read --value-file ${path}: no such file`);
    if (code === "EACCES" || code === "EISDIR") throw new SwampError("not_found", `Cannot read --value-file ${path}: ${code === "EISDIR" ? "it is a directory" : "permission denied"}`);
    throw err;
  }
}
