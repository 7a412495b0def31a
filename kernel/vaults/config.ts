/**
 * Vault configurations: `vaults/<type>/<id>.yaml` (models.md §7.1), one per vault:
 *
 *   id: <uuid>
 *   name: dev-secrets
 *   type: local_encryption
 *   config:
 *     auto_generate: true
 *   createdAt: "<ISO>"
 *   auditReads: true        # only written when true
 *
 * Lookup walks `vaults/**` once per repository object (vaults are few); broken files are
 * reported and skipped, never fatal. Deprecated type names are remapped on load.
 */
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { toYaml } from "../runtime/yaml.js";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { VAULT_NAME_PATTERN, VaultConfigSchema, type VaultConfig } from "../contract/ports/vault.js";
import { shortName } from "../contract/untrusted.js";
import { atomicWriteFile, isTempFile } from "../runtime/atomic-write.js";
import { safeJoin } from "../runtime/safe-path.js";
import { VaultErrorCode } from "./errors.js";

/** Old type names → current ones (models.md §7.1). */
export const RENAMED_VAULT_TYPES: Readonly<Record<string, string>> = {
  aws: "@swamp/aws-sm",
  "aws-sm": "@swamp/aws-sm",
  azure: "@swamp/azure-kv",
  "azure-kv": "@swamp/azure-kv",
  "1password": "@swamp/1password",
};

export interface StoredVault {
  config: VaultConfig;
  /** Absolute path of the YAML file. */
  path: string;
}

export interface BrokenVaultFile {
  path: string;
  error: string;
}

export function vaultNameProblem(name: string): string | null {
  if (!VAULT_NAME_PATTERN.test(name)) {
    return `Invalid vault name: "${shortName(name)}". Use lowercase letters, digits and "-", starting with a letter`;
  }
  return null;
}

export class VaultConfigRepository {
  private loaded: Promise<{ vaults: StoredVault[]; broken: BrokenVaultFile[] }> | null = null;

  constructor(
    readonly vaultsDir: string,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  /** Every readable vault config, sorted by name. */
  async list(): Promise<StoredVault[]> {
    return (await this.load()).vaults;
  }

  async broken(): Promise<BrokenVaultFile[]> {
    return (await this.load()).broken;
  }

  /** By exact name, else by id. */
  async find(nameOrId: string): Promise<StoredVault | null> {
    const vaults = await this.list();
    return vaults.find((v) => v.config.name === nameOrId) ?? vaults.find((v) => v.config.id === nameOrId) ?? null;
  }

  async names(): Promise<string[]> {
    return (await this.list()).map((v) => v.config.name);
  }

  /** Where a vault's YAML lives. */
  pathFor(type: string, id: string): string {
    return safeJoin(this.vaultsDir, ...type.split("/"), `${id}.yaml`);
  }

  /** Writes a new vault config (name checked and unique). */
  async create(input: { name: string; type: string; config: Record<string, unknown>; auditReads?: boolean }): Promise<StoredVault> {
    const problem = vaultNameProblem(input.name);
    if (problem) throw new SwampError(VaultErrorCode.invalidName, problem, { details: { name: shortName(input.name) } });
    this.loaded = null;
    if (await this.find(input.name)) {
      throw new SwampError(ErrorCode.alreadyExists, `Vault already exists: ${input.name}`, { details: { name: input.name } });
    }
    const config: VaultConfig = {
      id: randomUUID(),
      name: input.name,
      type: input.type,
      config: input.config,
      createdAt: new Date().toISOString(),
      ...(input.auditReads ? { auditReads: true } : {}),
    };
    return { config, path: await this.write(config) };
  }

  /** Writes a config to `vaults/<type>/<id>.yaml` (atomically); returns the path. */
  async write(config: VaultConfig): Promise<string> {
    const path = this.pathFor(config.type, config.id);
    await atomicWriteFile(path, toYaml(config));
    this.loaded = null;
    return path;
  }

  /** Reads one config file as the loader does (deprecated type names remapped); throws why it is unusable. */
  async readFile(path: string): Promise<VaultConfig> {
    const raw: unknown = parse(await readFile(path, "utf8"));
    const parsed = VaultConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${issue?.path.map(String).join(".") || "config"}: ${issue?.message ?? "invalid"}`);
    }
    const config = parsed.data;
    const renamed = RENAMED_VAULT_TYPES[config.type];
    if (renamed) {
      this.warn(`Vault '${config.name}' uses the old type name '${config.type}'; treating it as '${renamed}'`);
      config.type = renamed;
    }
    return config;
  }

  /** Forgets what was read, so the next lookup reads the files again. */
  reload(): void {
    this.loaded = null;
  }

  displayPath(path: string, repoDir: string): string {
    return relative(repoDir, path).split("\\").join("/");
  }

  private load(): Promise<{ vaults: StoredVault[]; broken: BrokenVaultFile[] }> {
    this.loaded ??= this.walk();
    return this.loaded;
  }

  private async walk(): Promise<{ vaults: StoredVault[]; broken: BrokenVaultFile[] }> {
    const files: string[] = [];
    const visit = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return;
        throw new SwampError(ErrorCode.internal, `Cannot read vault configs in ${dir}: ${(err as Error).message}`);
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory() && depth < 8) await visit(p, depth + 1);
        else if ((e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name) && !isTempFile(e.name)) files.push(p);
      }
    };
    await visit(this.vaultsDir, 0);
    files.sort();
    const vaults: StoredVault[] = [];
    const broken: BrokenVaultFile[] = [];
    for (const path of files) {
      try {
        const config = await this.readFile(path);
        if (vaults.some((v) => v.config.name === config.name)) throw new Error(`duplicate vault name '${config.name}'`);
        vaults.push({ config, path });
      } catch (err) {
        const error = (err as Error).message.split("\n")[0] ?? "unreadable";
        broken.push({ path, error });
        this.warn(`Skipping broken vault config ${path}: ${error}`);
      }
    }
    vaults.sort((a, b) => a.config.name.localeCompare(b.config.name));
    return { vaults, broken };
  }
}
