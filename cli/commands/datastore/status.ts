import { Command } from "clipanion";
import { SwampCommand } from "../../base.js";
import { paint } from "../../colour.js";

export default class DatastoreStatusCommand extends SwampCommand {
  static override paths = [["datastore", "status"]];
  static override usage = Command.Usage({
    description: "Show which datastore this repo uses and whether it is healthy",
    examples: [["Check the datastore", "swamp datastore status --json"]],
  });

  async run(): Promise<number> {
    const kernel = await this.kernel();
    const ds = kernel.datastore;
    const health = await ds.provider.createVerifier().verify();
    const result: Record<string, unknown> = { type: ds.type };
    if (ds.type === "filesystem") result.path = ds.datastorePath;
    Object.assign(result, {
      healthy: health.healthy,
      message: health.message,
      latencyMs: health.latencyMs,
      directories: ds.directories,
    });
    if (ds.exclude && ds.exclude.length > 0) result.exclude = ds.exclude;
    if (ds.cachePath) result.cachePath = ds.cachePath;
    this.emit(result, () => {
      const out = this.context.stdout;
      const dot = health.healthy ? paint(out, "ok", "●") : paint(out, "fail", "●");
      const lines = [`Type:    ${ds.type}${ds.source === "default" ? " (default)" : ""}`];
      if (ds.type === "filesystem") lines.push(`Path:    ${ds.datastorePath}`);
      if (ds.cachePath) lines.push(`Cache:   ${ds.cachePath}`);
      lines.push(`Health:  ${dot} ${health.healthy ? "healthy" : "unhealthy"} (${health.latencyMs.toFixed(1)}ms)`);
      if (!health.healthy) lines.push(`Error:   ${health.message}`);
      lines.push(`Dirs:    ${ds.directories.join(", ")}`);
      if (ds.exclude && ds.exclude.length > 0) lines.push(`Exclude: ${ds.exclude.join(", ")}`);
      return lines.join("\n");
    });
    return health.healthy ? 0 : 1;
  }
}
