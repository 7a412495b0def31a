/**
 * Where a `local_encryption` vault's key material comes from:
 *
 * - a key file (the auto-generated `.key` in the vault directory, or `key_file`): its UTF-8
 *   text is the material. An auto-generated file holds two UUID v4 strings (72 characters),
 *   created with an exclusive create so two processes never both write one; a reader that
 *   finds it empty (a creator between create and write) retries briefly.
 * - an SSH private key (`ssh_key_path`, or `~/.ssh/id_rsa` when nothing else is configured):
 *   the base64-decoded PEM body is the material. A key readable by group or others, or
 *   protected by a passphrase, is refused.
 */
import { randomUUID } from "node:crypto";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { SwampError } from "../../kernel/contract/errors.js";
import { retry, TryAgain } from "../../kernel/contract/retry.js";
import { atomicCreateFile } from "../../kernel/runtime/atomic-write.js";

export const KeyErrorCode = {
  keyMissing: "vault_key_missing",
  keyInvalid: "vault_key_invalid",
} as const;

export interface KeySource {
  kind: "key-file" | "ssh-key";
  path: string;
  /** Create the key file when it does not exist (auto_generate). */
  autoGenerate: boolean;
}

export function expandHome(path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return path;
}

export function resolveFrom(base: string, path: string): string {
  const expanded = expandHome(path);
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === "ENOENT";
}

/** Reads a key file; an empty file is retried for up to ~1 s (a creator may be mid-write). */
async function readKeyFile(path: string, vault: string): Promise<Buffer | null> {
  return retry(
    async () => {
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        if (isMissing(err)) return null;
        throw new SwampError(KeyErrorCode.keyInvalid, `Cannot read the key file of vault '${vault}' (${path}): ${(err as Error).message}`);
      }
      if (bytes.length > 0) return bytes;
      throw new TryAgain();
    },
    {
      attempts: 21,
      baseMs: 50,
      factor: 1,
      jitter: "none",
      giveUp: () => new SwampError(KeyErrorCode.keyInvalid, `The key file of vault '${vault}' (${path}) is empty`),
    },
  );
}

/** Two concatenated UUID v4 strings: 72 characters. */
export function generateKeyText(): string {
  return `${randomUUID()}${randomUUID()}`;
}

async function createKeyFile(path: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Exclusive create of a complete file: a racing creator loses and everyone reads the winner's key.
  await atomicCreateFile(path, generateKeyText(), { mode: 0o600, mkdirs: false });
  await chmod(path, 0o600).catch(() => {});
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** The material of an SSH private key, after the permission and passphrase checks. */
async function readSshKey(path: string, vault: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    if (isMissing(err)) {
      throw new SwampError(KeyErrorCode.keyMissing, `SSH key ${path} for vault '${vault}' does not exist. Set ssh_key_path, or create the vault with auto_generate: true`);
    }
    throw new SwampError(KeyErrorCode.keyInvalid, `Cannot read SSH key ${path} for vault '${vault}': ${(err as Error).message}`);
  }
  if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
    throw new SwampError(
      KeyErrorCode.keyInvalid,
      `SSH key ${path} for vault '${vault}' is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  const text = await readFile(path, "utf8");
  const block = PEM_BLOCK.exec(text);
  if (!block) throw new SwampError(KeyErrorCode.keyInvalid, `SSH key ${path} for vault '${vault}' is not a PEM private key`);
  const label = block[1] ?? "";
  const lines = (block[2] ?? "").split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  const encrypted = () =>
    new SwampError(KeyErrorCode.keyInvalid, `SSH key ${path} for vault '${vault}' is protected by a passphrase; use a key without one or auto_generate: true`);
  if (label.includes("ENCRYPTED") || lines.some((l) => /^Proc-Type:\s*4,ENCRYPTED/i.test(l))) throw encrypted();
  const body = Buffer.from(lines.filter((l) => !l.includes(":")).join(""), "base64");
  if (body.length === 0) throw new SwampError(KeyErrorCode.keyInvalid, `SSH key ${path} for vault '${vault}' is empty`);
  if (label === "OPENSSH PRIVATE KEY") {
    const magic = "openssh-key-v1\0";
    if (body.subarray(0, magic.length).toString("latin1") !== magic || body.length < magic.length + 4) {
      throw new SwampError(KeyErrorCode.keyInvalid, `SSH key ${path} for vault '${vault}' is not a valid OpenSSH private key`);
    }
    const len = body.readUInt32BE(magic.length);
    const cipher = body.subarray(magic.length + 4, magic.length + 4 + len).toString("latin1");
    if (cipher !== "none") throw encrypted();
  }
  return body;
}

/**
 * The key material for `source`, or null when a key file does not exist and may not be
 * created (`create` false or no auto_generate).
 */
export async function loadKeyMaterial(source: KeySource, vault: string, options: { create: boolean }): Promise<Buffer | null> {
  if (source.kind === "ssh-key") return readSshKey(source.path, vault);
  const existing = await readKeyFile(source.path, vault);
  if (existing) return existing;
  if (!options.create || !source.autoGenerate) return null;
  await createKeyFile(source.path);
  return readKeyFile(source.path, vault);
}
