/**
 * The define helpers: identity at run time, precise types at compile time. The `@ts-expect-error`
 * lines are the type tests — `tsc -p tsconfig.json` fails if any of them stops being an error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import {
  defineDatastore,
  defineDriver,
  defineModel,
  defineModelExtension,
  defineReport,
  defineVault,
  type DatastorePlugin,
  type DriverPlugin,
  type ModelTypePlugin,
  type ReportPlugin,
  type VaultPlugin,
} from "../../sdk/index.js";
import { createMethodTestContext, createCheckTestContext } from "../../sdk/testing/index.js";

const greeter = defineModel({
  type: "@test/greeter",
  version: "2026.01.01.1",
  globalArguments: z.object({ prefix: z.string().default("hello") }),
  resources: {
    greeting: { schema: z.object({ message: z.string(), count: z.number() }), lifetime: "infinite", garbageCollection: 5 },
  },
  files: { transcript: { contentType: "text/plain", lifetime: "7d", garbageCollection: "30d" } },
  methods: {
    greet: {
      description: "Greets",
      arguments: z.object({ name: z.string(), times: z.number().int().default(1) }),
      execute: async (args, context) => {
        const name: string = args.name;
        const times: number = args.times;
        const prefix: string = context.globalArgs.prefix;
        // @ts-expect-error: not an argument of greet
        void args.flag;
        const handle = await context.writeResource("greeting", "main", { message: `${prefix} ${name}`, count: times });
        if (name === "type tests only") {
          // @ts-expect-error: undeclared resource spec
          await context.writeResource("greetings", "main", { message: "x", count: 1 });
          // @ts-expect-error: data does not match the spec's schema
          await context.writeResource("greeting", "main", { message: "x" });
          // @ts-expect-error: undeclared file spec
          context.createFileWriter("log", "t");
        }
        const writer = context.createFileWriter("transcript", "t");
        context.logger.info("greeted {name}", { name });
        return { dataHandles: [handle, await writer.writeText("done")] };
      },
    },
    flag: {
      description: "Flags",
      kind: "action",
      arguments: z.object({ flag: z.boolean() }),
      async execute(args) {
        const flag: boolean = args.flag;
        // @ts-expect-error: `name` belongs to greet
        void args.name;
        void flag;
      },
    },
  },
  checks: {
    "prefix-allowed": {
      description: "The prefix is allowed",
      execute: async (context) => ({ pass: context.globalArgs.prefix !== "forbidden" }),
    },
  },
});

// Whole-export mistakes are compile errors too.
defineModel({
  type: "@test/x",
  // @ts-expect-error: not CalVer
  version: "1.0",
  methods: {},
});
defineModel({
  // @ts-expect-error: a model type needs a namespace
  type: "greeter",
  version: "2026.01.01.1",
  methods: {},
});
defineModel({
  type: "@test/x",
  version: "2026.01.01.1",
  // @ts-expect-error: "infinte" is not a lifetime
  resources: { r: { schema: z.object({}), lifetime: "infinte", garbageCollection: 1 } },
  methods: {},
});
defineModel({
  type: "@test/x",
  version: "2026.01.01.1",
  methods: {
    // @ts-expect-error: arguments schema is required
    m: { description: "m", execute: async () => {} },
  },
});

const extension = defineModelExtension({
  type: "command/shell",
  methods: [
    { audit: { description: "Audit", arguments: z.object({ level: z.number() }), execute: async (args) => void (args.level satisfies number) } },
    { trace: { description: "Trace", arguments: z.object({ id: z.string() }), execute: async (args) => void (args.id satisfies string) } },
  ],
});
const extensionAsMap = defineModelExtension({
  type: "command/shell",
  methods: { audit: { description: "Audit", arguments: z.object({ level: z.number() }), execute: async (args) => void (args.level satisfies number) } },
});

const store = defineDatastore({
  type: "@test/store",
  name: "Store",
  description: "A store",
  configSchema: z.object({ bucket: z.string(), retries: z.number().default(3) }),
  createProvider: (config) => {
    const bucket: string = config.bucket;
    const retries: number = config.retries;
    // @ts-expect-error: not in the config schema
    void config.region;
    void bucket;
    void retries;
    return {
      createLock: () => ({ acquire: async () => {}, release: async () => {}, withLock: (fn) => fn(), inspect: async () => null, forceRelease: async () => false }),
      createVerifier: () => ({ verify: async () => ({ healthy: true, message: "OK", latencyMs: 0, datastoreType: "@test/store" }) }),
      resolveDatastorePath: (repoDir) => `${repoDir}/.store`,
    };
  },
});
defineDatastore({
  type: "@test/store",
  name: "Store",
  description: "A store",
  // @ts-expect-error: createProvider must return a provider
  createProvider: () => ({ resolveDatastorePath: () => "/x" }),
});

const memoryVault = defineVault({
  type: "@test/memory",
  name: "Memory",
  description: "Memory",
  configSchema: z.object({ seed: z.record(z.string(), z.string()).default({}) }),
  createProvider: (vaultName, config) => {
    const seed: Record<string, string> = config.seed;
    return { get: async (k) => seed[k] ?? "", put: async () => {}, list: async () => Object.keys(seed).sort(), getName: () => vaultName };
  },
});

const driver = defineDriver({
  type: "@test/driver",
  name: "Driver",
  description: "Driver",
  createDriver: (config) => {
    const anything: unknown = config["anything"];
    void anything;
    return { type: "@test/driver", execute: async () => ({ status: "success" as const, outputs: [], logs: [], durationMs: 0 }) };
  },
});

const report = defineReport({
  name: "@test/report",
  description: "Report",
  scope: "method",
  execute: async (context) => ({ markdown: `# ${context.methodName}`, json: { handles: context.dataHandles.length } }),
});
// @ts-expect-error: unknown scope
defineReport({ name: "@test/r", description: "r", scope: "run", execute: async () => ({ markdown: "", json: {} }) });

test("define helpers return their argument unchanged", () => {
  const plain = { type: "@test/p", version: "2026.01.01.1", methods: {} } as const;
  assert.equal(defineModel(plain as never), plain);
  assert.equal(defineModelExtension(extension), extension);
  assert.equal(defineDatastore(store), store);
  assert.equal(defineVault(memoryVault), memoryVault);
  assert.equal(defineDriver(driver), driver);
  assert.equal(defineReport(report), report);
  assert.equal(Object.keys(extensionAsMap.methods).join(), "audit");
});

test("defined extensions are the port shapes the kernel registers", () => {
  const model: ModelTypePlugin = greeter;
  const ds: DatastorePlugin = store;
  const v: VaultPlugin = memoryVault;
  const d: DriverPlugin = driver;
  const r: ReportPlugin = report;
  assert.ok(model && ds && v && d && r);
});

test("a typed method runs with the sdk's fake context", async () => {
  const fake = createMethodTestContext({ resources: greeter.resources, files: greeter.files, globalArgs: { prefix: "hi" } });
  const result = await greeter.methods.greet.execute({ name: "ada", times: 2 }, fake.context);
  assert.deepEqual(fake.resource("main"), { message: "hi ada", count: 2 });
  assert.equal(fake.fileText("t"), "done");
  assert.deepEqual(result && result.dataHandles?.map((h) => h.name), ["main", "t"]);
  assert.deepEqual(fake.logs, [{ level: "info", message: "greeted ada" }]);
  const check = await greeter.checks["prefix-allowed"].execute(createCheckTestContext({ globalArgs: { prefix: "forbidden" } }).context);
  assert.deepEqual(check, { pass: false });
});
