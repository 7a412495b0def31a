/**
 * The small parts of the Deno namespace: process facts (`pid`, `build`, `version`, `args`…),
 * `exit`, `kill`, `inspect`, and basic `stdout`/`stderr` writers. `exit` is `process.exit`,
 * which the host already reports as the extension ending its own worker or sandbox.
 */
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { inspect as nodeInspect } from "node:util";
import { denoError } from "./errors.js";

const OS_NAMES: Record<string, string> = { win32: "windows", sunos: "solaris" };
const ARCH_NAMES: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

export function buildInfo() {
  const osName = OS_NAMES[process.platform] ?? process.platform;
  const arch = ARCH_NAMES[process.arch] ?? process.arch;
  const vendor = osName === "darwin" ? "apple" : osName === "windows" ? "pc" : "unknown";
  const tail = osName === "linux" ? "linux-gnu" : osName === "windows" ? "windows-msvc" : osName;
  return { target: `${arch}-${vendor}-${tail}`, arch, os: osName, vendor, ...(osName === "linux" ? { env: "gnu" } : {}) };
}

export interface InspectOptions {
  colors?: boolean;
  compact?: boolean;
  depth?: number;
  breakLength?: number;
  iterableLimit?: number;
  showProxy?: boolean;
  sorted?: boolean;
  trailingComma?: boolean;
  getters?: boolean;
  showHidden?: boolean;
  strAbbreviateSize?: number;
}

function inspect(value: unknown, o: InspectOptions = {}): string {
  return nodeInspect(value, {
    colors: o.colors ?? false,
    compact: o.compact ?? 3,
    depth: o.depth ?? 4,
    breakLength: o.breakLength ?? 80,
    maxArrayLength: o.iterableLimit ?? 100,
    maxStringLength: o.strAbbreviateSize ?? 10_000,
    showProxy: o.showProxy ?? false,
    sorted: o.sorted ?? false,
    getters: o.getters ?? false,
    showHidden: o.showHidden ?? false,
  });
}

/** `Deno.stdout` / `Deno.stderr`: writes go through this thread's own stream (routed by the worker). */
function writer(name: "stdout" | "stderr", rid: number) {
  const stream = () => process[name];
  const write = (p: Uint8Array) =>
    new Promise<number>((ok, fail) => {
      stream().write(p, (err) => (err ? fail(denoError(err, `Deno.${name}.write`)) : ok(p.byteLength)));
    });
  return {
    rid,
    write,
    writeSync(p: Uint8Array): number {
      stream().write(p);
      return p.byteLength;
    },
    get writable(): WritableStream<Uint8Array> {
      return new WritableStream<Uint8Array>({ write: (chunk) => write(chunk).then(() => undefined) });
    },
    isTerminal: () => false,
    close() {},
  };
}

export function createRuntime() {
  return {
    pid: process.pid,
    ppid: process.ppid,
    /** An extension is a module, not a program: it has no command-line arguments. */
    args: [] as string[],
    build: buildInfo(),
    version: { deno: "2.0.0", v8: process.versions.v8, typescript: "5.6.2" },
    noColor: process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "",
    cwd: () => process.cwd(),
    chdir: (dir: string | URL) => process.chdir(dir instanceof URL ? fileURLToPath(dir) : String(dir)),
    execPath: () => process.execPath,
    exit: (code?: number): never => process.exit(code ?? (typeof process.exitCode === "number" ? process.exitCode : 0)),
    get exitCode(): number {
      return typeof process.exitCode === "number" ? process.exitCode : 0;
    },
    set exitCode(code: number) {
      process.exitCode = code;
    },
    kill(pid: number, signo: string = "SIGTERM"): void {
      try {
        process.kill(pid, signo);
      } catch (err) {
        throw denoError(err, "Deno.kill", String(pid));
      }
    },
    hostname: () => os.hostname(),
    osRelease: () => os.release(),
    osUptime: () => os.uptime(),
    loadavg: () => os.loadavg(),
    uid: () => (typeof process.getuid === "function" ? process.getuid() : null),
    gid: () => (typeof process.getgid === "function" ? process.getgid() : null),
    memoryUsage: () => {
      const m = process.memoryUsage();
      return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external };
    },
    inspect,
    stdout: writer("stdout", 1),
    stderr: writer("stderr", 2),
  };
}
