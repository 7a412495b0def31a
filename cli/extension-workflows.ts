/**
 * Where the workflow lookup finds extension workflows: the workflow directories of the source
 * mounts (in listed order), then of the pulled extensions. The kernel gets them from here; it
 * never reads the extension layout itself.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { ExtensionWorkflowDir } from "../kernel/workflows/types.js";
import { SOURCES_FILE } from "../plugins/discover.js";

export async function extensionWorkflowDirs(repoDir: string, marker: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): Promise<ExtensionWorkflowDir[]> {
  // Most repos have neither: two stats decide that without loading the registry code.
  const exists = (path: string) => stat(path).then(() => true, () => false);
  if (!(await exists(join(repoDir, SOURCES_FILE))) && !(await exists(join(repoDir, ".swamp", "pulled-extensions")))) return [];
  const { resolveSourceDirs } = await import("../plugins/registry/sources.js");
  // Unusable sources are reported where extensions load; here they just add nothing.
  return (await resolveSourceDirs(repoDir, marker, env)).workflows;
}
