/**
 * The built-in `local_encryption` vault: one AES-256-GCM file per secret under
 * `<base>/.swamp/secrets/local_encryption/<vault>/<key>.enc` (file 0600, directory 0700,
 * atomic writes), format in crypto.ts, key material in key-material.ts.
 *
 * `<base>` is the repository (given by the host at provider construction); a config's
 * `base_dir` (written by the reference implementation as an absolute path) is honoured when
 * the vault's directory exists there, so a repo created elsewhere still reads its secrets
 * after it moved. Nothing here ever writes a secret value anywhere but into an `.enc` file,
 * and no error message contains one.
 */
import * as z from "zod";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SwampError } from "../../kernel/contract/errors.js";
import { secretKeyProblem, type VaultPlugin, type VaultProvider, type VaultProviderContext } from "../../kernel/contract/ports/vault.js";
import { shortName } from "../../kernel/contract/untrusted.js";
import { atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import { decryptSecret, DecryptError, encryptSecret } from "./crypto.js";
import { KeyErrorCode, loadKeyMaterial, resolveFrom, type KeySource } from "./key-material.js";

export const LOCAL_ENCRYPTION_TYPE = "local_encryption";
export const KEY_FILE_NAME = ".key";
const SUFFIX = ".enc";

export const LocalVaultErrorCode = {
  secretNotFound: "vault_secret_not_found",
  invalidKey: "vault_invalid_key",
  decryptFailed: "vault_decrypt_failed",
  ...KeyErrorCode,
} as const;

export const LocalEncryptionConfigSchema = z.object({
  auto_generate: z.boolean().optional(),
  ssh_key_path: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  base_dir: z.string().min(1).optional(),
});
export type LocalEncryptionConfig = z.infer<typeof LocalEncryptionConfigSchema>;

export { secretKeyProblem };

/** `<base>/.swamp/secrets/local_encryption/<vault>` */
export function vaultDirectory(base: string, vaultName: string): string {
  return join(base, ".swamp", "secrets", LOCAL_ENCRYPTION_TYPE, vaultName);
}

function chooseBase(config: LocalEncryptionConfig, vaultName: string, context?: VaultProviderContext): string {
  const repoDir = context?.repoDir ? resolve(context.repoDir) : undefined;
  if (config.base_dir === undefined) {
    if (!repoDir) throw new SwampError("vault_config_invalid", `Vault '${vaultName}' (local_encryption) needs base_dir or a repository`);
    return repoDir;
  }
  const configured = resolveFrom(repoDir ?? process.cwd(), config.base_dir);
  // An absolute base_dir recorded on another machine (or before the repo moved): use the repo.
  if (repoDir && configured !== repoDir && !existsSync(vaultDirectory(configured, vaultName)) && existsSync(vaultDirectory(repoDir, vaultName))) {
    return repoDir;
  }
  return configured;
}

function keySource(config: LocalEncryptionConfig, base: string, dir: string): KeySource {
  if (config.ssh_key_path) return { kind: "ssh-key", path: resolveFrom(base, config.ssh_key_path), autoGenerate: false };
  if (config.auto_generate || config.key_file) {
    return { kind: "key-file", path: config.key_file ? resolveFrom(base, config.key_file) : join(dir, KEY_FILE_NAME), autoGenerate: config.auto_generate === true };
  }
  return { kind: "ssh-key", path: resolveFrom(base, "~/.ssh/id_rsa"), autoGenerate: false };
}

export class LocalEncryptionProvider implements VaultProvider {
  readonly directory: string;
  readonly keySource: KeySource;
  private material: Buffer | null = null;

  constructor(
    private readonly vaultName: string,
    config: LocalEncryptionConfig,
    context?: VaultProviderContext,
  ) {
    const base = chooseBase(config, vaultName, context);
    this.directory = vaultDirectory(base, vaultName);
    this.keySource = keySource(config, base, this.directory);
  }

  getName(): string {
    return this.vaultName;
  }

  private checkKey(key: string): string {
    const problem = secretKeyProblem(key);
    if (problem) throw new SwampError(LocalVaultErrorCode.invalidKey, `Invalid secret key ${JSON.stringify(shortName(key))} for vault '${this.vaultName}': ${problem}`);
    return join(this.directory, `${key}${SUFFIX}`);
  }

  private async keyMaterial(create: boolean, forKey: string, forWrite = false): Promise<Buffer> {
    if (this.material) return this.material;
    const loaded = await loadKeyMaterial(this.keySource, this.vaultName, { create });
    if (!loaded) {
      throw new SwampError(
        LocalVaultErrorCode.keyMissing,
        forWrite
          ? `Cannot store secret '${forKey}' in vault '${this.vaultName}': key file ${this.keySource.path} is missing${create ? "" : " and the vault's existing secrets need it (restore it from a backup)"}`
          : `Cannot decrypt secret '${forKey}' in vault '${this.vaultName}': key file ${this.keySource.path} is missing`,
        { details: { vault: this.vaultName, key: forKey, keyFile: this.keySource.path } },
      );
    }
    this.material = loaded;
    return loaded;
  }

  async get(key: string): Promise<string> {
    const path = this.checkKey(key);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new SwampError(LocalVaultErrorCode.secretNotFound, `Secret '${key}' not found in vault '${this.vaultName}'`, {
          details: { vault: this.vaultName, key },
        });
      }
      throw err;
    }
    const material = await this.keyMaterial(false, key);
    try {
      return await decryptSecret(material, text);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      const what = this.keySource.kind === "ssh-key" ? "the SSH key" : "the key file";
      const reason = err.reason === "authentication" ? `${what} does not match or the data was altered` : `the file is damaged (${err.message})`;
      throw new SwampError(LocalVaultErrorCode.decryptFailed, `Cannot decrypt secret '${key}' in vault '${this.vaultName}': ${reason}`, {
        details: { vault: this.vaultName, key },
      });
    }
  }

  async put(key: string, value: string): Promise<void> {
    const path = this.checkKey(key);
    if (typeof value !== "string") throw new SwampError("validation_failed", `A secret value must be a string (vault '${this.vaultName}', key '${key}')`);
    // Generating a new key while secrets exist would silently orphan every one of them.
    const mayCreate = this.material !== null || this.keySource.kind !== "key-file" || existsSync(this.keySource.path) || (await this.list()).length === 0;
    const material = await this.keyMaterial(mayCreate, key, true);
    await this.ensureDirectory();
    await atomicWriteFile(path, await encryptSecret(material, value), { mode: 0o600, mkdirs: false });
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return names
      // Temp files end in .tmp and the key file has no suffix: every *.enc is a secret, dot-named too.
      .filter((n) => n.endsWith(SUFFIX) && n.length > SUFFIX.length)
      .map((n) => n.slice(0, -SUFFIX.length))
      .sort();
  }

  async delete(key: string): Promise<void> {
    const path = this.checkKey(key);
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new SwampError(LocalVaultErrorCode.secretNotFound, `Secret '${key}' not found in vault '${this.vaultName}'`, {
          details: { vault: this.vaultName, key },
        });
      }
      throw err;
    }
  }

  private async ensureDirectory(): Promise<void> {
    if (existsSync(this.directory)) return;
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    await chmod(this.directory, 0o700).catch(() => {});
  }
}

export const vault: VaultPlugin<LocalEncryptionConfig> = {
  type: LOCAL_ENCRYPTION_TYPE,
  name: "Local encryption",
  description: "AES-256-GCM encrypted files in the repository's .swamp/secrets (key auto-generated or an SSH key)",
  configSchema: LocalEncryptionConfigSchema,
  defaultConfig: { auto_generate: true },
  createProvider: (vaultName, config, context) => new LocalEncryptionProvider(vaultName, config, context),
};
