/**
 * The `local_encryption` vault: the on-disk format checked against an independent WebCrypto
 * implementation of the documented algorithm (both directions), file modes, key handling, and
 * the errors for tampered data and wrong or missing keys.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEncryptionProvider, secretKeyProblem, vault, vaultDirectory } from "../../../builtins/vault-local-encryption/index.js";
import { errorCode, SwampError } from "../../../kernel/contract/errors.js";

const subtle = webcrypto.subtle;
const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const UUID_V4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

/** The documented algorithm, written against WebCrypto (not the provider's node:crypto path). */
async function webKey(material: Uint8Array, salt: Uint8Array, usage: "encrypt" | "decrypt") {
  const base = await subtle.importKey("raw", material, "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "PBKDF2", salt, iterations: 100_000, hash: "SHA-256" }, base, { name: "AES-GCM", length: 256 }, false, [usage]);
}

async function webDecrypt(material: Uint8Array, fileText: string): Promise<string> {
  const env = JSON.parse(fileText) as { iv: string; data: string; salt: string; version: number };
  assert.equal(env.version, 2);
  const key = await webKey(material, b64(env.salt), "decrypt");
  const plain = await subtle.decrypt({ name: "AES-GCM", iv: b64(env.iv) }, key, b64(env.data));
  return new TextDecoder().decode(plain);
}

async function webEncrypt(material: Uint8Array, plaintext: string): Promise<string> {
  const salt = webcrypto.getRandomValues(new Uint8Array(16));
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const key = await webKey(material, salt, "encrypt");
  const data = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext)));
  const enc = (u: Uint8Array) => Buffer.from(u).toString("base64");
  return JSON.stringify({ iv: enc(iv), data: enc(data), salt: enc(salt), version: 2 }, null, 2);
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "swamp-vault-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function provider(repo: string, name = "dev", config: Record<string, unknown> = { auto_generate: true }): LocalEncryptionProvider {
  return vault.createProvider(name, config as never, { repoDir: repo }) as LocalEncryptionProvider;
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp | string): Promise<SwampError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SwampError, `expected a SwampError, got ${String(err)}`);
    assert.equal(errorCode(err), code, (err as Error).message);
    if (typeof message === "string") assert.equal((err as Error).message, message);
    else if (message) assert.match((err as Error).message, message);
    assert.doesNotMatch((err as Error).message, /\n/);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test("round trip: the layout, modes and JSON shape of spec §7.2", async () => {
  await withDir(async (repo) => {
    const p = provider(repo);
    await p.put("api-token", "s3cr3t value ✓");
    assert.equal(await p.get("api-token"), "s3cr3t value ✓");
    const dir = vaultDirectory(repo, "dev");
    assert.equal(dir, join(repo, ".swamp", "secrets", "local_encryption", "dev"));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, "api-token.enc"))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, ".key"))).mode & 0o777, 0o600);
    const keyText = await readFile(join(dir, ".key"), "utf8");
    assert.equal(keyText.length, 72);
    assert.match(keyText, new RegExp(`^${UUID_V4}${UUID_V4}$`));
    const text = await readFile(join(dir, "api-token.enc"), "utf8");
    const parsed = JSON.parse(text) as Record<string, string | number>;
    assert.deepEqual(Object.keys(parsed), ["iv", "data", "salt", "version"]);
    assert.equal(text, JSON.stringify(parsed, null, 2));
    assert.equal(b64(parsed.iv as string).length, 12);
    assert.equal(b64(parsed.salt as string).length, 16);
    assert.equal(b64(parsed.data as string).length, Buffer.byteLength("s3cr3t value ✓") + 16);
    assert.ok(!text.includes("s3cr3t"));
    // Every secret gets its own salt and IV.
    await p.put("other", "s3cr3t value ✓");
    const other = JSON.parse(await readFile(join(dir, "other.enc"), "utf8")) as Record<string, string>;
    assert.notEqual(other.salt, parsed.salt);
    assert.notEqual(other.iv, parsed.iv);
    assert.deepEqual(await p.list(), ["api-token", "other"]);
    // No temp files left behind.
    assert.deepEqual((await readdir(dir)).sort(), [".key", "api-token.enc", "other.enc"]);
  });
});

test("an independent WebCrypto implementation reads our files, and we read its files", async () => {
  await withDir(async (repo) => {
    const p = provider(repo);
    const secret = 'multi\nline "quoted" $(x) ; `y`\n';
    await p.put("ours", secret);
    const dir = vaultDirectory(repo, "dev");
    const material = new TextEncoder().encode(await readFile(join(dir, ".key"), "utf8"));
    assert.equal(await webDecrypt(material, await readFile(join(dir, "ours.enc"), "utf8")), secret);

    await writeFile(join(dir, "theirs.enc"), await webEncrypt(material, "written by WebCrypto"), { mode: 0o600 });
    assert.equal(await provider(repo).get("theirs"), "written by WebCrypto");
  });
});

test("a reference-style vault (key file and files made elsewhere) reads", async () => {
  await withDir(async (repo) => {
    const dir = vaultDirectory(repo, "legacy");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyText = "2c6a5d80-9a64-4a43-8f43-5f2b1a1c0e7d8b1e7f0c-3d2a-4e6b-9c1d-0a2b3c4d5e6f";
    assert.equal(keyText.length, 72);
    await writeFile(join(dir, ".key"), keyText, { mode: 0o600 });
    await writeFile(join(dir, "db-password.enc"), await webEncrypt(new TextEncoder().encode(keyText), "p@ss"), { mode: 0o600 });
    // An absolute base_dir recorded on another machine: the repository's copy is used.
    const p = provider(repo, "legacy", { auto_generate: true, base_dir: "/nonexistent/elsewhere" });
    assert.equal(await p.get("db-password"), "p@ss");
  });
});

test("tampered ciphertext, a wrong key file and a missing key file give clear one-line errors", async () => {
  await withDir(async (repo) => {
    const p = provider(repo);
    await p.put("k", "value-1");
    const dir = vaultDirectory(repo, "dev");
    const file = join(dir, "k.enc");
    const original = await readFile(file, "utf8");

    const env = JSON.parse(original) as Record<string, string>;
    const data = Buffer.from(env.data as string, "base64");
    data[0] = (data[0] ?? 0) ^ 0x01;
    await writeFile(file, JSON.stringify({ ...env, data: data.toString("base64") }, null, 2));
    await rejectsWith(provider(repo).get("k"), "vault_decrypt_failed", "Cannot decrypt secret 'k' in vault 'dev': the key file does not match or the data was altered");

    await writeFile(file, "{ not json");
    await rejectsWith(provider(repo).get("k"), "vault_decrypt_failed", /Cannot decrypt secret 'k' in vault 'dev': the file is damaged/);

    await writeFile(file, original);
    assert.equal(await provider(repo).get("k"), "value-1");
    await writeFile(join(dir, ".key"), `${"0".repeat(36)}${"1".repeat(36)}`);
    await rejectsWith(provider(repo).get("k"), "vault_decrypt_failed", "Cannot decrypt secret 'k' in vault 'dev': the key file does not match or the data was altered");

    await unlink(join(dir, ".key"));
    await rejectsWith(provider(repo).get("k"), "vault_key_missing", /Cannot decrypt secret 'k' in vault 'dev': key file .*\.key is missing/);
    // A new key would orphan the existing secret: refused.
    await rejectsWith(provider(repo).put("k2", "v"), "vault_key_missing", /restore it from a backup/);
    assert.deepEqual(await provider(repo).list(), ["k"]);
  });
});

test("unknown keys, unsafe keys, delete and list", async () => {
  await withDir(async (repo) => {
    const p = provider(repo);
    assert.deepEqual(await p.list(), []);
    await rejectsWith(p.get("missing"), "vault_secret_not_found", "Secret 'missing' not found in vault 'dev'");
    for (const bad of ["../x", "a/b", "a\\b", "a\u0000b", "..", ""]) {
      assert.ok(secretKeyProblem(bad));
      await rejectsWith(p.put(bad, "v"), "vault_invalid_key");
      await rejectsWith(p.get(bad), "vault_invalid_key");
    }
    await p.put("b", "2");
    await p.put("a", "1");
    await p.put("a", "1b");
    assert.deepEqual(await p.list(), ["a", "b"]);
    assert.equal(await p.get("a"), "1b");
    await p.delete("a");
    assert.deepEqual(await p.list(), ["b"]);
    await rejectsWith(p.delete("a"), "vault_secret_not_found");
    // Nothing escaped the vault directory.
    assert.deepEqual((await readdir(join(repo, ".swamp", "secrets", "local_encryption"))).sort(), ["dev"]);
  });
});

test("concurrent first writes share one generated key", async () => {
  await withDir(async (repo) => {
    const writers = Array.from({ length: 6 }, (_, i) => provider(repo).put(`k${i}`, `v${i}`));
    await Promise.all(writers);
    const reader = provider(repo);
    for (let i = 0; i < 6; i++) assert.equal(await reader.get(`k${i}`), `v${i}`);
  });
});

function openSshKey(cipher: string): string {
  const magic = Buffer.from("openssh-key-v1\0", "latin1");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(cipher.length);
  const body = Buffer.concat([magic, len, Buffer.from(cipher, "latin1"), Buffer.from("rest-of-the-key-material-0123456789")]);
  const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

test("SSH keys: the PEM body is the material; loose permissions and passphrases are refused", async () => {
  await withDir(async (repo) => {
    const keyPath = join(repo, "id_test");
    await writeFile(keyPath, openSshKey("none"), { mode: 0o600 });
    await chmod(keyPath, 0o600);
    const p = provider(repo, "ssh", { ssh_key_path: keyPath });
    await p.put("k", "via-ssh");
    assert.equal(await p.get("k"), "via-ssh");
    const pem = await readFile(keyPath, "utf8");
    const body = Buffer.from(pem.split("\n").filter((l) => l && !l.startsWith("-----")).join(""), "base64");
    assert.equal(await webDecrypt(new Uint8Array(body), await readFile(join(vaultDirectory(repo, "ssh"), "k.enc"), "utf8")), "via-ssh");
    assert.ok(!(await readdir(vaultDirectory(repo, "ssh"))).includes(".key"));

    await chmod(keyPath, 0o644);
    await rejectsWith(provider(repo, "ssh", { ssh_key_path: keyPath }).get("k"), "vault_key_invalid", /accessible by group or others/);

    const encrypted = join(repo, "id_enc");
    await writeFile(encrypted, openSshKey("aes256-ctr"), { mode: 0o600 });
    await rejectsWith(provider(repo, "ssh2", { ssh_key_path: encrypted }).put("k", "v"), "vault_key_invalid", /passphrase/);

    const legacy = join(repo, "id_rsa_legacy");
    await writeFile(legacy, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n", { mode: 0o600 });
    await rejectsWith(provider(repo, "ssh3", { ssh_key_path: legacy }).put("k", "v"), "vault_key_invalid", /passphrase/);

    await rejectsWith(provider(repo, "ssh4", { ssh_key_path: join(repo, "nope") }).put("k", "v"), "vault_key_missing", /does not exist/);
  });
});

test("the config schema accepts the documented keys only as their types", () => {
  const schema = vault.configSchema as { safeParse(v: unknown): { success: boolean } };
  assert.ok(schema.safeParse({ auto_generate: true }).success);
  assert.ok(schema.safeParse({ ssh_key_path: "~/.ssh/id_rsa", base_dir: "/x", key_file: "k" }).success);
  assert.ok(!schema.safeParse({ auto_generate: "yes" }).success);
});

test("annotations and refresh hooks: encrypted JSON beside the secret, labels from tags, removed with it", async () => {
  await withDir(async (repo) => {
    const p = provider(repo);
    await p.put("api", "v", { tags: { env: "prod" } });
    const dir = vaultDirectory(repo, "dev");
    const material = new TextEncoder().encode(await readFile(join(dir, ".key"), "utf8"));
    const annotationFile = join(dir, ".annotations", "api.enc");
    assert.deepEqual((({ updatedAt: _u, ...rest }) => rest)(JSON.parse(await webDecrypt(material, await readFile(annotationFile, "utf8")))), { labels: { env: "prod" } });
    assert.equal((await stat(join(dir, ".annotations"))).mode & 0o777, 0o700);
    assert.equal((await stat(annotationFile)).mode & 0o777, 0o600);
    await p.put("api", "v2", { tags: { team: "core" } });
    assert.deepEqual((await p.getAnnotation("api"))?.labels, { env: "prod", team: "core" }, "tags merge");
    await p.putAnnotation("api", { url: "https://example.test", notes: "n", updatedAt: "2026-01-01T00:00:00.000Z" });
    assert.deepEqual(await p.getAnnotation("api"), { url: "https://example.test", notes: "n", updatedAt: "2026-01-01T00:00:00.000Z" });
    assert.deepEqual(await p.listAnnotations(), ["api"]);
    assert.equal(await p.getAnnotation("other"), null);

    const hook = { command: "printf x", ttlMs: 60_000, ttl: "1m", lastRefreshedAt: null };
    await p.putRefreshHook("api", hook);
    assert.deepEqual(await p.getRefreshHook("api"), hook);
    const hookText = await readFile(join(dir, ".refresh", "api.enc"), "utf8");
    assert.ok(!hookText.includes("printf"), "the command is encrypted too");
    assert.deepEqual(JSON.parse(await webDecrypt(material, hookText)), hook);
    assert.deepEqual(await p.list(), ["api"], "metadata is not listed as secrets");

    // Damaged metadata is a clear error; deleting the secret removes its metadata.
    await writeFile(join(dir, ".refresh", "api.enc"), await webEncrypt(material, '{"command":""}'));
    await rejectsWith(p.getRefreshHook("api"), "vault_decrypt_failed", "The refresh hook of secret 'api' in vault 'dev' is damaged");
    await p.delete("api");
    assert.deepEqual([await p.getAnnotation("api"), await p.getRefreshHook("api")], [null, null]);
    assert.deepEqual(await readdir(join(dir, ".annotations")), []);
    await rejectsWith(p.getAnnotation("../x"), "vault_invalid_key");
  });
});
