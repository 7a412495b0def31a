/**
 * command/shell overhead: its `execute` of `echo hi` (through the test suite's in-memory fake
 * context, so no datastore is involved) against `sh -c 'echo hi'` spawned directly with the
 * same async child_process API. Interleaved rounds, medians, ratio to the direct spawn.
 * The full-CLI figure (`swamp model method run`) belongs in a separate case.
 */
import { spawn } from "node:child_process";
import { model } from "../builtins/model-command-shell/index.js";
import { FakeMethodContext } from "../test/builtins/model-command-shell/fake-context.js";

const method = model.methods["execute"];
if (!method) throw new Error("command/shell has no execute method");
const context = new FakeMethodContext({ maxLogEntries: 0 });

function spawnDirect(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", "echo hi"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 && out === "hi\n" ? resolve() : reject(new Error(`bad run: ${code} ${out}`))));
  });
}

async function viaModel(): Promise<void> {
  const result = await method!.execute({ run: "echo hi" }, context);
  if (result?.dataHandles?.length !== 2) throw new Error("expected two handles");
}

async function time(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const cases: Array<[string, () => Promise<void>]> = [
  ["sh -c 'echo hi' (spawn)", spawnDirect],
  ["command/shell execute", viaModel],
];
const rounds = Number(process.env.BENCH_ROUNDS ?? 200);
for (let i = 0; i < 10; i++) for (const [, fn] of cases) await fn(); // warm up
const samples = cases.map(() => [] as number[]);
for (let i = 0; i < rounds; i++) {
  for (const [j, [, fn]] of cases.entries()) samples[j]!.push(await time(fn));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const base = median(samples[0]!);
for (const [j, [name]] of cases.entries()) {
  const m = median(samples[j]!);
  console.log(
    `${name.padEnd(26)} median ${m.toFixed(2).padStart(6)} ms   p90 ${p90(samples[j]!).toFixed(2).padStart(6)} ms   ratio: ${(m / base).toFixed(2)}x`,
  );
}
context.cleanup();
