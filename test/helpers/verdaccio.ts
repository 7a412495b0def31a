/**
 * A real npm-protocol registry (Verdaccio) on loopback for tests: a child process with its own
 * config and storage in a temp dir, no uplinks (it never reaches the internet), on a free port.
 * Start one per test file; `close()` stops the process and removes its files.
 *
 * `addUser` creates an account through the adduser endpoint and returns its token, as
 * `npm login` would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface Verdaccio {
  /** Registry URL with a trailing slash. */
  url: string;
  /** The storage directory (packages live under `<storage>/@scope/name/`). */
  storage: string;
  addUser(name: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function verdaccioBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("verdaccio/package.json")), "bin", "verdaccio");
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}): ${output()}`);
    try {
      const res = await fetch(`${url}-/ping`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`verdaccio did not start: ${output()}`);
}

export async function startVerdaccio(): Promise<Verdaccio> {
  const dir = await mkdtemp(join(tmpdir(), "swamp-verdaccio-"));
  const storage = join(dir, "storage");
  const config = join(dir, "config.yaml");
  await writeFile(
    config,
    [
      `storage: ${JSON.stringify(storage)}`,
      "auth:",
      "  htpasswd:",
      `    file: ${JSON.stringify(join(dir, "htpasswd"))}`,
      "    max_users: 100",
      "uplinks: {}",
      "packages:",
      "  '@*/*':",
      "    access: $all",
      "    publish: $authenticated",
      "    unpublish: $authenticated",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "log: { type: stdout, format: json, level: warn }",
      "publish:",
      "  allow_offline: true",
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(process.execPath, [verdaccioBin(), "--config", config, "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output = (output + d).slice(-4000)));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output = (output + d).slice(-4000)));
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(url, child, () => output);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url,
    storage,
    async addUser(name, password = "test-password-1") {
      const res = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, password, type: "user", roles: [], date: new Date().toISOString() }),
      });
      const body = (await res.json()) as { token?: string; error?: string };
      if (!res.ok || !body.token) throw new Error(`adduser ${name} failed (${res.status}): ${body.error ?? ""}`);
      return body.token;
    },
    close,
  };
}
