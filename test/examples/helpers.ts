/**
 * Shared by the example tests: where the example sources are, and installing one into a
 * repository the way a user would (copying the file under `extensions/<kind>s/`).
 */
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { swamp, type RunOptions, type RunResult } from "../helpers/cli.js";

/** The examples/ folder of the source tree (tests run from dist/test/examples). */
export const EXAMPLES = fileURLToPath(new URL("../../../examples/", import.meta.url));

/** Absolute path of an example source, e.g. `models/file-digest.ts`. */
export function example(rel: string): string {
  return join(EXAMPLES, rel);
}

/** Copies an example into the repository at `dest` (relative to the repo). */
export async function install(repo: string, rel: string, dest: string): Promise<void> {
  const target = join(repo, dest);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(example(rel), target);
}

/** `swamp <args> --repo-dir <repo>`. */
export function inRepo(repo: string): (args: string[], options?: RunOptions) => Promise<RunResult> {
  return (args, options = {}) => swamp([...args, "--repo-dir", repo], options);
}
