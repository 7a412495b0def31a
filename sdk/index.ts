/**
 * swamp SDK for extension authors: the port types, schemas and errors of the kernel contract.
 * Test helpers (fakes and conformance suites) live in `swamp-sdk/testing`.
 */
export * from "../kernel/contract/index.js";
