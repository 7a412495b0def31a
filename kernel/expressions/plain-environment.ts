/**
 * The plain CEL environment a method context offers in-process (`createCelEnvironment()`:
 * swamp's options, no swamp namespaces), with cel-js loaded on the first call. The port is
 * synchronous, and loading cel-js cost every built-in run about 12 ms of CPU, for an
 * environment no built-in model type asks for (extensions build theirs in their worker).
 */
import { createRequire } from "node:module";
import type { Environment } from "@marcbachmann/cel-js";
import { newCelEnvironment } from "./cel-environment.js";

type CelJs = typeof import("@marcbachmann/cel-js");
let celJs: CelJs | undefined;

function loadCelJs(): CelJs {
  // A `require` of a literal: esbuild bundles cel-js into the CLI (CommonJS) and runs it on
  // this call. From tsc's output (ES modules, tests) Node's require loads the ES module (20.19+).
  return (typeof require === "function" ? require("@marcbachmann/cel-js") : createRequire(import.meta.url)("@marcbachmann/cel-js")) as CelJs;
}

export function newPlainCelEnvironment(): Environment {
  celJs ??= loadCelJs();
  return newCelEnvironment(celJs.Environment);
}
