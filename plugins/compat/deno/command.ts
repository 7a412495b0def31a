/**
 * `Deno.Command` on `node:child_process`, with Deno's option names and defaults:
 * `output()`/`outputSync()` pipe stdout and stderr by default, `spawn()` inherits them, stdin
 * is inherited unless set. Piped streams are Web streams of `Uint8Array`.
 *
 * "inherit" for stdout/stderr forwards the child's output to this thread's own
 * `process.stdout`/`process.stderr` rather than handing over file descriptors 1 and 2: in a
 * worker those are the CLI's, and an extension's output must go through the worker's console
 * routing, never straight into the CLI's stdout.
 */
import type * as ChildProcesses from "node:child_process";
import type { ChildProcess as NodeChild, StdioOptions } from "node:child_process";
import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { denoError } from "./errors.js";
import { bytes } from "./fs.js";

let childProcesses: typeof ChildProcesses | undefined;
/** node:child_process, loaded on first use: most extensions never run a command, and every worker would pay for loading it. */
const processes = (): typeof ChildProcesses => (childProcesses ??= createRequire(import.meta.url)("node:child_process") as typeof ChildProcesses);

export type Stdio = "piped" | "inherit" | "null";
export type Signal = string;

export interface CommandOptions {
  args?: string[];
  cwd?: string | URL;
  clearEnv?: boolean;
  env?: Record<string, string>;
  uid?: number;
  gid?: number;
  signal?: AbortSignal;
  stdin?: Stdio;
  stdout?: Stdio;
  stderr?: Stdio;
  windowsRawArguments?: boolean;
  detached?: boolean;
}

export interface CommandStatus {
  success: boolean;
  code: number;
  signal: Signal | null;
}

export interface CommandOutput extends CommandStatus {
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

const DESCRIPTIONS: Record<string, string> = { ENOENT: "No such file or directory", EACCES: "Permission denied", ENOTDIR: "Not a directory" };

function statusOf(code: number | null, signal: NodeJS.Signals | null): CommandStatus {
  if (signal) {
    const n = (osConstants.signals as Record<string, number>)[signal] ?? 0;
    return { success: false, code: 128 + n, signal };
  }
  return { success: code === 0, code: code ?? 1, signal: null };
}

function outputOf(status: CommandStatus, out: Uint8Array | null, err: Uint8Array | null): CommandOutput {
  const result = { ...status } as CommandOutput;
  const field = (name: "stdout" | "stderr", value: Uint8Array | null) =>
    Object.defineProperty(result, name, {
      enumerable: true,
      get() {
        if (value === null) throw new TypeError(`${name} is not piped`);
        return value;
      },
    });
  field("stdout", out);
  field("stderr", err);
  return result;
}

/** Why spawning `cmd` failed, when Node reports it only later (an `error` event): look it up. */
function spawnFailureCode(cmd: string, cwd: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const usable = (p: string): string | undefined => {
    try {
      if (!statSync(p).isFile()) return "EACCES";
      accessSync(p, fsConstants.X_OK);
      return undefined;
    } catch (err) {
      return (err as { code?: string }).code;
    }
  };
  try {
    if (cwd !== undefined && !statSync(cwd).isDirectory()) return "ENOTDIR";
  } catch {
    return "ENOENT";
  }
  if (cmd.includes("/")) return usable(isAbsolute(cmd) ? cmd : resolve(cwd ?? process.cwd(), cmd));
  let found: string | undefined = "ENOENT";
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const why = usable(join(dir, cmd));
    if (why === undefined) return undefined;
    if (why !== "ENOENT") found = why;
  }
  return found;
}

function spawnError(err: unknown, cmd: string): unknown {
  const code = (err as { code?: string })?.code ?? "";
  if (code === "ERR_ACCESS_DENIED") return denoError(err, "Deno.Command", cmd);
  const errno = (osConstants.errno as Record<string, number>)[code];
  const why = `${DESCRIPTIONS[code] ?? code}${errno !== undefined ? ` (os error ${errno})` : ""}`;
  return denoError(err, "Deno.Command", cmd, `Failed to spawn '${cmd}': ${why}`);
}

/** A Web ReadableStream over a Node readable, with backpressure. */
function webReadable(s: Readable): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let done = false;
        const finish = (err?: unknown) => {
          if (done) return;
          done = true;
          try {
            if (err) controller.error(err);
            else controller.close();
          } catch {
            // already cancelled by the reader
          }
        };
        s.on("data", (chunk: Buffer) => {
          if (done) return;
          controller.enqueue(bytes(chunk));
          if ((controller.desiredSize ?? 1) <= 0) s.pause();
        });
        s.once("end", () => finish());
        s.once("close", () => finish());
        s.once("error", (err) => finish(err));
      },
      pull() {
        s.resume();
      },
      cancel() {
        s.destroy();
      },
    },
    { highWaterMark: 16 },
  );
}

/** A Web WritableStream over a Node writable (the child's stdin). */
function webWritable(w: Writable, cmd: string): WritableStream<Uint8Array> {
  w.on("error", () => {}); // reported to the writer through the write callbacks
  return new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((ok, fail) => {
        w.write(chunk, (err) => (err ? fail(denoError(err, "Deno.ChildProcess.stdin", cmd)) : ok()));
      }),
    close: () => new Promise<void>((ok) => w.end(() => ok())),
    abort: () => {
      w.destroy();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function forward(from: Readable | null, to: "stdout" | "stderr"): void {
  from?.on("data", (chunk: Buffer) => {
    process[to].write(chunk);
  });
}

export class ChildProcess {
  readonly #child: NodeChild;
  readonly #cmd: string;
  readonly #stdin: WritableStream<Uint8Array> | null;
  readonly #stdout: ReadableStream<Uint8Array> | null;
  readonly #stderr: ReadableStream<Uint8Array> | null;
  #exited = false;
  readonly pid: number;
  readonly status: Promise<CommandStatus>;

  /** @internal built by Command.spawn() */
  constructor(child: NodeChild, cmd: string, stdio: { stdin: Stdio; stdout: Stdio; stderr: Stdio }) {
    this.#child = child;
    this.#cmd = cmd;
    this.pid = child.pid ?? -1;
    this.#stdin = stdio.stdin === "piped" && child.stdin ? webWritable(child.stdin, cmd) : null;
    this.#stdout = stdio.stdout === "piped" && child.stdout ? webReadable(child.stdout) : null;
    this.#stderr = stdio.stderr === "piped" && child.stderr ? webReadable(child.stderr) : null;
    if (stdio.stdout === "inherit") forward(child.stdout, "stdout");
    if (stdio.stderr === "inherit") forward(child.stderr, "stderr");
    this.status = new Promise<CommandStatus>((ok) => {
      child.once("exit", (code, signal) => {
        this.#exited = true;
        ok(statusOf(code, signal));
      });
    });
  }

  get stdin(): WritableStream<Uint8Array> {
    if (!this.#stdin) throw new TypeError("stdin is not piped");
    return this.#stdin;
  }

  get stdout(): ReadableStream<Uint8Array> {
    if (!this.#stdout) throw new TypeError("stdout is not piped");
    return this.#stdout;
  }

  get stderr(): ReadableStream<Uint8Array> {
    if (!this.#stderr) throw new TypeError("stderr is not piped");
    return this.#stderr;
  }

  /** Waits for the child to end, collecting what is left of its piped stdout and stderr. */
  async output(): Promise<CommandOutput> {
    if (this.#stdout?.locked) throw new TypeError("Can't collect output because stdout is locked");
    if (this.#stderr?.locked) throw new TypeError("Can't collect output because stderr is locked");
    const [status, out, err] = await Promise.all([
      this.status,
      this.#stdout ? collect(this.#stdout) : null,
      this.#stderr ? collect(this.#stderr) : null,
    ]);
    return outputOf(status, out, err);
  }

  kill(signo: Signal = "SIGTERM"): void {
    if (this.#exited) throw new TypeError("Child process has already terminated");
    try {
      this.#child.kill(signo as NodeJS.Signals);
    } catch (err) {
      throw denoError(err, "Deno.ChildProcess.kill", this.#cmd);
    }
  }

  ref(): void {
    this.#child.ref();
  }

  unref(): void {
    this.#child.unref();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) this.#child.kill("SIGTERM");
    await this.status;
  }
}

interface Prepared {
  cmd: string;
  args: string[];
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  stdin: Stdio;
  stdout: Stdio;
  stderr: Stdio;
}

/** Node stdio: output is always piped unless "null" ("inherit" is forwarded, see above). */
function nodeStdio(p: Prepared): StdioOptions {
  const out = (s: Stdio) => (s === "null" ? "ignore" : "pipe");
  return [p.stdin === "piped" ? "pipe" : p.stdin === "null" ? "ignore" : "inherit", out(p.stdout), out(p.stderr)];
}

export class Command {
  readonly #command: string;
  readonly #options: CommandOptions;

  constructor(command: string | URL, options: CommandOptions = {}) {
    this.#command = command instanceof URL ? fileURLToPath(command) : String(command);
    this.#options = { ...options };
  }

  #prepare(defaultOut: Stdio): Prepared {
    const o = this.#options;
    const cwd = o.cwd instanceof URL ? fileURLToPath(o.cwd) : o.cwd;
    const env = o.clearEnv ? { ...(o.env ?? {}) } : { ...process.env, ...(o.env ?? {}) };
    return {
      cmd: this.#command,
      args: (o.args ?? []).map(String),
      cwd,
      env,
      stdin: o.stdin ?? "inherit",
      stdout: o.stdout ?? defaultOut,
      stderr: o.stderr ?? defaultOut,
    };
  }

  #start(p: Prepared): NodeChild {
    const o = this.#options;
    try {
      return processes().spawn(p.cmd, p.args, {
        cwd: p.cwd,
        env: p.env,
        stdio: nodeStdio(p),
        uid: o.uid,
        gid: o.gid,
        signal: o.signal,
        detached: o.detached,
        windowsHide: true,
        windowsVerbatimArguments: o.windowsRawArguments,
      });
    } catch (err) {
      throw spawnError(err, p.cmd);
    }
  }

  /** Runs the command to its end, collecting stdout and stderr (piped unless set otherwise). */
  async output(): Promise<CommandOutput> {
    const p = this.#prepare("piped");
    if (p.stdin === "piped") throw new TypeError("Piped stdin is not supported for this function, use 'Deno.Command.spawn()' instead");
    const child = this.#start(p);
    await new Promise<void>((ok, fail) => {
      child.once("spawn", ok);
      child.once("error", (err) => fail(spawnError(err, p.cmd)));
    });
    return new ChildProcess(child, p.cmd, p).output();
  }

  outputSync(): CommandOutput {
    const p = this.#prepare("piped");
    if (p.stdin === "piped") throw new TypeError("Piped stdin is not supported for this function, use 'Deno.Command.spawn()' instead");
    let r: ReturnType<typeof ChildProcesses.spawnSync>;
    try {
      r = processes().spawnSync(p.cmd, p.args, {
        cwd: p.cwd,
        env: p.env,
        stdio: nodeStdio(p),
        uid: this.#options.uid,
        gid: this.#options.gid,
        maxBuffer: Number.MAX_SAFE_INTEGER,
        windowsHide: true,
        windowsVerbatimArguments: this.#options.windowsRawArguments,
      });
    } catch (err) {
      throw spawnError(err, p.cmd);
    }
    if (r.error) throw spawnError(r.error, p.cmd);
    const out = r.stdout ? bytes(r.stdout as Buffer) : null;
    const err = r.stderr ? bytes(r.stderr as Buffer) : null;
    if (p.stdout === "inherit" && out) process.stdout.write(out);
    if (p.stderr === "inherit" && err) process.stderr.write(err);
    return outputOf(statusOf(r.status, r.signal), p.stdout === "piped" ? out : null, p.stderr === "piped" ? err : null);
  }

  /** Starts the command and returns at once (stdout and stderr inherited unless set). */
  spawn(): ChildProcess {
    const p = this.#prepare("inherit");
    const child = this.#start(p);
    if (child.pid === undefined) {
      // Node reports a failed spawn only on the next tick; Deno throws here.
      child.once("error", () => {});
      const code = spawnFailureCode(p.cmd, p.cwd, p.env) ?? "ENOENT";
      throw spawnError(Object.assign(new Error(`spawn ${p.cmd} ${code}`), { code, errno: -((osConstants.errno as Record<string, number>)[code] ?? 0) }), p.cmd);
    }
    child.once("error", () => {});
    return new ChildProcess(child, p.cmd, p);
  }
}
