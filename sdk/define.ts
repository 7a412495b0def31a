/**
 * Define helpers for extension authors: `defineDatastore`, `defineModel`,
 * `defineModelExtension`, `defineVault`, `defineDriver` and `defineReport`.
 *
 * Each is an identity function: it returns exactly the object it is given, so an extension
 * written with a helper and one written as a plain object literal load the same way. What the
 * helpers add is type checking and inference while writing the extension:
 *
 *   - a method's `execute(args, context)` gets `args` typed from its zod `arguments` schema
 *     (the parsed output: defaults applied), and `context.globalArgs` from `globalArguments`;
 *   - `context.writeResource(spec, …)` accepts only declared resource spec names, with data
 *     typed from that spec's schema; `context.createFileWriter(spec, …)` only declared file specs;
 *   - `createProvider(config)` / `createDriver(config)` get `config` typed from `configSchema`;
 *   - `type` must be namespaced (`@collective/name`), `version` CalVer (`2026.01.31.1`), and
 *     lifetimes / garbage-collection values are checked (`"infinite"`, `"7d"`, `10`).
 *
 * Typical use (inside `extensions/models/greeter.ts`):
 *
 *   import { z } from "npm:zod@4";
 *   import { defineModel } from "swamp-sdk";
 *
 *   export const model = defineModel({
 *     type: "@acme/greeter",
 *     version: "2026.01.31.1",
 *     resources: { greeting: { schema: z.object({ text: z.string() }), lifetime: "infinite", garbageCollection: 10 } },
 *     methods: {
 *       greet: {
 *         description: "Greets someone",
 *         arguments: z.object({ name: z.string() }),
 *         execute: async (args, context) => {
 *           const handle = await context.writeResource("greeting", "main", { text: `hello ${args.name}` });
 *           return { dataHandles: [handle] };
 *         },
 *       },
 *     },
 *   });
 */
import * as z from "zod";
import type { DatastoreProvider } from "../kernel/contract/ports/datastore.js";
import type { ExecutionDriver } from "../kernel/contract/ports/driver.js";
import type {
  CheckContext,
  CheckResult,
  DataHandle,
  DataWriter,
  MethodContext,
  MethodKind,
  MethodLogger,
  MethodResult,
  WriteOverrides,
} from "../kernel/contract/ports/model-type.js";
import type { ReportContext, ReportOutput, ReportScope } from "../kernel/contract/ports/report.js";
import type { VaultProvider, VaultProviderContext } from "../kernel/contract/ports/vault.js";

// ---------------------------------------------------------------------------------------------
// shared vocabulary

/** Any zod 4 schema (classic `z.object(…)` or zod/mini). */
export type AnySchema = z.core.$ZodType;

/** Units of a duration: months, years, hours, minutes, days, weeks. */
export type DurationUnit = "mo" | "y" | "h" | "m" | "d" | "w";
/** `30d`, `12h`, `6mo`, … */
export type Duration = `${number}${DurationUnit}`;
/** How long a data version lives: `ephemeral`, `infinite`, `job`, `workflow` or a duration. */
export type LifetimeSpec = "ephemeral" | "infinite" | "job" | "workflow" | Duration;
/** Keep the newest N versions (a positive integer), or versions younger than a duration. */
export type GarbageCollectionSpec = number | Duration;
/** `YYYY.MM.DD.MICRO`, e.g. `2026.01.31.1`. */
export type CalVer = `${number}.${number}.${number}.${number}`;
/** `@collective/name` or `collective/name` (lowercase letters, digits, `-`, `_`). */
export type NamespacedType = `${string}/${string}`;

/** The config a factory receives: the schema's output, or a plain record without a schema. */
export type ConfigOf<S> = S extends AnySchema ? z.output<S> : Record<string, unknown>;

/**
 * The logger extensions get (a LogTape-style logger). `{name}` placeholders in the message are
 * filled from `properties`: `logger.info("created {id}", { id })`.
 */
export interface ExtensionLogger extends MethodLogger {
  trace(message: string, properties?: Record<string, unknown>): void;
  debug(message: string, properties?: Record<string, unknown>): void;
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  warning(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
  fatal(message: string, properties?: Record<string, unknown>): void;
}

// ---------------------------------------------------------------------------------------------
// model types

/** A resource (JSON) output of a model type. */
export interface ResourceSpecDefinition<S extends AnySchema = AnySchema> {
  description?: string;
  /** What the method writes. A mismatch is reported as a warning; the data is still written. */
  schema: S;
  lifetime: LifetimeSpec;
  garbageCollection: GarbageCollectionSpec;
  tags?: Record<string, string>;
  /** Store every field in a vault and keep only a vault reference in the data. */
  sensitiveOutput?: boolean;
  /** Vault for the sensitive fields (default: the repository's default vault). */
  vaultName?: string;
}

/** A file output of a model type. */
export interface FileSpecDefinition {
  description?: string;
  contentType: string;
  lifetime: LifetimeSpec;
  garbageCollection: GarbageCollectionSpec;
  /** Written line by line while the method runs (logs). */
  streaming?: boolean;
  tags?: Record<string, string>;
}

export type ResourceSpecs = Record<string, ResourceSpecDefinition>;
export type FileSpecs = Record<string, FileSpecDefinition>;

/** The data `writeResource` accepts for a spec: its schema's input type. */
export type ResourceData<Spec> = Spec extends { schema: infer S }
  ? S extends AnySchema
    ? unknown extends z.input<S>
      ? Record<string, unknown>
      : z.input<S>
    : Record<string, unknown>
  : Record<string, unknown>;

/** `globalArgs` as a method sees them: the `globalArguments` schema's output. */
export type GlobalArgsOf<G> = G extends AnySchema ? z.output<G> : Record<string, unknown>;

/**
 * The MethodContext of a typed model: `globalArgs` typed, writers limited to declared specs.
 * Everything else is the port's MethodContext.
 */
export interface TypedMethodContext<
  G = Record<string, unknown>,
  R extends ResourceSpecs = ResourceSpecs,
  F extends FileSpecs = FileSpecs,
> extends Omit<MethodContext, "globalArgs" | "logger" | "writeResource" | "createFileWriter"> {
  globalArgs: G;
  logger: ExtensionLogger;
  /** Writes a new version of resource `instanceName` of spec `specName`. */
  writeResource<K extends keyof R & string>(
    specName: K,
    instanceName: string,
    data: ResourceData<R[K]>,
    overrides?: WriteOverrides,
  ): Promise<DataHandle>;
  /** A writer for a new version of file `instanceName` of spec `specName`. */
  createFileWriter(specName: keyof F & string, instanceName: string, overrides?: WriteOverrides & { contentType?: string }): DataWriter;
}

/** The context of a method added by `export const extension`: the target type's specs are not known here. */
export interface ExtensionMethodContext extends Omit<MethodContext, "logger"> {
  logger: ExtensionLogger;
}

/** The context of a check: no writers; `globalArgs` typed. */
export interface TypedCheckContext<G = Record<string, unknown>> extends Omit<CheckContext, "globalArgs" | "logger"> {
  globalArgs: G;
  logger: ExtensionLogger;
}

/** One method of a model type. */
export interface ModelMethodDefinition<A extends AnySchema = AnySchema, C = TypedMethodContext> {
  description: string;
  /** create | read | update | delete | list | action; inferred from the name when absent. */
  kind?: MethodKind;
  /** Keep the data of a failed run out of `latest` (versions are written, then removed). */
  rollbackOnFailure?: boolean;
  /** Zod schema of the method's arguments (global arguments are merged under them). */
  arguments: A;
  /** Runs the method. `args` are validated and defaulted by `arguments`. */
  execute(args: z.output<A>, context: C): Promise<MethodResult | void>;
}

/** One pre-flight check: runs before mutating methods; `pass: false` stops the run. */
export interface ModelCheckDefinition<C = TypedCheckContext> {
  description: string;
  labels?: string[];
  /** Method names the check applies to (default: every mutating method). */
  appliesTo?: string[];
  execute(context: C): Promise<CheckResult>;
}

/** Upgrades stored definitions written for an older version of the type. */
export interface ModelUpgradeDefinition {
  toVersion: CalVer;
  description: string;
  upgradeAttributes(attributes: Record<string, unknown>): Record<string, unknown>;
}

/** Methods keyed by name, each with the schema of its arguments. */
export type ModelMethods<M extends Record<string, AnySchema>, C> = { [K in keyof M]: ModelMethodDefinition<M[K], C> };

/** Checks keyed by name (`C` only carries the names). */
export type ModelChecks<G = Record<string, unknown>, C = Record<string, unknown>> = { [K in keyof C]: ModelCheckDefinition<TypedCheckContext<G>> };

/** What `export const model = …` holds. */
export interface ModelDefinition<
  G extends AnySchema | undefined = AnySchema | undefined,
  R extends ResourceSpecs = ResourceSpecs,
  F extends FileSpecs = FileSpecs,
  M extends Record<string, AnySchema> = Record<string, AnySchema>,
  C extends Record<string, unknown> = Record<string, unknown>,
> {
  /** `@collective/name`, at least two segments. */
  type: NamespacedType;
  /** CalVer of this type's definition schema. */
  version: CalVer;
  name?: string;
  description?: string;
  /** Arguments every method sees in `context.globalArgs` (and merged under its own). */
  globalArguments?: G;
  resources?: R;
  files?: F;
  methods: ModelMethods<M, TypedMethodContext<GlobalArgsOf<G>, R, F>>;
  checks?: ModelChecks<GlobalArgsOf<G>, C>;
  /** Reports that run after this type's methods (by report name). */
  reports?: string[];
  /** Oldest first; the last `toVersion` must equal `version`. */
  upgrades?: ModelUpgradeDefinition[];
}

/** A field that is present exactly when something was declared (`{}` means nothing was). */
type Declared<K extends string, T> = {} extends T ? { [P in K]?: T } : { [P in K]: T };

/** What `defineModel` returns: the definition, with the declared specs and checks known to be present. */
export type DefinedModel<
  G extends AnySchema | undefined,
  R extends ResourceSpecs,
  F extends FileSpecs,
  M extends Record<string, AnySchema>,
  C extends Record<string, unknown>,
> = Omit<ModelDefinition<G, R, F, M, C>, "resources" | "files" | "checks"> &
  Declared<"resources", R> &
  Declared<"files", F> &
  Declared<"checks", ModelChecks<GlobalArgsOf<G>, C>>;

/**
 * Types a model type: `export const model = defineModel({ … })`. Returns its argument.
 */
export function defineModel<
  G extends AnySchema | undefined = undefined,
  R extends ResourceSpecs = {},
  F extends FileSpecs = {},
  M extends Record<string, AnySchema> = {},
  C extends Record<string, unknown> = {},
>(model: ModelDefinition<G, R, F, M, C>): DefinedModel<G, R, F, M, C> {
  return model as DefinedModel<G, R, F, M, C>;
}

type ExtensionMethods<M extends Record<string, AnySchema>> = ModelMethods<M, ExtensionMethodContext>;
type ExtensionChecks = Record<string, ModelCheckDefinition<TypedCheckContext>>;

/**
 * What `export const extension = …` holds: methods (and checks, output specs) added to an
 * existing model type, builtin or extension. `methods` and `checks` are a map, or (as in
 * files written for the reference implementation) an array of maps.
 */
export interface ModelExtensionDefinition<M = unknown, R extends ResourceSpecs = ResourceSpecs, F extends FileSpecs = FileSpecs> {
  /** The type to extend, e.g. `command/shell` or `@acme/greeter`. */
  type: string;
  resources?: R;
  files?: F;
  methods: M;
  checks?: ExtensionChecks | ExtensionChecks[];
}

type S = Record<string, AnySchema>;

/**
 * Types a model extension: `export const extension = defineModelExtension({ … })`. Returns its
 * argument. `methods` may be one map, or an array of up to six maps.
 */
export function defineModelExtension<M extends S = {}, R extends ResourceSpecs = {}, F extends FileSpecs = {}>(
  extension: ModelExtensionDefinition<ExtensionMethods<M>, R, F>,
): ModelExtensionDefinition<ExtensionMethods<M>, R, F>;
export function defineModelExtension<
  M1 extends S = {},
  M2 extends S = {},
  M3 extends S = {},
  M4 extends S = {},
  M5 extends S = {},
  M6 extends S = {},
  R extends ResourceSpecs = {},
  F extends FileSpecs = {},
>(
  extension: ModelExtensionDefinition<
    [ExtensionMethods<M1>, ExtensionMethods<M2>?, ExtensionMethods<M3>?, ExtensionMethods<M4>?, ExtensionMethods<M5>?, ExtensionMethods<M6>?],
    R,
    F
  >,
): ModelExtensionDefinition<
  [ExtensionMethods<M1>, ExtensionMethods<M2>?, ExtensionMethods<M3>?, ExtensionMethods<M4>?, ExtensionMethods<M5>?, ExtensionMethods<M6>?],
  R,
  F
>;
export function defineModelExtension(extension: unknown): unknown {
  return extension;
}

// ---------------------------------------------------------------------------------------------
// datastores, vaults, drivers, reports

/** What `export const datastore = …` holds. */
export interface DatastoreDefinition<Schema extends AnySchema | undefined = AnySchema | undefined> {
  /** `@collective/name` or `collective/name` (exactly two segments). */
  type: NamespacedType;
  name: string;
  description: string;
  /** Validates `datastore.config` from `.swamp.yaml` (or the JSON after `SWAMP_DATASTORE=<type>:`). */
  configSchema?: Schema;
  /** Called with the validated config; returns the provider (locks, health, optional sync). */
  createProvider(config: ConfigOf<Schema>): DatastoreProvider | Promise<DatastoreProvider>;
}

/** Types a datastore: `export const datastore = defineDatastore({ … })`. Returns its argument. */
export function defineDatastore<Schema extends AnySchema | undefined = undefined>(
  datastore: DatastoreDefinition<Schema>,
): DatastoreDefinition<Schema> {
  return datastore;
}

/** What `export const vault = …` holds. */
export interface VaultDefinition<Schema extends AnySchema | undefined = AnySchema | undefined> {
  /** `@collective/name`; the collectives `swamp` and `si` are reserved. */
  type: NamespacedType;
  name: string;
  description: string;
  /** Validates the vault's config (`swamp vault create <type> <name> --config …`). */
  configSchema?: Schema;
  /** Config written by `swamp vault create` when no `--config` is given. */
  defaultConfig?: Record<string, unknown>;
  /** Called per vault with its name, validated config and the repository it belongs to. */
  createProvider(vaultName: string, config: ConfigOf<Schema>, context?: VaultProviderContext): VaultProvider | Promise<VaultProvider>;
}

/** Types a vault: `export const vault = defineVault({ … })`. Returns its argument. */
export function defineVault<Schema extends AnySchema | undefined = undefined>(vault: VaultDefinition<Schema>): VaultDefinition<Schema> {
  return vault;
}

/** What `export const driver = …` holds. */
export interface DriverDefinition<Schema extends AnySchema | undefined = AnySchema | undefined> {
  type: NamespacedType;
  name: string;
  description: string;
  /** Validates `driverConfig` (definition, workflow step, `--driver-config`). */
  configSchema?: Schema;
  createDriver(config: ConfigOf<Schema>): ExecutionDriver | Promise<ExecutionDriver>;
}

/** Types a driver: `export const driver = defineDriver({ … })`. Returns its argument. */
export function defineDriver<Schema extends AnySchema | undefined = undefined>(driver: DriverDefinition<Schema>): DriverDefinition<Schema> {
  return driver;
}

/** The context a report runs with; extensions also get a logger and the run's abort signal. */
export interface ReportRunContext extends ReportContext {
  logger?: ExtensionLogger;
  signal?: AbortSignal;
}

/** What `export const report = …` holds. */
export interface ReportDefinition {
  /** `@collective/name[/more]`. */
  name: NamespacedType;
  description: string;
  scope: ReportScope;
  labels?: string[];
  /** Markdown for people (empty = not applicable, nothing stored) and JSON for scripts. */
  execute(context: ReportRunContext): Promise<ReportOutput>;
}

/** Types a report: `export const report = defineReport({ … })`. Returns its argument. */
export function defineReport(report: ReportDefinition): ReportDefinition {
  return report;
}
