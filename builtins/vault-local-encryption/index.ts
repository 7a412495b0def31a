/**
 * The built-in `local_encryption` vault: one AES-256-GCM file per secret under
 * `<base>/.swamp/secrets/local_encryption/<vault>/<key>.enc` (file 0600, directory 0700,
 * atomic writes), format in crypto.ts, key material in key-material.ts. A secret's annotation
 * and refresh hook are JSON encrypted the same way, in `.annotations/<key>.enc` and
 * `.refresh/<key>.enc` beside it (a URL or a command can say as much as a secret).
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
import {
  secretKeyProblem,
  VaultAnnotationSchema,
  VaultRefreshHookSchema,
  type VaultAnnotation,
  type VaultPlugin,
  type VaultProvider,
  type VaultProviderContext,
  type VaultPutOptions,
  type VaultRefreshHook,
} from "../../kernel/contract/ports/vault.js";
import { shortName } from "../../kernel/contract/untrusted.js";
import { atomicWriteFile } from "../../kernel/runtime/atomic-write.js";
import { decryptSecret, DecryptError, encryptSecret } from "./crypto.js";
import { KeyErrorCode, loadKeyMaterial, resolveFrom, type KeySource } from "./key-material.js";

export const LOCAL_ENCRYPTION_TYPE = "local_encryption";
export const KEY_FILE_NAME = ".key";
const SUFFIX = ".enc";
const ANNOTATIONS_DIR = ".annotations";
const REFRESH_DIR = ".refresh";

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

  async put(key: string, value: string, options?: VaultPutOptions): Promise<void> {
    const path = this.checkKey(key);
    if (typeof value !== "string") throw new SwampError("validation_failed", `A secret value must be a string (vault '${this.vaultName}', key '${key}')`);
    const material = await this.writeMaterial(key);
    await this.ensureDirectory(this.directory);
    await atomicWriteFile(path, await encryptSecret(material, value), { mode: 0o600, mkdirs: false });
    // Tags are this vault's labels: merged into the secret's annotation.
    const tags = options?.tags;
    if (tags && Object.keys(tags).length > 0) {
      const current = await this.getAnnotation(key);
      await this.putAnnotation(key, { ...current, labels: { ...current?.labels, ...tags }, updatedAt: new Date().toISOString() });
    }
  }

  async getAnnotation(key: string): Promise<VaultAnnotation | null> {
    const value = await this.readSide(ANNOTATIONS_DIR, key, "annotation");
    if (value === null) return null;
    return this.parseSide(VaultAnnotationSchema, value, key, "annotation");
  }

  async putAnnotation(key: string, annotation: VaultAnnotation): Promise<void> {
    await this.writeSide(ANNOTATIONS_DIR, key, JSON.stringify(VaultAnnotationSchema.parse(annotation)));
  }

  async deleteAnnotation(key: string): Promise<void> {
    await this.removeSide(ANNOTATIONS_DIR, key);
  }

  async listAnnotations(): Promise<string[]> {
    return this.listIn(join(this.directory, ANNOTATIONS_DIR));
  }

  async getRefreshHook(key: string): Promise<VaultRefreshHook | null> {
    const value = await this.readSide(REFRESH_DIR, key, "refresh hook");
    if (value === null) return null;
    return this.parseSide(VaultRefreshHookSchema, value, key, "refresh hook");
  }

  async putRefreshHook(key: string, hook: VaultRefreshHook): Promise<void> {
    await this.writeSide(REFRESH_DIR, key, JSON.stringify(VaultRefreshHookSchema.parse(hook)));
  }

  async deleteRefreshHook(key: string): Promise<void> {
    await this.removeSide(REFRESH_DIR, key);
  }

  /** Key material for a write; a new key is generated only while the vault holds no secret. */
  private async writeMaterial(key: string): Promise<Buffer> {
    // Generating a new key while secrets exist would silently orphan every one of them.
    const mayCreate = this.material !== null || this.keySource.kind !== "key-file" || existsSync(this.keySource.path) || (await this.list()).length === 0;
    return this.keyMaterial(mayCreate, key, true);
  }

  private async readSide(dir: string, key: string, what: string): Promise<string | null> {
    this.checkKey(key);
    let text: string;
    try {
      text = await readFile(join(this.directory, dir, `${key}${SUFFIX}`), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    try {
      return await decryptSecret(await this.keyMaterial(false, key), text);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      throw new SwampError(LocalVaultErrorCode.decryptFailed, `Cannot decrypt the ${what} of secret '${key}' in vault '${this.vaultName}': ${err.message}`, {
        details: { vault: this.vaultName, key },
      });
    }
  }

  private parseSide<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, text: string, key: string, what: string): T {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new SwampError(LocalVaultErrorCode.decryptFailed, `The ${what} of secret '${key}' in vault '${this.vaultName}' is damaged`, { details: { vault: this.vaultName, key } });
    }
    return parsed.data;
  }

  private async writeSide(dir: string, key: string, json: string): Promise<void> {
    this.checkKey(key);
    const material = await this.writeMaterial(key);
    const target = join(this.directory, dir);
    await this.ensureDirectory(this.directory);
    await this.ensureDirectory(target);
    await atomicWriteFile(join(target, `${key}${SUFFIX}`), await encryptSecret(material, json), { mode: 0o600, mkdirs: false });
  }

  private async removeSide(dir: string, key: string): Promise<void> {
    this.checkKey(key);
    await unlink(join(this.directory, dir, `${key}${SUFFIX}`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  async list(): Promise<string[]> {
    return this.listIn(this.directory);
  }

  private async listIn(dir: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(dir);
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
    // A secret's metadata goes with it.
    await this.removeSide(ANNOTATIONS_DIR, key);
    await this.removeSide(REFRESH_DIR, key);
  }

  private async ensureDirectory(dir: string): Promise<void> {
    if (existsSync(dir)) return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700).catch(() => {});
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
