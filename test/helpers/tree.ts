import { createHash } from "node:crypto";
import { readdir, readFile, lstat } from "node:fs/promises";
import { join, relative } from "node:path";

/** Derived caches and lock bookkeeping a command may create or refresh; they never hold user state. */
const DERIVED = new Set([".marker-cache.json", "definitions-index.json", ".index-cache", ".index.jsonl", ".models.jsonl", ".locks"]);

/** Every file under `root` with a hash of its content: compare two snapshots to prove nothing changed. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (DERIVED.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        out[`${relative(root, p)}/`] = "dir";
        await walk(p);
      } else {
        const st = await lstat(p);
        out[relative(root, p)] = st.isFile() ? createHash("sha256").update(await readFile(p)).digest("hex") : "other";
      }
    }
  }
  await walk(root);
  return out;
}
