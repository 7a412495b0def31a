/**
 * swamp SDK for extension authors.
 *
 * - The kernel contract: port interfaces (`DatastoreProvider`, `DistributedLock`, `LockInfo`,
 *   `VaultProvider`, `ExecutionDriver`, `MethodContext`, `DataHandle`, `ReportContext`, …),
 *   their wire schemas, and the error model (`SwampError`, `LockTimeoutError`, `ErrorCode`).
 * - Define helpers (`defineDatastore`, `defineModel`, `defineModelExtension`, `defineVault`,
 *   `defineDriver`, `defineReport`): identity functions that type an extension's export.
 * - Runtime helpers: `createLockInfo`, `isLockExpired`, `createPollingLock`, secret key rules
 *   and the vault errors swamp relies on.
 *
 * Inside an extension, `import … from "swamp-sdk"` is served by the swamp that loads it (the
 * same way `npm:zod@4` is), so the extension never bundles its own copy.
 * Test helpers (fakes and conformance suites) live in `swamp-sdk/testing`.
 */
export * from "../kernel/contract/index.js";
export * from "./define.js";
export * from "./helpers.js";
