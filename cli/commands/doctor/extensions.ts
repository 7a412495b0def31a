import { Command } from "clipanion";
import { resolve } from "node:path";
import type { PluginKind } from "../../../kernel/contract/plugin.js";
import { readMarker } from "../../../kernel/runtime/marker.js";
import { displayPath } from "../../../plugins/catalog.js";
import { registerExtensions } from "../../../plugins/extensions.js";
import { SwampCommand } from "../../base.js";
import { builtinRegistry } from "../../builtins.js";
import { paint } from "../../colour.js";
import { table } from "../../table.js";

const REGISTRIES: readonly PluginKind[] = ["model", "vault", "datastore", "driver", "report"];

export interface DoctorExtensionsReport {
  overallStatus: "pass" | "fail";
  registries: Record<string, { registry: string; status: "pass" | "fail" }>;
  sources: Array<{ sourcePath: string; kind: string; state: string; fingerprint: string | null; bundlePath: string | null; lastError: string | null }>;
  loaderErrors: Record<string, string>;
  warnings: Array<{ sourcePath: string; category: string; message: string }>;
}

export default class DoctorExtensionsCommand extends SwampCommand {
  static override paths = [["doctor", "extensions"]];
  static override usage = Command.Usage({
    description: "Check that every extension builds, loads and registers; exit 1 when one does not",
    details:
      "Re-hashes every extension source (ignoring cached stat stamps), rebuilds what changed, registers everything in a fresh " +
      "registry (duplicate types are reported), and prints the state of each source.",
    examples: [["Check extensions", "swamp doctor extensions --json"]],
  });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const marker = await readMarker(repoDir);
    const registry = builtinRegistry();
    const outcome = await registerExtensions(registry, { repoDir, marker, env: process.env }, { force: true });
    const sources = outcome.catalogs.flatMap((c) =>
      c.entries.map((e) => ({
        sourcePath: e.source,
        kind: e.kind,
        state: e.state,
        fingerprint: e.fingerprint,
        bundlePath: e.bundlePath,
        lastError: e.lastError,
      })),
    );
    const registries: DoctorExtensionsReport["registries"] = {};
    for (const kind of REGISTRIES) {
      const broken = sources.some((s) => s.kind === kind && s.state !== "Indexed");
      registries[kind] = { registry: kind, status: broken || outcome.loaderErrors[kind] ? "fail" : "pass" };
    }
    const warnings: DoctorExtensionsReport["warnings"] = [];
    const overrides = (marker.extensions?.overrides ?? {}) as Record<string, string>;
    for (const type of Object.keys(overrides)) {
      const known = REGISTRIES.some((k) => registry.get(k, type)?.origin === "extension");
      if (!known) {
        warnings.push({ sourcePath: resolve(repoDir, ".swamp.yaml"), category: "UnknownOverride", message: `extensions.overrides names "${type}", which no extension declares` });
      }
    }
    const report: DoctorExtensionsReport = {
      overallStatus: Object.values(registries).some((r) => r.status === "fail") ? "fail" : "pass",
      registries,
      sources,
      loaderErrors: outcome.loaderErrors as Record<string, string>,
      warnings,
    };
    this.emit(report, () => {
      const out = this.context.stdout;
      const mark = (ok: boolean) => (ok ? paint(out, "ok", "✓") : paint(out, "fail", "✗"));
      const lines = [`Extensions: ${report.overallStatus === "pass" ? paint(out, "ok", "pass") : paint(out, "fail", "fail")}`, ""];
      for (const kind of REGISTRIES) {
        const r = registries[kind];
        lines.push(`  ${mark(r?.status === "pass")} ${kind}`);
      }
      if (sources.length) {
        lines.push("", table(sources.map((s) => [s.state, s.kind, displayPath(repoDir, s.sourcePath)]), { indent: "  " }));
      }
      for (const s of sources.filter((x) => x.lastError)) lines.push("", `${displayPath(repoDir, s.sourcePath)}:`, `  ${String(s.lastError).split("\n").join("\n  ")}`);
      for (const [kind, message] of Object.entries(report.loaderErrors)) lines.push("", `${kind}: ${message}`);
      for (const w of warnings) lines.push("", `warning: ${w.message}`);
      return lines.join("\n");
    });
    return report.overallStatus === "fail" ? 1 : 0;
  }
}
