/**
 * A VaultStore that builds the repository's vault service on first use. Commands that might
 * need a vault (a method run) hand this out; a run that never touches a vault never reads
 * `vaults/` or loads the service's code.
 */
import type { VaultStore } from "../contract/ports/vault.js";
import type { Kernel } from "../runtime/kernel.js";
import { resolveVaultReferences, type ReferenceResolver } from "./references.js";
import type { VaultService } from "./service.js";

export interface LazyVaultStore extends VaultStore {
  /** The service, built now if it was not yet. */
  service(): Promise<VaultService>;
  /** True once something asked for a vault. */
  readonly used: boolean;
}

export function lazyVaultStore(kernel: Kernel, options: { warn?(message: string): void } = {}): LazyVaultStore {
  let pending: Promise<VaultService> | null = null;
  const service = (): Promise<VaultService> => {
    pending ??= import("./service.js").then((m) => m.vaultService(kernel, options));
    return pending;
  };
  return {
    service,
    get used() {
      return pending !== null;
    },
    get: async (vault, key, caller) => (await service()).get(vault, key, caller),
    put: async (vault, key, value, caller) => (await service()).put(vault, key, value, caller),
    names: async () => (await service()).names(),
    defaultVault: () => kernel.marker.defaultVault,
  };
}

/**
 * Resolves references to their values, registering each value (e.g. with the run's redactor)
 * before it is handed out. Failures leave the reference in place.
 */
export function revealingResolver(store: VaultStore, caller: string, register: (secret: string) => void): ReferenceResolver {
  return async (ref) => {
    try {
      const value = await store.get(ref.vault, ref.key, caller);
      registerSecretValue(value, register);
      return value;
    } catch {
      return null;
    }
  };
}

/** Registers a secret and, when it is a JSON-stringified object or array, each string inside it. */
export function registerSecretValue(value: string, register: (secret: string) => void): void {
  register(value);
  const first = value.trimStart()[0];
  if (first !== "{" && first !== "[") return;
  try {
    const walk = (node: unknown, depth: number): void => {
      if (typeof node === "string") register(node);
      else if (depth < 32 && node !== null && typeof node === "object") for (const v of Object.values(node)) walk(v, depth + 1);
    };
    walk(JSON.parse(value), 0);
  } catch {
    // not JSON: the whole value is registered already
  }
}

/**
 * For an explicit request to see secrets (`swamp data get --reveal`): `value` with its vault
 * references replaced by the secrets (the vault service is only loaded when a reference is
 * present). References that cannot be resolved stay as they are.
 */
export async function revealVaultReferences<T>(kernel: Kernel, value: T, caller: string): Promise<T> {
  return resolveVaultReferences(value, revealingResolver(lazyVaultStore(kernel), caller, () => {}));
}
