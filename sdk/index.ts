/**
 * swamp SDK for extension authors.
 *
 * - The kernel contract: port interfaces (`DatastoreProvider`, `DistributedLock`, `LockInfo`,
 *   `VaultProvider`, `ExecutionDriver`, `MethodContext`, `DataHandle`, `ReportContext`, …),
 *   `LockInfoSchema`, and the error model (`SwampError`, `LockTimeoutError`, `ErrorCode`).
 * - Define helpers (`defineDatastore`, `defineModel`, `defineModelExtension`, `defineVault`,
 *   `defineDriver`, `defineReport`): identity functions that type an extension's export.
 * - Runtime helpers: `createLockInfo`, `isLockExpired`, `createPollingLock`, secret key rules
 *   and the vault errors swamp relies on.
 *
 * Inside an extension, `import … from "@swamp-ts/sdk"` (or its earlier name `swamp-sdk`) is
 * served by the swamp that loads it (the same way `npm:zod@4` is), so the extension never
 * bundles its own copy. Test helpers (fakes and conformance suites) live in
 * `@swamp-ts/sdk/testing`.
 *
 * Only what extension authors use is exported: the worker wire protocol, plugin registry
 * shapes and other internals of swamp stay in the kernel contract, which swamp imports by path.
 */
export type * from "../kernel/contract/ports/datastore.js";
export type * from "../kernel/contract/ports/vault.js";
export type * from "../kernel/contract/ports/driver.js";
export type * from "../kernel/contract/ports/model-type.js";
export type * from "../kernel/contract/ports/report.js";
export { ErrorCode, errorCode, LockTimeoutError, SwampError, type ErrorCodeValue, type SwampErrorOptions } from "../kernel/contract/errors.js";
export { GLOBAL_LOCK_KEY, LockInfoSchema, modelLockKey } from "../kernel/contract/ports/datastore.js";
export { secretKeyProblem } from "../kernel/contract/ports/vault.js";
export * from "./define.js";
export * from "./helpers.js";
