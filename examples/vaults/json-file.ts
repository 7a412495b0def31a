/**
 * Example vault: secrets in one JSON file per vault, for local development and CI.
 *
 * The file is NOT encrypted — it is protected only by its permissions (0600, directory 0700) —
 * so keep it out of version control (the default location, `.secrets/`, belongs in
 * `.gitignore`). For anything shared, use the builtin `local_encryption` vault or a real
 * secret manager; this file shows the contract a vault implements:
 *
 *   get(key)          the value; a missing key throws `secretNotFoundError` (code vault_secret_not_found)
 *   put(key, value)   create or replace, atomically (temp file + rename)
 *   list()            key names only, sorted — never values
 *   getName()         the vault's name
 *   delete(key)       optional capability
 *
 * Keys follow the common rules (`assertSecretKey`: no `/`, `\`, `..`, NUL or empty).
 *
 * Install: copy this file to `extensions/vaults/json-file.ts`, then
 *   swamp vault create @examples/json-file dev
 *   echo -n s3cret | swamp vault put dev api-token
 *   swamp vault list-keys dev
 */
import { z } from "npm:zod@4";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { assertSecretKey, defineVault, secretNotFoundError, type VaultProvider } from "@swamp-ts/sdk";

const ConfigSchema = z.object({
  directory: z.string().min(1).default(".secrets").describe("Where the vault's JSON file lives (relative to the repository)"),
});

type Secrets = Record<string, string>;

class JsonFileVault implements VaultProvider {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly file: string,
  ) {}

  getName(): string {
    return this.name;
  }

  private async load(): Promise<Secrets> {
    try {
      const parsed = JSON.parse(await readFile(this.file, "utf8")) as unknown;
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Secrets) : {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new Error(`Vault '${this.name}': cannot read ${this.file}: ${(err as Error).message}`);
    }
  }

  private async save(secrets: Secrets): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, this.file);
  }

  /** Serialises read-modify-write cycles of this provider. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async get(key: string): Promise<string> {
    assertSecretKey(this.name, key);
    const value = (await this.load())[key];
    if (typeof value !== "string") throw secretNotFoundError(this.name, key);
    return value;
  }

  async put(key: string, value: string): Promise<void> {
    assertSecretKey(this.name, key);
    if (typeof value !== "string") throw new TypeError(`Vault '${this.name}': a secret value must be a string`);
    await this.exclusive(async () => this.save({ ...(await this.load()), [key]: value }));
  }

  async list(): Promise<string[]> {
    return Object.keys(await this.load()).sort();
  }

  async delete(key: string): Promise<void> {
    assertSecretKey(this.name, key);
    await this.exclusive(async () => {
      const secrets = await this.load();
      if (!(key in secrets)) throw secretNotFoundError(this.name, key);
      delete secrets[key];
      await this.save(secrets);
    });
  }
}

export const vault = defineVault({
  type: "@examples/json-file",
  name: "JSON file (example)",
  description: "Unencrypted secrets in a 0600 JSON file per vault, for local development",
  configSchema: ConfigSchema,
  defaultConfig: { directory: ".secrets" },
  createProvider: (vaultName, raw, context) => {
    const config = ConfigSchema.parse(raw);
    const base = isAbsolute(config.directory) ? config.directory : resolve(context?.repoDir ?? process.cwd(), config.directory);
    return new JsonFileVault(vaultName, join(base, `${vaultName}.json`));
  },
});
