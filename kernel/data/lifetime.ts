/**
 * Lifetimes (how long a data item lives) and garbage-collection policies (how many versions of
 * it are kept), with the expiry rules `data gc` applies.
 */
import { invalid } from "./errors.js";

export type Lifetime = string;
export type GarbageCollectionPolicy = number | string;

const DURATION = /^(\d+)(mo|y|h|m|d|w)$/;
const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  mo: 2_592_000_000,
  y: 31_536_000_000,
};
const NAMED_LIFETIMES = new Set(["ephemeral", "infinite", "job", "workflow"]);

/** Milliseconds of a `{n}{mo|y|h|m|d|w}` duration, or null when `text` is not one. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Like parseDuration but throws the reference's message (used by `--since`). */
export function parseSinceDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw invalid(`Invalid duration format: "${text}". Expected format like 1h, 1d, 7d, 1w, 1mo`);
  return ms;
}

/** Zero durations (`0h`, `00w`) mean `workflow`; everything else is returned unchanged. */
export function normalizeLifetime(lifetime: string): string {
  const ms = parseDuration(lifetime);
  return ms === 0 ? "workflow" : lifetime;
}

export function lifetimeProblem(lifetime: unknown): string | null {
  if (typeof lifetime !== "string") return "Lifetime must be a string";
  if (NAMED_LIFETIMES.has(lifetime) || isDuration(lifetime)) return null;
  return `Invalid lifetime ${JSON.stringify(lifetime)}: use ephemeral, infinite, job, workflow or a duration like 1h, 7d, 2w, 1mo, 1y`;
}

/** Validates and normalizes a lifetime; throws `validation_failed`. */
export function validateLifetime(lifetime: unknown): string {
  const problem = lifetimeProblem(lifetime);
  if (problem !== null) throw invalid(problem, { lifetime });
  return normalizeLifetime(lifetime as string);
}

export function gcPolicyProblem(policy: unknown): string | null {
  if (typeof policy === "number") {
    return Number.isSafeInteger(policy) && policy > 0 ? null : `Invalid garbageCollection ${policy}: must be a positive integer`;
  }
  if (typeof policy === "string") {
    const ms = parseDuration(policy);
    if (ms === null) return `Invalid garbageCollection ${JSON.stringify(policy)}: use a positive integer or a duration like 7d`;
    if (ms <= 0) return `Invalid garbageCollection ${JSON.stringify(policy)}: the duration must be greater than zero`;
    return null;
  }
  return "garbageCollection must be a positive integer or a duration string";
}

export function validateGcPolicy(policy: unknown): GarbageCollectionPolicy {
  const problem = gcPolicyProblem(policy);
  if (problem !== null) throw invalid(problem, { garbageCollection: policy });
  return policy as GarbageCollectionPolicy;
}

export type ExpiryReason = "duration-expired" | "workflow-deleted" | "job-deleted";

/** Returns whether the workflow run still exists; a throw or rejection counts as "exists". */
export type WorkflowRunExists = (workflowId: string, workflowRunId: string) => boolean | Promise<boolean>;

export interface ExpiryInput {
  lifetime: string;
  createdAt: string;
  lifecycle?: "active" | "deleted" | undefined;
  ownerDefinition: { workflowId?: string | undefined; workflowRunId?: string | undefined };
}

export interface ExpiryOptions {
  now: Date | number;
  workflowRunExists?: WorkflowRunExists;
  /** Called when job/workflow data lacks the ids needed to decide (it then never expires). */
  onWarning?(message: string): void;
}

/**
 * Why the item whose latest version is `latest` has expired, or null when it has not:
 * infinite and ephemeral never expire; tombstones never expire; durations count from the
 * latest version's createdAt; job/workflow expire when their workflow run is gone.
 */
export async function expiryReason(latest: ExpiryInput, options: ExpiryOptions): Promise<ExpiryReason | null> {
  if (latest.lifecycle === "deleted") return null;
  const lifetime = normalizeLifetime(latest.lifetime);
  if (lifetime === "infinite" || lifetime === "ephemeral") return null;
  if (lifetime === "job" || lifetime === "workflow") {
    const { workflowId, workflowRunId } = latest.ownerDefinition;
    if (!workflowId || !workflowRunId) {
      options.onWarning?.(`Data with lifetime "${lifetime}" has no workflowId/workflowRunId in its owner; it never expires`);
      return null;
    }
    if (!options.workflowRunExists) return null;
    let exists: boolean;
    try {
      exists = await options.workflowRunExists(workflowId, workflowRunId);
    } catch {
      return null;
    }
    if (exists) return null;
    return lifetime === "job" ? "job-deleted" : "workflow-deleted";
  }
  const ms = parseDuration(lifetime);
  if (ms === null) return null;
  const created = Date.parse(latest.createdAt);
  if (Number.isNaN(created)) return null;
  const now = typeof options.now === "number" ? options.now : options.now.getTime();
  return now > created + ms ? "duration-expired" : null;
}
