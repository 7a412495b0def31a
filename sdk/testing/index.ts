/**
 * Test helpers for extension authors (`@swamp-ts/sdk/testing`): conformance suites for every
 * extension kind, in-memory fakes of what the host hands an extension, and `importExtension`
 * to load an extension file (with its `npm:` imports) into a test process.
 *
 * Every suite is framework-agnostic: an async function that resolves when all checks pass and
 * throws an AssertionError naming the first failed check.
 */
export * from "./datastore-conformance.js";
export * from "./vault-conformance.js";
export * from "./model-conformance.js";
export * from "./driver-conformance.js";
export * from "./report-conformance.js";
export * from "./method-context.js";
export * from "./reads.js";
export * from "./load.js";
