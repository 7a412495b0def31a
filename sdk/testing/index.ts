/** Test helpers for extension authors: conformance suites and in-memory fakes. */
export * from "./datastore-conformance.js";
