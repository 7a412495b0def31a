/**
 * The sources `swamp extension new <kind> <@collective/name>` writes: for each kind, a small
 * working, typed extension and a test that runs the sdk's conformance suite against it. Pure
 * text; cli/commands/extension/new.ts decides where the files go.
 */
import type { PluginKind } from "../../kernel/contract/plugin.js";
import { SDK_SPECIFIER } from "../worker/protocol.js";

export interface ScaffoldInput {
  kind: PluginKind;
  /** `@collective/name[/more]`. */
  name: string;
  /** Repo-relative path of the extension source, as the test imports it (`extensions/models/greeter.ts`). */
  sourcePath: string;
  /** CalVer of the first version (model types). */
  version: string;
}

export interface Scaffold {
  source: string;
  test: string;
}

/** `@acme/aws/ec2` → `aws/ec2`: the file path under the kind's folder, without extension. */
export function scaffoldStem(name: string): string {
  return name.split("/").slice(1).join("/");
}

/** Today's first CalVer version: `2026.12.03.1`. */
export function firstCalVer(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getUTCFullYear()}.${pad(now.getUTCMonth() + 1)}.${pad(now.getUTCDate())}.1`;
}

/** `aws/ec2-instance` → `Ec2 instance`: a readable label from the last segment. */
function label(name: string): string {
  const last = name.split("/").pop() ?? name;
  const words = last.split(/[-_]+/).filter((w) => w !== "");
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function testHeader(input: ScaffoldInput, testPath: string): string {
  return `/**
 * Tests for ${input.name}: the sdk's ${input.kind} conformance suite, then its own behaviour.
 * swamp does not load this file (names ending in _test.ts are skipped). Run it from the
 * repository root with a TypeScript test runner, e.g.
 *
 *   npm i -D ${SDK_SPECIFIER} zod esbuild tsx
 *   npx tsx --test ${testPath}
 */`;
}

const TESTING_IMPORT = `${SDK_SPECIFIER}/testing`;

function model(input: ScaffoldInput, testPath: string): Scaffold {
  const stem = scaffoldStem(input.name);
  const source = `/**
 * ${input.name}: a swamp model type.
 *
 *   swamp model create ${input.name} my-${stem.replace(/\//g, "-")}
 *   swamp model method run my-${stem.replace(/\//g, "-")} greet --input name=ada
 *   swamp data get my-${stem.replace(/\//g, "-")} greeting
 *
 * \`defineModel\` types everything inside: \`args\` from each method's \`arguments\` schema,
 * \`context.globalArgs\` from \`globalArguments\`, and \`context.writeResource\` accepts only the
 * declared resource specs with data matching their schema.
 */
import { z } from "npm:zod@4";
import { defineModel } from "${SDK_SPECIFIER}";

const Greeting = z.object({
  name: z.string(),
  text: z.string(),
});

export const model = defineModel({
  type: "${input.name}",
  version: "${input.version}",
  description: "${label(input.name)}: greets people and records the greeting",
  globalArguments: z.object({
    salutation: z.string().default("Hello").describe("Word put before the name"),
  }),
  resources: {
    greeting: {
      description: "The latest greeting",
      schema: Greeting,
      lifetime: "infinite",
      garbageCollection: 10,
    },
  },
  methods: {
    greet: {
      description: "Greets someone and records the greeting",
      arguments: z.object({
        name: z.string().min(1).describe("Who to greet"),
      }),
      execute: async (args, context) => {
        const text = \`\${context.globalArgs.salutation}, \${args.name}!\`;
        context.logger.info("greeting {name}", { name: args.name });
        const handle = await context.writeResource("greeting", "greeting", { name: args.name, text });
        return { dataHandles: [handle] };
      },
    },
  },
});
`;
  const test = `${testHeader(input, testPath)}
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { assertModelTypeConformance, importExtension, runModelMethod } from "${TESTING_IMPORT}";

let model: unknown;

before(async () => {
  ({ model } = await importExtension<{ model: unknown }>("${input.sourcePath}"));
});

test("${input.name} passes the model conformance suite", async () => {
  await assertModelTypeConformance(model, { samples: { greet: { name: "ada" } } });
});

test("greet records the greeting", async () => {
  const run = await runModelMethod(model, "greet", { name: "ada" }, { globalArgs: { salutation: "Hi" } });
  assert.deepEqual(run.resource("greeting"), { name: "ada", text: "Hi, ada!" });
});
`;
  return { source, test };
}

function datastore(input: ScaffoldInput, testPath: string): Scaffold {
  const source = `/**
 * ${input.name}: a swamp datastore keeping the repository's runtime data in a directory of your
 * choice (a shared mount, say). Use it with, in .swamp.yaml:
 *
 *   datastore:
 *     type: "${input.name}"
 *     config: { path: /abs/path/to/data }
 *
 * swamp writes the data itself under \`resolveDatastorePath\`; the datastore provides the locks
 * (one JSON file per lock key, created exclusively) and a health check.
 */
import { z } from "npm:zod@4";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { createPollingLock, defineDatastore, type LockInfo, type LockStore } from "${SDK_SPECIFIER}";

const TYPE = "${input.name}";
const LOCKS = ".locks";

const ConfigSchema = z.object({
  path: z.string().min(1).describe("Directory holding the data (absolute, or relative to the repository)"),
});

const errno = (err: unknown) => (err as { code?: string }).code;

/** A lock kept in one file: create is exclusive, update and remove only touch our own nonce. */
function fileLockStore(file: string): LockStore {
  const read = async (): Promise<LockInfo | null> => {
    try {
      return JSON.parse(await readFile(file, "utf8")) as LockInfo;
    } catch {
      return null;
    }
  };
  return {
    read,
    async create(info) {
      await mkdir(dirname(file), { recursive: true });
      try {
        await writeFile(file, JSON.stringify(info), { flag: "wx" });
        return true;
      } catch (err) {
        if (errno(err) === "EEXIST") return false;
        throw err;
      }
    },
    async update(info) {
      if ((await read())?.nonce !== info.nonce) return false;
      const temp = \`\${file}.\${process.pid}.tmp\`;
      await writeFile(temp, JSON.stringify(info));
      await rename(temp, file);
      return true;
    },
    async remove(nonce) {
      const current = await read();
      if (current === null || current.nonce !== nonce) return false;
      await rm(file, { force: true });
      return true;
    },
  };
}

export const datastore = defineDatastore({
  type: TYPE,
  name: "${label(input.name)}",
  description: "Runtime data in a directory of your choice",
  configSchema: ConfigSchema,
  createProvider: (config) => {
    let root = isAbsolute(config.path) ? config.path : resolve(config.path);
    const lockFile = (datastorePath: string, key: string) => join(datastorePath, LOCKS, \`\${encodeURIComponent(key)}.json\`);
    return {
      resolveDatastorePath: (repoDir) => (root = isAbsolute(config.path) ? config.path : resolve(repoDir, config.path)),
      createLock: (datastorePath, options = {}) => createPollingLock(fileLockStore(lockFile(datastorePath, options.lockKey ?? "global")), options),
      createVerifier: () => ({
        async verify() {
          const started = Date.now();
          const isDir = await stat(root).then((s) => s.isDirectory(), () => false);
          return {
            healthy: isDir,
            message: isDir ? \`\${root} is a directory\` : \`\${root} is not a directory\`,
            latencyMs: Date.now() - started,
            datastoreType: TYPE,
          };
        },
      }),
      async listLockKeys(datastorePath, prefix) {
        const names = await readdir(join(datastorePath, LOCKS)).catch(() => [] as string[]);
        return names
          .filter((n) => n.endsWith(".json"))
          .map((n) => decodeURIComponent(n.slice(0, -".json".length)))
          .filter((key) => key.startsWith(prefix))
          .sort();
      },
    };
  },
});
`;
  const test = `${testHeader(input, testPath)}
import { after, before, test } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assertDatastoreExportConformance,
  assertLockConformance,
  assertLockContention,
  assertVerifierConformance,
  importExtension,
} from "${TESTING_IMPORT}";

let datastore: any;
let dir = "";

before(async () => {
  ({ datastore } = await importExtension<{ datastore: any }>("${input.sourcePath}"));
  dir = await mkdtemp(join(tmpdir(), "datastore-test-"));
});

after(() => rm(dir, { recursive: true, force: true }));

test("${input.name} passes the datastore conformance suite", async () => {
  await assertDatastoreExportConformance(datastore, { validConfigs: [{ path: dir }], invalidConfigs: [{}, { path: 3 }] });
  const provider = await datastore.createProvider({ path: dir });
  const root = provider.resolveDatastorePath(dir);
  await assertLockConformance(provider.createLock(root));
  await assertLockContention((options) => provider.createLock(root, options));
  await assertVerifierConformance(provider.createVerifier());
});
`;
  return { source, test };
}

function vault(input: ScaffoldInput, testPath: string): Scaffold {
  const source = `/**
 * ${input.name}: a swamp vault keeping each vault's secrets in a JSON file (mode 0600) under a
 * directory of the repository. The file is NOT encrypted: add the directory to .gitignore, and
 * replace load/save with calls to your secret store.
 *
 *   swamp vault create ${input.name} dev
 *   swamp vault put dev api-token
 *   # in a definition: \${{ vault.get("dev", "api-token") }}
 */
import { z } from "npm:zod@4";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { assertSecretKey, defineVault, secretNotFoundError } from "${SDK_SPECIFIER}";

const ConfigSchema = z.object({
  dir: z.string().min(1).default(".secrets").describe("Directory of the secrets files, relative to the repository"),
});

type Secrets = Record<string, string>;

const has = (secrets: Secrets, key: string) => Object.prototype.hasOwnProperty.call(secrets, key);

export const vault = defineVault({
  type: "${input.name}",
  name: "${label(input.name)}",
  description: "Secrets in a JSON file of the repository (not encrypted)",
  configSchema: ConfigSchema,
  defaultConfig: { dir: ".secrets" },
  createProvider: (vaultName, config, context) => {
    const file = resolve(context?.repoDir ?? ".", config.dir, \`\${vaultName}.json\`);
    const load = async (): Promise<Secrets> => {
      try {
        return JSON.parse(await readFile(file, "utf8")) as Secrets;
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return {};
        throw err;
      }
    };
    // Written whole to a temporary file and renamed, so a reader never sees half a file.
    const save = async (secrets: Secrets) => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const temp = \`\${file}.\${process.pid}.tmp\`;
      await writeFile(temp, JSON.stringify(secrets, null, 2), { mode: 0o600 });
      await rename(temp, file);
    };
    return {
      getName: () => vaultName,
      async get(key) {
        assertSecretKey(vaultName, key);
        const secrets = await load();
        if (!has(secrets, key)) throw secretNotFoundError(vaultName, key);
        return secrets[key] as string;
      },
      async put(key, value) {
        assertSecretKey(vaultName, key);
        const secrets = await load();
        secrets[key] = value;
        await save(secrets);
      },
      async list() {
        return Object.keys(await load()).sort();
      },
      async delete(key) {
        assertSecretKey(vaultName, key);
        const secrets = await load();
        if (!has(secrets, key)) throw secretNotFoundError(vaultName, key);
        delete secrets[key];
        await save(secrets);
      },
    };
  },
});
`;
  const test = `${testHeader(input, testPath)}
import { after, before, test } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertVaultExportConformance, assertVaultProviderConformance, importExtension } from "${TESTING_IMPORT}";

let vault: unknown;
let repoDir = "";

before(async () => {
  ({ vault } = await importExtension<{ vault: unknown }>("${input.sourcePath}"));
  repoDir = await mkdtemp(join(tmpdir(), "vault-test-"));
});

after(() => rm(repoDir, { recursive: true, force: true }));

test("${input.name} passes the vault conformance suite", async () => {
  const provider = await assertVaultExportConformance(vault, { validConfigs: [{}, { dir: "other" }], invalidConfigs: [{ dir: "" }], context: { repoDir } });
  await assertVaultProviderConformance(provider);
});
`;
  return { source, test };
}

function driver(input: ScaffoldInput, testPath: string): Scaffold {
  const source = `/**
 * ${input.name}: a swamp execution driver. It runs the method in swamp's own process
 * (\`callbacks.runInProcess\`), timed and logged; replace the body of \`execute\` to run methods
 * elsewhere (a container, a remote host) and return \`pending\` outputs for swamp to persist.
 *
 *   swamp model method run <model> <method> --driver ${input.name}
 *
 * A failure is a result with \`status: "error"\`, never a rejection.
 */
import { z } from "npm:zod@4";
import { defineDriver, type ExecutionResult } from "${SDK_SPECIFIER}";

const TYPE = "${input.name}";

const ConfigSchema = z.object({
  verbose: z.boolean().default(false).describe("Log when each method starts and ends"),
});

export const driver = defineDriver({
  type: TYPE,
  name: "${label(input.name)}",
  description: "Runs methods in swamp's process, timed",
  configSchema: ConfigSchema,
  createDriver: (config) => ({
    type: TYPE,
    async execute(request, callbacks = {}): Promise<ExecutionResult> {
      const started = Date.now();
      const logs: string[] = [];
      const log = (line: string) => {
        logs.push(line);
        if (config.verbose) callbacks.onLog?.(line, "stderr");
      };
      const failed = (error: string, cause?: unknown): ExecutionResult => ({ status: "error", error, outputs: [], logs, durationMs: Date.now() - started, cause });
      if (callbacks.signal?.aborted) return failed("cancelled before it started");
      if (!callbacks.runInProcess) return failed(\`\${TYPE} runs methods in process, and swamp gave it no way to\`);
      log(\`\${request.modelType} \${request.methodName}: started\`);
      try {
        const handles = await callbacks.runInProcess();
        log(\`\${request.modelType} \${request.methodName}: done, \${handles.length} data item(s)\`);
        return { status: "success", outputs: handles.map((handle) => ({ kind: "persisted", handle })), logs, durationMs: Date.now() - started };
      } catch (err) {
        return failed(err instanceof Error ? err.message : String(err), err);
      }
    },
  }),
});
`;
  const test = `${testHeader(input, testPath)}
import { before, test } from "node:test";
import { assertDriverConformance, importExtension } from "${TESTING_IMPORT}";

let driver: unknown;

before(async () => {
  ({ driver } = await importExtension<{ driver: unknown }>("${input.sourcePath}"));
});

test("${input.name} passes the driver conformance suite", async () => {
  await assertDriverConformance(driver, { validConfigs: [{}, { verbose: true }] });
});
`;
  return { source, test };
}

function report(input: ScaffoldInput, testPath: string): Scaffold {
  const source = `/**
 * ${input.name}: a swamp report, run after a method: markdown for people, JSON for scripts.
 * Require it in a definition (\`reports: { require: ["${input.name}"] }\`) or list it in a model
 * type's \`reports\`; it then appears in \`swamp model method run … --json\` under \`reports\`.
 */
import { defineReport } from "${SDK_SPECIFIER}";

export const report = defineReport({
  name: "${input.name}",
  description: "${label(input.name)}: what a method run wrote",
  scope: "method",
  labels: ["summary"],
  execute: async (context) => {
    const data = context.dataHandles.map((h) => ({ name: h.name, kind: h.kind, version: h.version, size: h.size }));
    const title = \`\${context.definition.name} \${context.methodName}: \${context.executionStatus}\`;
    const lines = data.map((d) => \`| \${d.name} | \${d.kind} | v\${d.version} | \${d.size} B |\`);
    const markdown = [
      \`# \${title}\`,
      "",
      ...(context.errorMessage ? [\`Error: \${context.errorMessage}\`, ""] : []),
      ...(data.length > 0 ? ["| data | kind | version | size |", "|---|---|---|---|", ...lines] : ["No data written."]),
      "",
    ].join("\\n");
    return {
      markdown,
      json: { model: context.definition.name, method: context.methodName, status: context.executionStatus, data },
    };
  },
});
`;
  const test = `${testHeader(input, testPath)}
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { assertReportConformance, createReportTestContext, importExtension } from "${TESTING_IMPORT}";

let report: any;

before(async () => {
  ({ report } = await importExtension<{ report: any }>("${input.sourcePath}"));
});

test("${input.name} passes the report conformance suite", async () => {
  await assertReportConformance(report);
});

test("a failed run shows its error", async () => {
  const out = await report.execute(createReportTestContext({ executionStatus: "failed", errorMessage: "boom" }));
  assert.match(out.markdown, /Error: boom/);
  assert.equal(out.json.status, "failed");
});
`;
  return { source, test };
}

const BUILDERS: Record<PluginKind, (input: ScaffoldInput, testPath: string) => Scaffold> = { model, datastore, vault, driver, report };

/** The extension source and its test, for `testPath` (repo-relative, shown in the test's header). */
export function scaffold(input: ScaffoldInput, testPath: string): Scaffold {
  return BUILDERS[input.kind](input, testPath);
}
