export * from "./errors.js";
export * from "./plugin.js";
export * from "./wire.js";
export * from "./ports/datastore.js";
export * from "./ports/vault.js";
export * from "./ports/driver.js";
export * from "./ports/model-type.js";
export * from "./ports/report.js";
