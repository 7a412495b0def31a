/**
 * What the host hands a worker (a piscina task) or a sandbox process (its first IPC message),
 * and the names both sides agree on. The messages exchanged afterwards are the wire protocol
 * of kernel/contract/wire.ts.
 */
import type { MessagePort } from "node:worker_threads";
import type { PluginKind } from "../../kernel/contract/plugin.js";

/** Everything a worker needs to load one extension bundle. */
/** A bundle's file suffix says how a worker loads it: a script is run, an ES module imported. */
export const BUNDLE_SUFFIX = { cjs: ".cjs", esm: ".mjs" } as const;
export type BundleFormat = keyof typeof BUNDLE_SUFFIX;

export interface InstanceInit {
  kind: PluginKind;
  /** The extension's source file (for messages only: the worker never reads it). */
  source: string;
  /** The built bundle: a script (`.cjs`) to run or an ES module (`.mjs`) to import. */
  bundlePath: string;
  /** Content fingerprint of the bundle; busts the module cache of a long-lived worker. */
  fingerprint: string;
  /**
   * Modules the host provides instead of bundling them (so an extension and the host share
   * one zod): specifier (`zod`, `zod/v4/core`, …) → file URL to import. `@swamp-ts/sdk` (or `swamp-sdk`) maps to
   * the worker's own copy of the kernel contract, and `zod`, `zod/v4` to the worker's own zod
   * (both given as the specifier itself).
   */
  hostModules: Record<string, string>;
}

export type WorkerTask =
  | { op: "instance"; port: MessagePort; init: InstanceInit }
  | { op: "describe"; init: InstanceInit };

/** Name of the global through which bundles reach host-provided modules. */
export const HOST_GLOBAL = "__swampHost";

/** The CEL engine, provided to model workers for `context.createCelEnvironment()`. */
export const CEL_SPECIFIER = "@marcbachmann/cel-js";

/**
 * Specifiers served by the zod built into the worker itself (`zod` and `zod/v4` export the same
 * namespace): the worker never reads their URL, so the host does not resolve one.
 */
export const WORKER_OWN_ZOD: ReadonlySet<string> = new Set(["zod", "zod/v4"]);

/** Text by which a bundle that builds a CEL environment is known (a bundle holds all its extension's code). */
export const CEL_USE_MARK = "createCelEnvironment";

/** Specifier under which the sdk is provided (its npm name). */
export const SDK_SPECIFIER = "@swamp-ts/sdk";
/** The sdk's earlier, unscoped name: extensions (and cached bundles) written against it keep loading. */
export const LEGACY_SDK_SPECIFIER = "swamp-sdk";

export function isSdkSpecifier(spec: string): boolean {
  return spec === SDK_SPECIFIER || spec === LEGACY_SDK_SPECIFIER;
}

/** Export names per kind; a model file exports `model` (new type) or `extension` (adds to one). */
export const EXPORT_NAMES: Record<PluginKind, readonly string[]> = {
  datastore: ["datastore"],
  model: ["model", "extension"],
  vault: ["vault"],
  driver: ["driver"],
  report: ["report"],
};

/**
 * The outcome of loading a bundle once to learn what it declares (stored in the manifest). A
 * failure still names the type the export declares when it has one, so the type is served by
 * the broken extension (failing loudly) and never by another plugin.
 */
export type DescribeResult =
  | { ok: true; descriptor: ExtensionDescriptor }
  | { ok: false; error: { code: string; message: string; stack?: string }; type?: string };

export interface ConfigurableDescriptor {
  kind: "datastore" | "vault" | "driver";
  type: string;
  name: string;
  description: string;
  /** JSON Schema of the config (from the export's zod `configSchema`), or null when none. */
  configSchema: Record<string, unknown> | null;
}

export interface ReportDescriptor {
  kind: "report";
  type: string;
  name: string;
  description: string;
  scope: "method" | "model" | "workflow";
  labels?: string[];
}

export interface ModelMethodDescriptor {
  description: string;
  kind?: "create" | "read" | "update" | "delete" | "list" | "action";
  rollbackOnFailure?: boolean;
  arguments: Record<string, unknown>;
}

export interface ModelDescriptor {
  kind: "model";
  /** `model` declares a new type; `extension` adds methods/checks/specs to `type`. */
  export: "model" | "extension";
  type: string;
  name: string;
  description: string;
  version?: string;
  globalArguments?: Record<string, unknown>;
  resources?: Record<string, {
    description?: string;
    schema: Record<string, unknown>;
    lifetime: string;
    garbageCollection: number | string;
    tags?: Record<string, string>;
    sensitiveOutput?: boolean;
    vaultName?: string;
  }>;
  files?: Record<string, {
    description?: string;
    contentType: string;
    lifetime: string;
    garbageCollection: number | string;
    streaming?: boolean;
    tags?: Record<string, string>;
  }>;
  methods: Record<string, ModelMethodDescriptor>;
  checks?: Record<string, { description: string; labels?: string[]; appliesTo?: string[] }>;
  reports?: string[];
}

export type ExtensionDescriptor = ConfigurableDescriptor | ReportDescriptor | ModelDescriptor;
