/**
 * The bundle-mode runner: the program the container runs (`node /swamp/runner.js`).
 *
 * It sits next to `bundle.js` (an ES module exporting `model`) and `request.json` (the
 * ExecutionRequest without bundle and secrets), runs `model.methods[methodName].execute` with a
 * context that collects writes, and prints ONE JSON line on stdout as its last output:
 *
 *   {"resources": [{specName, name, data, tags?, lifetime?, garbageCollection?}],
 *    "files":     [{specName, name, content (base64), contentType?, tags?, lifetime?, garbageCollection?}]}
 *
 * or, when the method throws, `{"error": {message, code?, stack?}}` and exit code 1. Everything
 * else the method prints (console.*, logger) goes to stderr, which the driver streams as logs.
 * Handles returned inside the container are provisional (`version: 0`): the host persists the
 * collected content and produces the real ones. A file writer never finalized is dropped.
 *
 * `runnerMain` is shipped as source (`runnerSource()`): it must stay self-contained — no
 * reference to anything outside its own body, node built-ins loaded with `await import()`.
 */

export async function runnerMain(): Promise<void> {
  const { readFile, writeFile, appendFile, mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { inspect } = await import("node:util");
  const { pathToFileURL } = await import("node:url");
  // This file's own URL, from argv rather than import.meta: the CLI bundle rewrites import.meta.
  const here = pathToFileURL(process.argv[1]!);

  const emit = process.stdout.write.bind(process.stdout);
  const toStderr = (...parts: unknown[]) => {
    process.stderr.write(parts.map((p) => (typeof p === "string" ? p : inspect(p))).join(" ") + "\n");
  };
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;

  type Overrides = { tags?: Record<string, string>; lifetime?: string; garbageCollection?: number | string; contentType?: string };
  const resources: Array<Record<string, unknown>> = [];
  const files: Array<Record<string, unknown>> = [];
  const controller = new AbortController();
  process.once("SIGTERM", () => {
    controller.abort();
    setTimeout(() => process.exit(143), 1000).unref();
  });

  try {
    const request = JSON.parse(await readFile(new URL("./request.json", here), "utf8"));
    const mod: any = await import(new URL("./bundle.js", here).href);
    const model: any = mod.model ?? mod.default?.model ?? mod.default;
    const method = model?.methods?.[request.methodName];
    if (!method || typeof method.execute !== "function") {
      throw new Error(`Method '${request.methodName}' not found on model type '${request.modelType}'`);
    }

    const checkSpec = (kind: "resource" | "file", specName: string) => {
      const declared = kind === "resource" ? model.resources : model.files;
      if (declared && !Object.prototype.hasOwnProperty.call(declared, specName)) {
        const names = Object.keys(declared).join(", ") || "(none)";
        throw new Error(`Undeclared ${kind} spec '${specName}' in model '${request.modelType}'. Declared ${kind} specs: ${names}`);
      }
    };
    const handle = (kind: "resource" | "file", specName: string, name: string, size: number, contentType: string, extra: Overrides = {}) => ({
      name,
      specName,
      kind,
      dataId: `pending:${specName}/${name}`,
      version: 0,
      size,
      tags: { ...(extra.tags ?? {}), type: kind, specName },
      metadata: {
        contentType,
        lifetime: extra.lifetime ?? "infinite",
        garbageCollection: extra.garbageCollection ?? 10,
        tags: { ...(extra.tags ?? {}), type: kind, specName },
        ownerDefinition: { ownerType: "model-method", ownerRef: request.modelId },
      },
    });
    const overridesOf = (o: Overrides | undefined) => {
      const out: Overrides = {};
      if (o?.tags) out.tags = o.tags;
      if (o?.lifetime !== undefined) out.lifetime = o.lifetime;
      if (o?.garbageCollection !== undefined) out.garbageCollection = o.garbageCollection;
      if (o?.contentType !== undefined) out.contentType = o.contentType;
      return out;
    };
    const log = (level: string) => (message: unknown) => toStderr(level === "info" ? String(message) : `[${level}] ${String(message)}`);

    const context = {
      signal: controller.signal,
      repoDir: "/swamp",
      modelType: request.modelType,
      modelId: request.modelId,
      methodName: request.methodName,
      globalArgs: request.globalArgs,
      definition: request.definitionMeta,
      logger: { debug: log("debug"), info: log("info"), warn: log("warn"), warning: log("warn"), error: log("error") },
      async writeResource(specName: string, name: string, data: Record<string, unknown>, overrides?: Overrides) {
        checkSpec("resource", specName);
        if (typeof name !== "string" || name.length === 0) throw new Error("Resource instance name must be a non-empty string");
        const extra = overridesOf(overrides);
        resources.push({ specName, name, data, ...extra });
        return { ...handle("resource", specName, name, Buffer.byteLength(JSON.stringify(data)), "application/json", extra), attributes: data };
      },
      createFileWriter(specName: string, name: string, overrides?: Overrides) {
        checkSpec("file", specName);
        const extra = overridesOf(overrides);
        const contentType = extra.contentType ?? model.files?.[specName]?.contentType ?? "application/octet-stream";
        const chunks: Buffer[] = [];
        let path: string | null = null;
        let done = false;
        const usable = () => {
          if (done) throw new Error(`DataWriter "${name}" has already been finalized`);
        };
        const append = async (bytes: Buffer) => {
          usable();
          if (path) await appendFile(path, bytes);
          else chunks.push(bytes);
        };
        const commit = async () => {
          usable();
          done = true;
          const content = path ? await readFile(path) : Buffer.concat(chunks);
          files.push({ specName, name, content: content.toString("base64"), ...extra, contentType });
          return handle("file", specName, name, content.length, contentType, extra);
        };
        return {
          dataId: `pending:${specName}/${name}`,
          name,
          async writeAll(bytes: Uint8Array) {
            await append(Buffer.from(bytes));
            return commit();
          },
          async writeText(text: string) {
            await append(Buffer.from(text, "utf8"));
            return commit();
          },
          async writeLine(line: string) {
            await append(Buffer.from(line + "\n", "utf8"));
          },
          async writeStream(stream: AsyncIterable<Uint8Array | string>, options: { onLine?(line: string): void } = {}) {
            let pending = "";
            for await (const chunk of stream) {
              const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
              await append(bytes);
              if (options.onLine) {
                const parts = (pending + bytes.toString("utf8")).split("\n");
                pending = parts.pop() ?? "";
                for (const part of parts) options.onLine(part);
              }
            }
            if (options.onLine && pending) options.onLine(pending);
            return commit();
          },
          async getFilePath() {
            usable();
            if (!path) {
              path = join(await mkdtemp(join(tmpdir(), "swamp-file-")), "raw");
              await writeFile(path, Buffer.concat(chunks));
              chunks.length = 0;
            }
            return path;
          },
          async finalize() {
            return commit();
          },
          async abort() {
            done = true;
          },
        };
      },
      async readResource() {
        return null;
      },
      async deleteResource() {
        throw new Error("deleteResource is not available in the docker driver");
      },
    };

    await method.execute(request.methodArgs, context);
    emit(JSON.stringify({ resources, files }) + "\n");
  } catch (err: any) {
    const error: Record<string, unknown> = { message: err instanceof Error ? err.message : String(err) };
    if (err && typeof err.code === "string") error["code"] = err.code;
    if (err instanceof Error && err.stack) error["stack"] = err.stack;
    emit(JSON.stringify({ error }) + "\n");
    process.exitCode = 1;
  }
}

/** The text of `runner.js`. */
export function runnerSource(): string {
  return `// swamp docker driver runner (generated)\nawait (${runnerMain.toString()})();\n`;
}
