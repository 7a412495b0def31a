/**
 * `swamp repo init`: the source-of-truth folders, the runtime tree, the managed `.gitignore`
 * section, and the `.swamp.yaml` marker (written last, so a half-done init is not a repo).
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { atomicWriteFile } from "./atomic-write.js";
import { markerPath, parseMarker, writeMarker, type Marker } from "./marker.js";
import { SWAMP_DIR } from "./paths.js";

export const SOURCE_DIRS = ["models", "workflows", "vaults", "grants"] as const;
export const RUNTIME_DIRS = [
  "data",
  "outputs",
  "workflow-runs",
  "workflows-evaluated",
  "definitions-evaluated",
  "secrets",
  "audit",
  "vault-bundles",
] as const;

const BEGIN = "# BEGIN swamp managed section - DO NOT EDIT";
const END = "# END swamp managed section";
export const GITIGNORE_SECTION = [
  BEGIN,
  "",
  "# Runtime data (not needed in version control)",
  ".swamp/",
  "",
  "# Local extension sources (developer-specific, not shared)",
  ".swamp-sources.yaml",
  "",
  END,
].join("\n");

export type GitignoreAction = "created" | "updated" | "unchanged";

/** Creates, replaces or appends the managed section, leaving everything else untouched. */
export function mergeGitignore(existing: string | null): { text: string; action: GitignoreAction } {
  if (existing === null) return { text: `${GITIGNORE_SECTION}\n`, action: "created" };
  const begins = existing.split(BEGIN).length - 1;
  if (begins > 1) {
    throw new SwampError(
      ErrorCode.configInvalid,
      ".gitignore: found multiple swamp managed sections; remove the duplicates and run again",
    );
  }
  const start = existing.indexOf(BEGIN);
  const end = existing.indexOf(END, start);
  if (start !== -1 && end !== -1) {
    const text = existing.slice(0, start) + GITIGNORE_SECTION + existing.slice(end + END.length);
    return { text, action: text === existing ? "unchanged" : "updated" };
  }
  const separator = existing === "" ? "" : existing.endsWith("\n") ? "\n" : "\n\n";
  return { text: `${existing}${separator}${GITIGNORE_SECTION}\n`, action: "updated" };
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export interface InitResult {
  path: string;
  version: string;
  initializedAt: string;
  repoId: string;
  skillsCopied: string[];
  instructionsFileCreated: boolean;
  settingsCreated: boolean;
  gitignoreAction: GitignoreAction;
  tools: string[];
  removedTools: string[];
  tool: string | null;
  reinitialized: boolean;
}

export async function initRepo(target: string, options: { force: boolean; version: string }): Promise<InitResult> {
  const repoDir = resolve(target);
  const file = markerPath(repoDir);
  const existingText = await readOptional(file);
  let previous: Marker | null = null;
  if (existingText !== null) {
    if (!options.force) {
      throw new SwampError(
        ErrorCode.alreadyInitialized,
        `Repository already initialized at ${repoDir}. To reinitialize, run: swamp repo init --force`,
        { details: { path: repoDir } },
      );
    }
    // --force keeps the repo's identity and configuration; it only rebuilds the layout.
    previous = await parseMarker(existingText, file);
  }
  for (const dir of SOURCE_DIRS) await mkdir(join(repoDir, dir), { recursive: true });
  for (const dir of RUNTIME_DIRS) await mkdir(join(repoDir, SWAMP_DIR, dir), { recursive: true });

  const gitignorePath = join(repoDir, ".gitignore");
  const merged = mergeGitignore(await readOptional(gitignorePath));
  if (merged.action !== "unchanged") await atomicWriteFile(gitignorePath, merged.text);

  const initializedAt = new Date().toISOString();
  const marker: Marker = {
    ...(previous ?? {}),
    swampVersion: options.version,
    initializedAt,
    repoId: previous?.repoId ?? randomUUID(),
    tools: previous?.tools ?? [],
    gitignoreManaged: true,
  };
  await writeMarker(repoDir, marker);
  return {
    path: repoDir,
    version: options.version,
    initializedAt,
    repoId: marker.repoId as string,
    skillsCopied: [],
    instructionsFileCreated: false,
    settingsCreated: false,
    gitignoreAction: merged.action,
    tools: marker.tools ?? [],
    removedTools: [],
    tool: (marker.tools ?? []).length === 0 ? "none" : (marker.tools ?? []).length === 1 ? (marker.tools?.[0] ?? null) : null,
    reinitialized: previous !== null,
  };
}
