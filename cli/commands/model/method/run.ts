import { Command, Option } from "clipanion";
import { SwampError, UsageError } from "../../../../kernel/contract/errors.js";
import { parseTags } from "../../../../kernel/models/input-parsing.js";
import { MethodRunError, runMethod, type RunView } from "../../../../kernel/models/execute.js";
import { lazyVaultStore } from "../../../../kernel/vaults/lazy.js";
import { MethodRunningCommand } from "../../../run-filters.js";
import { collectInputs, parseTimeout } from "../../../inputs.js";
import { LiveOutput } from "../../../live-output.js";
import { formatBytes } from "../../../output.js";
import { paint, warningLine } from "../../../colour.js";
import { table } from "../../../table.js";

/** Reports that were skipped without failing the run (a required report nobody provides). */
function writeReportWarnings(view: RunView, stream: NodeJS.WritableStream): void {
  for (const r of Object.values(view.reports)) if (r.warning) stream.write(warningLine(stream, r.warning));
}

export default class ModelMethodRunCommand extends MethodRunningCommand {
  static override paths = [["model", "method", "run"]];
  static override usage = Command.Usage({
    description: "Run a method of a model and store what it produces",
    details:
      "Runs `<method>` of the model named (or with the id) `<model>`. The direct form `swamp model @<type> method run " +
      "<method> <name>` creates (or reuses) an auto-definition called <name> of that type; its --input values are " +
      "split between method and global arguments by the type's schemas.",
    examples: [
      ["Run a shell model", "swamp model method run hello-world execute"],
      ["Override a method argument", "swamp model method run hello-world execute --input run='echo hi'"],
      ["Direct type execution", "swamp model @command/shell method run execute my-shell --input 'run=echo hello'"],
    ],
  });

  first = Option.String({ name: "model" });
  second = Option.String({ name: "method" });
  third = Option.String({ required: false, name: "name" });
  input = Option.Array("--input,--arg", [], { description: "key=value (dots nest, key:json=<json>, @file); repeatable" });
  inputFile = Option.String("--input-file", { description: "YAML mapping of inputs, - for stdin (--input wins)" });
  tag = Option.Array("--tag", [], { description: "KEY=VALUE tag added to every data artifact; repeatable" });
  driver = Option.String("--driver", { description: "Execution driver (raw, docker, …) for this run" });
  timeout = Option.String("--timeout", { description: "Cancel the run after this long (30s, 5m, 1h)" });

  async run(): Promise<number> {
    let inputs = await collectInputs(this.inputFile, this.input);
    const kernel = await this.kernel();

    let ref = this.first;
    let method = this.second;
    if (this.third !== undefined) {
      if (!this.first.startsWith("@")) throw new UsageError("Three arguments need the direct form: swamp model @<type> method run <method> <name>");
      const { prepareDirectRun } = await import("../../../../kernel/models/direct.js");
      const direct = await prepareDirectRun(kernel, this.first.slice(1), this.second, this.third, inputs);
      ref = direct.modelId;
      method = this.second;
      inputs = direct.methodInputs;
      if (direct.created && !this.json) this.context.stderr.write(`Created ${this.third} (${this.first.slice(1)})\n`);
    }

    const out = this.context.stdout;
    const err = this.context.stderr;
    const start = Date.now();
    const live = this.json ? null : new LiveOutput(out, err);
    let view: RunView;
    try {
      view = await runMethod(kernel, {
        ref,
        method,
        inputs,
        tags: parseTags(this.tag),
        ...(this.driver ? { driver: this.driver } : {}),
        ...(this.timeout ? { timeoutMs: parseTimeout(this.timeout) } : {}),
        ...this.runFilters(),
        // Vaults load only if the run uses one (vault.get, a sensitive output, a vault reference in data).
        vaults: lazyVaultStore(kernel, { warn: (message) => err.write(warningLine(err, message)) }),
        ...(live ? { onOutput: live.line } : {}),
      });
    } catch (e) {
      live?.flush();
      if (e instanceof MethodRunError && !this.json) {
        writeReportWarnings(e.view, err);
        err.write(`${paint(err, "fail", "Failed")} ${e.view.methodName} on ${e.view.modelName} after ${e.view.duration}ms\nFull output: ${e.view.logFile}\n`);
      }
      if (!(e instanceof MethodRunError)) throw e;
      const plain = new SwampError(e.code, e.message, { details: { outputId: e.view.outputId, logFile: e.view.logFile } });
      if (e.stack) plain.stack = e.stack;
      throw plain;
    }
    live?.flush();
    if (!this.json) writeReportWarnings(view, err);
    this.emit(view, () => {
      const shown = view.dataArtifacts.filter((a) => a.name !== "log" && !a.name.startsWith("report-"));
      const lines = [`${paint(out, "ok", "Completed")} ${view.methodName} on ${view.modelName} succeeded in ${Date.now() - start}ms`];
      if (shown.length) lines.push(table(shown.map((a) => [a.name, `v${a.version}`, a.kind, a.attributes ? formatBytes(JSON.stringify(a.attributes).length) : ""]), { indent: "  " }));
      return lines.join("\n");
    });
    return 0;
  }
}
