/**
 * The `Deno` compatibility namespace on its own: env, file system (shapes, options, error
 * classes), `Deno.Command` (output, outputSync, spawn with piped streams, defaults, kill,
 * failures), the runtime facts, and installing the global without replacing a real one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createDeno, installDenoGlobal } from "../../../plugins/compat/deno/index.js";

const Deno = createDeno();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "swamp-deno-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("Deno.env reads and writes this process's environment, and refuses invalid keys", () => {
  Deno.env.set("SWAMP_DENO_TEST", "one");
  assert.equal(process.env.SWAMP_DENO_TEST, "one");
  assert.equal(Deno.env.get("SWAMP_DENO_TEST"), "one");
  assert.equal(Deno.env.has("SWAMP_DENO_TEST"), true);
  assert.equal(Deno.env.toObject().SWAMP_DENO_TEST, "one");
  Deno.env.delete("SWAMP_DENO_TEST");
  assert.equal(Deno.env.get("SWAMP_DENO_TEST"), undefined);
  assert.equal(Deno.env.has("SWAMP_DENO_TEST"), false);
  assert.throws(() => Deno.env.get(""), TypeError);
  assert.throws(() => Deno.env.set("A=B", "x"), TypeError);
});

test("text and binary files: read, write with append/create/createNew/mode, URLs", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "a.txt");
    await Deno.writeTextFile(file, "hello");
    await Deno.writeTextFile(file, " world", { append: true });
    assert.equal(await Deno.readTextFile(file), "hello world");
    assert.equal(Deno.readTextFileSync(pathToFileURL(file)), "hello world");
    Deno.writeTextFileSync(file, "!", { append: true });
    assert.equal(await readFile(file, "utf8"), "hello world!");

    const bin = join(dir, "b.bin");
    await Deno.writeFile(bin, new Uint8Array([1, 2, 3]), { mode: 0o600 });
    const back = await Deno.readFile(bin);
    assert.equal(Object.getPrototypeOf(back), Uint8Array.prototype, "a plain Uint8Array, not a Buffer");
    assert.deepEqual([...back], [1, 2, 3]);
    assert.equal((await stat(bin)).mode & 0o777, 0o600);
    Deno.writeFileSync(bin, new Uint8Array([9]), { mode: 0o640 });
    assert.deepEqual([...Deno.readFileSync(bin)], [9]);
    assert.equal((await stat(bin)).mode & 0o777, 0o640, "mode is applied to an existing file too");

    await assert.rejects(Deno.writeTextFile(join(dir, "missing.txt"), "x", { create: false }), Deno.errors.NotFound);
    await assert.rejects(Deno.writeTextFile(file, "x", { createNew: true }), Deno.errors.AlreadyExists);
    assert.throws(() => Deno.writeTextFileSync(file, "x", { createNew: true }), Deno.errors.AlreadyExists);

    const streamed = join(dir, "s.txt");
    await Deno.writeTextFile(
      streamed,
      new ReadableStream<string>({
        start(c) {
          c.enqueue("a");
          c.enqueue("b");
          c.close();
        },
      }),
    );
    assert.equal(await readFile(streamed, "utf8"), "ab");
  });
});

test("file system errors are Deno's classes, keep the Node code and name the path", async () => {
  await withDir(async (dir) => {
    const missing = join(dir, "nope.txt");
    const err = await Deno.readTextFile(missing).catch((e: unknown) => e);
    assert.ok(err instanceof Deno.errors.NotFound);
    assert.ok(err instanceof Error);
    assert.equal((err as Error).name, "NotFound");
    assert.equal((err as { code?: string }).code, "ENOENT");
    assert.match((err as Error).message, /No such file or directory \(os error 2\): open '.*nope\.txt'/);
    assert.throws(() => Deno.readTextFileSync(missing), Deno.errors.NotFound);
    assert.throws(() => Deno.statSync(missing), Deno.errors.NotFound);
    await assert.rejects(Deno.remove(missing), Deno.errors.NotFound);
    await Deno.mkdir(join(dir, "d"));
    await assert.rejects(Deno.mkdir(join(dir, "d")), Deno.errors.AlreadyExists);
    await assert.rejects(Deno.readTextFile(join(dir, "d")), Deno.errors.IsADirectory);
    await writeFile(join(dir, "f"), "x");
    await assert.rejects(Deno.readTextFile(join(dir, "f", "g")), Deno.errors.NotADirectory);
  });
});

test("stat, lstat, mkdir, readDir, rename, copyFile, chmod, remove", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "x", "y"), { recursive: true, mode: 0o755 });
    await Deno.mkdir(join(dir, "x", "y"), { recursive: true });
    await Deno.writeTextFile(join(dir, "x", "f.txt"), "12345");
    await Deno.symlink(join(dir, "x", "f.txt"), join(dir, "x", "link"));

    const info = await Deno.stat(join(dir, "x", "f.txt"));
    assert.equal(info.isFile, true);
    assert.equal(info.isDirectory, false);
    assert.equal(info.isSymlink, false);
    assert.equal(info.size, 5);
    assert.ok(info.mtime instanceof Date && info.atime instanceof Date);
    assert.equal(typeof info.mode, "number");
    assert.equal((await Deno.lstat(join(dir, "x", "link"))).isSymlink, true);
    assert.equal(Deno.statSync(join(dir, "x", "link")).isFile, true, "stat follows the link");

    const entries: Array<{ name: string; isFile: boolean; isDirectory: boolean; isSymlink: boolean }> = [];
    for await (const e of Deno.readDir(join(dir, "x"))) entries.push(e);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(entries, [
      { name: "f.txt", isFile: true, isDirectory: false, isSymlink: false },
      { name: "link", isFile: false, isDirectory: false, isSymlink: true },
      { name: "y", isFile: false, isDirectory: true, isSymlink: false },
    ]);
    assert.deepEqual([...Deno.readDirSync(join(dir, "x"))].map((e) => e.name).sort(), ["f.txt", "link", "y"]);
    await assert.rejects(async () => {
      for await (const _ of Deno.readDir(join(dir, "absent"))) void _;
    }, Deno.errors.NotFound);

    await Deno.copyFile(join(dir, "x", "f.txt"), join(dir, "copy.txt"));
    await Deno.rename(join(dir, "copy.txt"), join(dir, "moved.txt"));
    assert.equal(await readFile(join(dir, "moved.txt"), "utf8"), "12345");
    await Deno.chmod(join(dir, "moved.txt"), 0o600);
    assert.equal((await stat(join(dir, "moved.txt"))).mode & 0o777, 0o600);

    await assert.rejects(Deno.remove(join(dir, "x")), (e: unknown) => (e as { code?: string }).code === "ENOTEMPTY");
    await Deno.remove(join(dir, "x", "y"));
    await Deno.remove(join(dir, "x"), { recursive: true });
    Deno.removeSync(join(dir, "moved.txt"));
    assert.equal([...Deno.readDirSync(dir)].length, 0);
  });
});

test("makeTempFile and makeTempDir honour dir, prefix and suffix", async () => {
  await withDir(async (dir) => {
    const file = await Deno.makeTempFile({ dir, prefix: "pre-", suffix: ".json" });
    assert.match(file, /\/pre-[0-9a-f]+\.json$/);
    assert.ok(file.startsWith(dir));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const sub = Deno.makeTempDirSync({ dir, prefix: "d-" });
    assert.ok((await stat(sub)).isDirectory());
    const other = await Deno.makeTempDir({ dir, suffix: "-x" });
    assert.match(other, /-x$/);
    assert.notEqual(Deno.makeTempFileSync({ dir }), file);
  });
});

test("Command.output collects piped stdout and stderr, with env, clearEnv and cwd", async () => {
  await withDir(async (dir) => {
    const out = await new Deno.Command("sh", {
      args: ["-c", 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 3'],
      cwd: dir,
      env: { GREETING: "hi" },
    }).output();
    assert.equal(out.code, 3);
    assert.equal(out.success, false);
    assert.equal(out.signal, null);
    assert.equal(Object.getPrototypeOf(out.stdout), Uint8Array.prototype);
    assert.match(text(out.stdout), /^hi from .*swamp-deno-/);
    assert.equal(text(out.stderr), "oops\n");

    const cleared = await new Deno.Command("/bin/sh", { args: ["-c", "echo ${HOME:-none}"], clearEnv: true, env: {} }).output();
    assert.equal(text(cleared.stdout), "none\n");

    const quiet = await new Deno.Command("sh", { args: ["-c", "echo x"], stdout: "null" }).output();
    assert.equal(quiet.success, true);
    assert.throws(() => quiet.stdout, TypeError);

    const sync = new Deno.Command("sh", { args: ["-c", "printf abc; exit 0"] }).outputSync();
    assert.deepEqual([sync.code, sync.success, text(sync.stdout)], [0, true, "abc"]);
    await assert.rejects(new Deno.Command("cat", { stdin: "piped" }).output(), TypeError);
  });
});

test("Command.spawn: piped stdin/stdout as Web streams, status, output, kill, default inherit", async () => {
  const child = new Deno.Command("sh", { args: ["-c", "tr a-z A-Z"], stdin: "piped", stdout: "piped" }).spawn();
  assert.equal(typeof child.pid, "number");
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("hello "));
  await writer.write(new TextEncoder().encode("deno"));
  await writer.close();
  let got = "";
  for await (const chunk of child.stdout) got += text(chunk);
  assert.equal(got, "HELLO DENO");
  assert.deepEqual(await child.status, { success: true, code: 0, signal: null });
  assert.throws(() => child.stderr, TypeError, "stderr defaults to inherit for spawn");

  const both = new Deno.Command("sh", { args: ["-c", "echo out; echo err >&2"], stdout: "piped", stderr: "piped" }).spawn();
  const collected = await both.output();
  assert.deepEqual([text(collected.stdout), text(collected.stderr), collected.code], ["out\n", "err\n", 0]);

  const sleeper = new Deno.Command("sleep", { args: ["30"], stdout: "null" }).spawn();
  sleeper.kill();
  const status = await sleeper.status;
  assert.deepEqual(status, { success: false, code: 143, signal: "SIGTERM" });
  assert.throws(() => sleeper.kill(), TypeError);
});

test("a command that does not exist is Deno.errors.NotFound, from output(), outputSync() and spawn()", async () => {
  const name = "swamp-no-such-command-xyz";
  const err = await new Deno.Command(name).output().catch((e: unknown) => e);
  assert.ok(err instanceof Deno.errors.NotFound);
  assert.match((err as Error).message, /Failed to spawn 'swamp-no-such-command-xyz': No such file or directory/);
  assert.throws(() => new Deno.Command(name).outputSync(), Deno.errors.NotFound);
  assert.throws(() => new Deno.Command(name).spawn(), Deno.errors.NotFound);
});

test("runtime facts: build, pid, args, cwd, version, inspect, kill", async () => {
  assert.ok(["linux", "darwin", "windows"].includes(Deno.build.os));
  assert.ok(["x86_64", "aarch64"].includes(Deno.build.arch));
  assert.equal(Deno.pid, process.pid);
  assert.deepEqual(Deno.args, []);
  assert.equal(Deno.cwd(), process.cwd());
  assert.equal(Deno.execPath(), process.execPath);
  assert.equal(typeof Deno.version.deno, "string");
  assert.equal(Deno.inspect({ a: [1, 2] }), "{ a: [ 1, 2 ] }");
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  Deno.kill(child.pid, "SIGKILL");
  assert.equal((await child.status).signal, "SIGKILL");
  assert.throws(() => Deno.kill(2 ** 22 + 12345), (e: unknown) => (e as { code?: string }).code === "ESRCH");
});

test("a sandbox refusal becomes PermissionDenied carrying the call for the host", async () => {
  const { denoError } = await import("../../../plugins/compat/deno/errors.js");
  const nodeErr = Object.assign(new Error("Access to this API has been restricted"), { code: "ERR_ACCESS_DENIED", permission: "FileSystemRead", resource: "/etc/x" });
  const e = denoError(nodeErr, "Deno.readTextFile", "/etc/x") as Error & { code: string; permission: string; details: Record<string, unknown> };
  assert.ok(e instanceof Deno.errors.PermissionDenied);
  assert.equal(e.code, "ERR_ACCESS_DENIED");
  assert.equal(e.permission, "FileSystemRead");
  assert.deepEqual(e.details, { call: "Deno.readTextFile", permission: "FileSystemRead", resource: "/etc/x" });
});

test("installDenoGlobal defines Deno once and never replaces an existing one", () => {
  const target: Record<string, unknown> = {};
  installDenoGlobal(target);
  const first = target.Deno;
  assert.equal(typeof (first as { env: { get: unknown } }).env.get, "function");
  installDenoGlobal(target);
  assert.equal(target.Deno, first);
  const real = { real: true };
  const other: Record<string, unknown> = { Deno: real };
  installDenoGlobal(other);
  assert.equal(other.Deno, real);
});
