/**
 * Base of every command: the global options (`--json`, `--repo-dir`, `--datastore`,
 * `--verbose`), error rendering with stable exit codes, and access to the kernel.
 */
import { Command, Option } from "clipanion";
import { isAbsolute, join, resolve } from "node:path";
import { createKernel, type Kernel } from "../kernel/runtime/kernel.js";
import type { Marker } from "../kernel/runtime/marker-schema.js";
import { resolveDatastoreSpec } from "../kernel/runtime/datastore-config.js";
import { markerPath } from "../kernel/runtime/marker.js";
import type { PluginRegistry } from "../kernel/runtime/registry.js";
import { anyExtensionDirectory, EXTENSION_KINDS } from "../plugins/discover.js";
import type { TypeRef } from "../plugins/registry/type-refs.js";
import { shutdownExtensions } from "../plugins/lifecycle.js";
import { builtinRegistry } from "./builtins.js";
import { noColour, paint } from "./colour.js";
import { extensionWorkflowDirs } from "./extension-workflows.js";
import { renderError, writeJson } from "./output.js";
import type { ProgressReporter } from "./progress.js";

export abstract class SwampCommand extends Command {
  json = Option.Boolean("--json", false, { description: "Print one JSON document instead of text" });
  repoDir = Option.String("--repo-dir", { description: "Repository directory (default: $SWAMP_REPO_DIR or .)" });
  datastoreOverride = Option.String("--datastore", {
    description: 'Datastore to use for this command: "filesystem:/path" or "@scope/type:{json}"',
  });
  verbose = Option.Boolean("--verbose", false, { description: "Show stack traces on errors" });

  private progressLine: ProgressReporter | undefined;

  /** The command body; returns an exit code (default 0). Throw SwampErrors for failures. */
  abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    if (this.json) noColour();
    try {
      return (await this.run()) ?? 0;
    } catch (err) {
      this.progressLine?.clear();
      return renderError(err, this.context, { json: this.json, verbose: this.verbose });
    } finally {
      this.progressLine?.clear();
      // Extension workers and sandbox processes end with the command.
      await shutdownExtensions();
    }
  }

  /**
   * The command's progress line on stderr (cli/progress.ts): drawn only on a terminal, never
   * under --json. Loaded on first use, so commands that report no progress never load it.
   */
  async progress(): Promise<ProgressReporter> {
    if (!this.progressLine) {
      const { createProgress } = await import("./progress.js");
      this.progressLine ??= createProgress(this.context.stderr, { json: this.json });
    }
    return this.progressLine;
  }

  resolvedRepoDir(): string {
    return this.repoDir ?? process.env.SWAMP_REPO_DIR ?? ".";
  }

  /**
   * The kernel for this repo: the builtins plus the repo's extensions (discovered, rebuilt
   * when their sources changed, registered from the bundle manifest without loading code).
   */
  async kernel(): Promise<Kernel> {
    return createKernel({
      repoDir: this.resolvedRepoDir(),
      env: process.env,
      registry: builtinRegistry(),
      datastoreFlag: this.datastoreOverride,
      prepareRegistry: async ({ repoDir, marker, env, registry }) => {
        // Most repos have no extensions: a few stats decide that without loading the host.
        if (await anyExtensionDirectory(repoDir, marker, env)) {
          const { registerExtensions } = await import("../plugins/extensions.js");
          const progress = await this.progress();
          const onBundleProgress = (done: number, total: number) => {
            if (done === 0) progress.start("Bundling extensions", total, "sources");
            else progress.update(done, { total });
          };
          const outcome = await registerExtensions(registry, { repoDir, marker, env }, { onBundleProgress });
          progress.clear();
          for (const warning of outcome.warnings) this.context.stderr.write(`${paint(this.context.stderr, "warn", "warning:")} ${warning}\n`);
        }
        await this.autoResolve(repoDir, marker, env, registry);
      },
      extensionWorkflowDirs: ({ repoDir, marker, env }) => extensionWorkflowDirs(repoDir, marker, env),
    });
  }

  /**
   * Types the repo refers to (model definitions, vault configs, the datastore) that nothing provides: pulled
   * now when their collective is trusted (plugins/registry/auto-resolve.ts), then registered. Any other
   * type (a driver, a report, a type named on the command line) is resolved the same way on first use.
   */
  private async autoResolve(repoDir: string, marker: Marker, env: NodeJS.ProcessEnv, registry: PluginRegistry): Promise<void> {
    registry.setResolver((kind, type) => this.resolveTypes(repoDir, marker, env, registry, [{ kind, type }]));
    const { typesUnder } = await import("../plugins/registry/type-refs.js");
    const vaultsDir = isAbsolute(marker.vaultsDir ?? "vaults") ? marker.vaultsDir! : resolve(repoDir, marker.vaultsDir ?? "vaults");
    const refs: TypeRef[] = [
      ...(await typesUnder(join(repoDir, "models"))).map((type) => ({ kind: "model" as const, type })),
      ...(await typesUnder(vaultsDir)).map((type) => ({ kind: "vault" as const, type })),
    ];
    try {
      const spec = resolveDatastoreSpec({ repoDir, marker, markerFile: markerPath(repoDir), env, flag: this.datastoreOverride });
      refs.push({ kind: "datastore", type: spec.type });
    } catch {
      // A bad datastore setting is reported by the kernel itself.
    }
    await this.resolveTypes(repoDir, marker, env, registry, refs);
  }

  private async resolveTypes(repoDir: string, marker: Marker, env: NodeJS.ProcessEnv, registry: PluginRegistry, refs: TypeRef[]): Promise<void> {
    const { missingTypes } = await import("../plugins/registry/type-refs.js");
    // Nothing missing (the usual case): the registry client and installer are never loaded.
    if (missingTypes(registry, refs).length === 0) return;
    const { autoResolve } = await import("../plugins/registry/auto-resolve.js");
    const progress = await this.progress();
    const installed = await autoResolve(registry, { repoDir, marker, env, progress, onProgress: (line) => progress.start(line) }, refs, (line) => {
      progress.clear();
      if (!this.json) this.context.stderr.write(`${line}\n`);
    });
    progress.clear();
    if (installed.length === 0) return;
    // Register what the new extensions provide; everything else is registered already.
    const { registerExtensions } = await import("../plugins/extensions.js");
    const fresh = builtinRegistry();
    await registerExtensions(fresh, { repoDir, marker, env });
    for (const kind of EXTENSION_KINDS) for (const entry of fresh.list(kind)) if (!registry.get(kind, entry.type)) registry.register(entry);
  }

  /** Prints `value` as JSON, or `text()` for people. */
  emit(value: unknown, text: () => string): void {
    if (this.json) writeJson(this.context.stdout, value);
    else {
      const out = text();
      if (out !== "") this.context.stdout.write(out.endsWith("\n") ? out : `${out}\n`);
    }
  }
}
