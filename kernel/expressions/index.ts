/**
 * CEL expressions in definitions: extraction, the engine, the lazy evaluation context, the two
 * evaluation phases, `model validate`'s expression-path check and dependency extraction.
 */
export * from "./extract.js";
export * from "./ast.js";
export * from "./engine.js";
export * from "./budget.js";
export * from "./regex.js";
export * from "./context.js";
export * from "./evaluate.js";
export * from "./validate-paths.js";
export * from "./deps.js";
