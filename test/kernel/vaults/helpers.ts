import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VaultPlugin, VaultStore } from "../../../kernel/contract/ports/vault.js";
import { PluginRegistry } from "../../../kernel/runtime/registry.js";
import { VaultService } from "../../../kernel/vaults/service.js";

export async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "swamp-vaults-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A registry holding the builtin local_encryption type (plus any extra vault plugins). */
export function vaultRegistry(extra: VaultPlugin[] = []): PluginRegistry {
  const registry = new PluginRegistry();
  registry.register({
    kind: "vault",
    type: "local_encryption",
    name: "Local encryption",
    description: "test",
    origin: "builtin",
    load: async () => (await import("../../../builtins/vault-local-encryption/index.js")).vault as never,
  });
  for (const p of extra) {
    registry.register({ kind: "vault", type: p.type, name: p.name, description: p.description, origin: "builtin", load: async () => p as never });
  }
  return registry;
}

export function serviceFor(repo: string, options: { registry?: PluginRegistry; defaultVault?: string; warnings?: string[] } = {}): VaultService {
  return new VaultService({
    repoDir: repo,
    registry: options.registry ?? vaultRegistry(),
    vaultsDir: join(repo, "vaults"),
    auditDir: join(repo, ".swamp", "audit"),
    ...(options.defaultVault ? { defaultVault: options.defaultVault } : {}),
    warn: (m) => options.warnings?.push(m),
  });
}

/** An in-memory VaultStore recording every call. */
export class MemoryStore implements VaultStore {
  readonly secrets = new Map<string, string>();
  readonly calls: string[] = [];
  constructor(
    private readonly vaults: string[],
    private readonly def?: string,
  ) {}
  async get(vault: string, key: string, caller?: string): Promise<string> {
    this.calls.push(`get ${vault} ${key} ${caller ?? ""}`);
    const v = this.secrets.get(`${vault}/${key}`);
    if (v === undefined) throw new Error(`no ${vault}/${key}`);
    return v;
  }
  async put(vault: string, key: string, value: string, caller?: string): Promise<void> {
    if (!this.vaults.includes(vault)) throw new Error(`Vault '${vault}' not found`);
    this.calls.push(`put ${vault} ${key} ${caller ?? ""}`);
    this.secrets.set(`${vault}/${key}`, value);
  }
  async names(): Promise<string[]> {
    return [...this.vaults].sort();
  }
  defaultVault(): string | undefined {
    return this.def;
  }
}
