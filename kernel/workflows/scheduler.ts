/**
 * The workflow scheduler: an event-driven DAG over jobs (job `dependsOn`) and, inside each job,
 * steps (step `dependsOn`). A unit starts as soon as its own dependencies are settled — never a
 * whole level later — and, among the units ready at one moment, by weight then name.
 *
 * `Schedule` is the pure state machine: `next()` says what may happen now (starts, skips, job
 * completions), the caller reports what happened (`expanded`, `finishStep`). `runSchedule`
 * drives it with async hooks (forEach expansion, running a step).
 *
 * Rules (workflows.md §1.8, §2.2–§2.5, fixing the reference's defects listed in §5 rows 13–14):
 * - every unit, forEach expansion or not, runs only when the conditions of all its dependencies
 *   hold; otherwise it is `skipped` (reason `dependency`), which cascades to its dependents;
 * - a reference to a forEach template sees the aggregate of its expansions (any failed →
 *   failed, all skipped → skipped, otherwise succeeded; an empty expansion counts as succeeded);
 * - a failed step without `allowFailure` fails its job, but steps whose conditions still hold
 *   (a `condition: failed` clean-up, an unrelated branch) still run: nothing is left `pending`;
 * - caps: workflow `concurrency` (running jobs), job `concurrency` (its running steps), step
 *   `concurrency` (running expansions of that forEach), and a host ceiling on running steps.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import type { Condition, RunStatus, UnitStatus } from "./types.js";

export type Settled = "succeeded" | "failed" | "skipped";

/** The parts of a step the scheduler reads (a workflow `Step` fits). */
export interface PlanStep {
  name: string;
  weight?: number;
  dependsOn?: ReadonlyArray<{ step: string; condition: Condition }>;
  allowFailure?: boolean;
  concurrency?: number;
  /** Present on a forEach template: its expansions are given to `expanded()` at job start. */
  forEach?: unknown;
}

export interface PlanJob {
  name: string;
  weight?: number;
  dependsOn?: ReadonlyArray<{ job: string; condition: Condition }>;
  concurrency?: number;
  steps: readonly PlanStep[];
}

export interface Plan {
  jobs: readonly PlanJob[];
  /** Running jobs at most (0 or absent: unbounded). */
  concurrency?: number;
}

export interface ScheduleLimits {
  /** Host ceiling on running steps across the run (`SWAMP_MAX_CONCURRENT_STEPS`). */
  maxConcurrentSteps?: number;
}

/** One expansion of a forEach template: its step name and the item's index (array) or key (object). */
export interface Expansion {
  name: string;
  index: number | string;
}

/** Per template: its expansions, or the error that stopped the expansion. */
export type Expansions = Record<string, readonly Expansion[] | { error: string }>;

export interface StepState {
  readonly job: string;
  readonly name: string;
  readonly spec: PlanStep;
  /** The forEach template this step was expanded from. */
  readonly template?: string;
  readonly index?: number | string;
  status: UnitStatus;
  allowedFailure?: boolean;
  skipReason?: "dependency" | "guarded";
  error?: string;
}

export interface JobState {
  readonly name: string;
  readonly spec: PlanJob;
  status: UnitStatus;
  /** True once `expanded()` was called: only then do its steps exist. */
  expanded: boolean;
  steps: StepState[];
  error?: string;
}

export type Transition =
  | { type: "job_started"; job: string }
  | { type: "job_skipped"; job: string }
  | { type: "job_expanded"; job: string; steps: readonly StepState[] }
  | { type: "job_completed"; job: string; status: "succeeded" | "failed" }
  | { type: "step_started"; job: string; step: StepState }
  | { type: "step_skipped"; job: string; step: StepState }
  | { type: "step_completed"; job: string; step: StepState };

/** Whether `condition` holds for a dependency whose settled status is `status` (undefined: no such unit). */
export function conditionHolds(condition: Condition, status: Settled | undefined): boolean {
  switch (condition.type) {
    case "always":
      return true;
    case "succeeded":
      return status === "succeeded";
    case "failed":
      return status === "failed";
    case "completed":
      return status === "succeeded" || status === "failed";
    case "skipped":
      return status === "skipped";
    case "and":
      return condition.conditions.every((c) => conditionHolds(c, status));
    case "or":
      return condition.conditions.some((c) => conditionHolds(c, status));
    case "not":
      return !conditionHolds(condition.condition, status);
  }
}

/** The status a reference to a forEach template sees. */
export function aggregateStatus(statuses: readonly Settled[]): Settled {
  if (statuses.some((s) => s === "failed")) return "failed";
  if (statuses.length > 0 && statuses.every((s) => s === "skipped")) return "skipped";
  return "succeeded";
}

const SETTLED: ReadonlySet<UnitStatus> = new Set(["succeeded", "failed", "skipped"]);
const isSettled = (s: UnitStatus): s is Settled => SETTLED.has(s);

function failure(message: string, details?: Record<string, unknown>): SwampError {
  return new SwampError(ErrorCode.workflowExecutionFailed, message, details ? { details } : {});
}

function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
}

/** `a -> b -> a` for the first cycle among `nodes` (edges to unknown nodes ignored), or null. */
export function findCycle(nodes: ReadonlyArray<{ name: string; deps: readonly string[] }>): string[] | null {
  const edges = new Map(nodes.map((n) => [n.name, n.deps]));
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === "done") return null;
    if (s === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const dep of edges.get(name) ?? []) {
      if (!edges.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const n of nodes) {
    const cycle = visit(n.name);
    if (cycle) return cycle;
  }
  return null;
}

const byWeightThenName = <T extends { name: string; weight?: number }>(a: T, b: T): number =>
  (a.weight ?? 0) - (b.weight ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Ready order of steps: weight, then the step (or its template) name, then item order. */
function stepOrder(a: StepState, b: StepState): number {
  const base = byWeightThenName({ name: a.template ?? a.name, weight: a.spec.weight }, { name: b.template ?? b.name, weight: b.spec.weight });
  if (base !== 0) return base;
  return order(a.index) - order(b.index) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
const order = (i: number | string | undefined): number => (typeof i === "number" ? i : 0);

const cap = (n: number | undefined): number => (n !== undefined && n > 0 ? n : Infinity);

export class Schedule {
  readonly jobs: JobState[];
  private readonly jobCap: number;
  private readonly stepCap: number;
  private cancelled = false;

  /** Checks names and cycles up front (a bad plan throws before anything runs). */
  constructor(plan: Plan, limits: ScheduleLimits = {}) {
    const jobNames = plan.jobs.map((j) => j.name);
    const dupJobs = duplicates(jobNames);
    if (dupJobs.length) throw failure(`Duplicate node names: ${dupJobs.join(", ")}`, { duplicates: dupJobs });
    const jobCycle = findCycle(plan.jobs.map((j) => ({ name: j.name, deps: (j.dependsOn ?? []).map((d) => d.job) })));
    if (jobCycle) throw failure(`Cyclic dependency detected: ${jobCycle.join(" -> ")}`, { cycle: jobCycle });
    for (const job of plan.jobs) {
      const dupSteps = duplicates(job.steps.map((s) => s.name));
      if (dupSteps.length) throw failure(`Duplicate node names in job '${job.name}': ${dupSteps.join(", ")}`, { job: job.name, duplicates: dupSteps });
      const stepCycle = findCycle(job.steps.map((s) => ({ name: s.name, deps: (s.dependsOn ?? []).map((d) => d.step) })));
      if (stepCycle) throw failure(`Cyclic dependency detected in job '${job.name}': ${stepCycle.join(" -> ")}`, { job: job.name, cycle: stepCycle });
    }
    this.jobs = [...plan.jobs].sort(byWeightThenName).map((spec) => ({ name: spec.name, spec, status: "pending", expanded: false, steps: [] }));
    this.jobCap = cap(plan.concurrency);
    this.stepCap = cap(limits.maxConcurrentSteps);
  }

  job(name: string): JobState {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`unknown job ${name}`);
    return job;
  }

  step(job: string, name: string): StepState {
    const step = this.job(job).steps.find((s) => s.name === name);
    if (!step) throw new Error(`unknown step ${job}.${name}`);
    return step;
  }

  /** Gives a started job its steps: regular ones as they are, forEach templates as their expansions. */
  expanded(jobName: string, expansions: Expansions = {}): Transition {
    const job = this.job(jobName);
    if (job.status !== "running" || job.expanded) throw new Error(`job ${jobName} is not waiting for its expansion`);
    const steps: StepState[] = [];
    for (const spec of job.spec.steps) {
      if (!spec.forEach) {
        steps.push({ job: jobName, name: spec.name, spec, status: "pending" });
        continue;
      }
      const result = expansions[spec.name];
      if (result === undefined) throw new Error(`no expansion given for forEach step ${jobName}.${spec.name}`);
      if ("error" in result) {
        // The template stands for itself, failed: dependents see `failed`.
        steps.push({ job: jobName, name: spec.name, spec, status: "failed", error: result.error, ...(spec.allowFailure ? { allowedFailure: true } : {}) });
        continue;
      }
      for (const e of result) steps.push({ job: jobName, name: e.name, spec, template: spec.name, index: e.index, status: "pending" });
    }
    const dup = duplicates(steps.map((s) => s.name));
    if (dup.length) throw failure(`Duplicate node names in job '${jobName}': ${dup.join(", ")}`, { job: jobName, duplicates: dup });
    job.steps = steps.sort(stepOrder);
    job.expanded = true;
    return { type: "job_expanded", job: jobName, steps: job.steps };
  }

  /** A running step ended (`skipped` for a guard that held). */
  finishStep(jobName: string, stepName: string, outcome: Settled, extra: { error?: string; skipReason?: "guarded" } = {}): Transition {
    const step = this.step(jobName, stepName);
    if (step.status !== "running") throw new Error(`step ${jobName}.${stepName} is not running`);
    step.status = outcome;
    if (outcome === "failed" && step.spec.allowFailure) step.allowedFailure = true;
    if (extra.error !== undefined) step.error = extra.error;
    if (outcome === "skipped") step.skipReason = extra.skipReason ?? "dependency";
    return { type: "step_completed", job: jobName, step };
  }

  /** Starts nothing more; what runs finishes. */
  cancel(): void {
    this.cancelled = true;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** Every job settled. */
  get done(): boolean {
    return this.jobs.every((j) => isSettled(j.status));
  }

  /** Something is running or waiting for its expansion. */
  get busy(): boolean {
    return this.jobs.some((j) => j.status === "running" && (!j.expanded || j.steps.some((s) => s.status === "running")));
  }

  /** The run's status once every job settled: succeeded iff no job failed. */
  runStatus(): RunStatus {
    if (this.cancelled) return "cancelled";
    if (!this.done) return "running";
    return this.jobs.some((j) => j.status === "failed") ? "failed" : "succeeded";
  }

  /** The first failed step that was not allowed to fail, in job then step order. */
  firstFailure(): { job: string; step: StepState } | undefined {
    for (const job of this.jobs) {
      const step = job.steps.find((s) => s.status === "failed" && !s.allowedFailure);
      if (step) return { job: job.name, step };
    }
    return undefined;
  }

  /**
   * Everything that can happen now, in order: skips (cascading), job completions, and starts
   * within the caps. Started units are marked `running`; a started job waits for `expanded()`.
   */
  next(): Transition[] {
    const out: Transition[] = [];
    if (this.cancelled) return out;
    for (let changed = true; changed; ) {
      changed = false;
      for (const job of this.jobs) {
        if (job.status === "pending") {
          const verdict = this.jobVerdict(job);
          if (verdict === "skip") {
            job.status = "skipped";
            out.push({ type: "job_skipped", job: job.name });
            changed = true;
          } else if (verdict === "ready" && this.runningJobs() < this.jobCap) {
            job.status = "running";
            out.push({ type: "job_started", job: job.name });
            changed = true;
          }
        }
        if (job.status !== "running" || !job.expanded) continue;
        for (const step of job.steps) {
          if (step.status !== "pending") continue;
          const verdict = this.stepVerdict(job, step);
          if (verdict === "skip") {
            step.status = "skipped";
            step.skipReason = "dependency";
            out.push({ type: "step_skipped", job: job.name, step });
            changed = true;
          } else if (verdict === "ready" && this.hasStepSlot(job, step)) {
            step.status = "running";
            out.push({ type: "step_started", job: job.name, step });
            changed = true;
          }
        }
        if (job.steps.every((s) => isSettled(s.status))) {
          job.status = job.steps.some((s) => s.status === "failed" && !s.allowedFailure) ? "failed" : "succeeded";
          out.push({ type: "job_completed", job: job.name, status: job.status });
          changed = true;
        }
      }
    }
    return out;
  }

  private runningJobs(): number {
    return this.jobs.filter((j) => j.status === "running").length;
  }

  private hasStepSlot(job: JobState, step: StepState): boolean {
    const running = (s: StepState) => s.status === "running";
    if (this.jobs.reduce((n, j) => n + j.steps.filter(running).length, 0) >= this.stepCap) return false;
    if (job.steps.filter(running).length >= cap(job.spec.concurrency)) return false;
    if (step.template !== undefined && job.steps.filter((s) => running(s) && s.template === step.template).length >= cap(step.spec.concurrency)) return false;
    return true;
  }

  private jobVerdict(job: JobState): "wait" | "skip" | "ready" {
    const deps = job.spec.dependsOn ?? [];
    const statuses: Array<Settled | undefined> = [];
    for (const dep of deps) {
      const target = this.jobs.find((j) => j.name === dep.job);
      if (target && !isSettled(target.status)) return "wait";
      statuses.push(target ? (target.status as Settled) : undefined);
    }
    return deps.every((d, i) => conditionHolds(d.condition, statuses[i])) ? "ready" : "skip";
  }

  private stepVerdict(job: JobState, step: StepState): "wait" | "skip" | "ready" {
    const deps = step.spec.dependsOn ?? [];
    const statuses: Array<Settled | undefined> = [];
    for (const dep of deps) {
      const status = this.referenced(job, dep.step);
      if (status === "wait") return "wait";
      statuses.push(status);
    }
    return deps.every((d, i) => conditionHolds(d.condition, statuses[i])) ? "ready" : "skip";
  }

  /** A step reference's settled status; a forEach template's is the aggregate of its expansions. */
  private referenced(job: JobState, name: string): Settled | undefined | "wait" {
    const expansions = job.steps.filter((s) => s.template === name);
    const isTemplate = job.spec.steps.some((s) => s.name === name && s.forEach);
    const targets = isTemplate && expansions.length > 0 ? expansions : job.steps.filter((s) => s.name === name);
    if (isTemplate && targets.length === 0) return "succeeded"; // an empty forEach: nothing to wait for
    if (targets.length === 0) return undefined;
    if (targets.some((s) => !isSettled(s.status))) return "wait";
    return aggregateStatus(targets.map((s) => s.status as Settled));
  }
}

export interface ScheduleHooks {
  /** Evaluates the job's forEach templates (at job start). A thrown error fails the job. */
  expandJob(job: string): Promise<Expansions>;
  /** Runs one step; resolves with its outcome (a thrown error is a failure). */
  runStep(step: StepState): Promise<{ status: Settled; error?: string; skipReason?: "guarded" }>;
  /** Every state change, in order (the caller keeps its record in step). */
  onTransition(t: Transition): void | Promise<void>;
  /** Once aborted nothing more starts; running steps are awaited (the caller aborts them). */
  signal?: AbortSignal;
}

/** Drives a schedule to the end (or, after an abort, until what was running has settled). */
export async function runSchedule(schedule: Schedule, hooks: ScheduleHooks): Promise<void> {
  const inflight = new Set<Promise<void>>();
  // `signalled` catches a settle that happens while transitions are being applied.
  let signalled = false;
  let wake: () => void = () => {};
  const settle = () => {
    signalled = true;
    wake();
  };
  const onAbort = () => {
    schedule.cancel();
    settle();
  };
  if (hooks.signal?.aborted) schedule.cancel();
  hooks.signal?.addEventListener("abort", onAbort, { once: true });
  // Transitions are applied one at a time, in the order they happened.
  let applying: Promise<void> = Promise.resolve();
  const apply = (t: Transition): Promise<void> => (applying = applying.then(() => hooks.onTransition(t)));
  let hookError: unknown = null;
  const track = (work: Promise<void>) => {
    const p = work
      .catch((err: unknown) => {
        hookError ??= err;
      })
      .finally(() => {
        inflight.delete(p);
        settle();
      });
    inflight.add(p);
  };

  try {
    for (;;) {
      if (hookError) throw hookError;
      signalled = false;
      for (const t of schedule.next()) {
        await apply(t);
        if (t.type === "job_started") {
          track(
            (async () => {
              let expansions: Expansions | undefined;
              let error: string | undefined;
              try {
                expansions = await hooks.expandJob(t.job);
              } catch (err) {
                error = err instanceof Error ? err.message : String(err);
              }
              const job = schedule.job(t.job);
              if (error !== undefined) {
                // Nothing of the job can run: its templates fail with the error, the rest follow their conditions.
                const failed: Expansions = {};
                for (const s of job.spec.steps) if (s.forEach) failed[s.name] = { error };
                job.error = error;
                await apply(schedule.expanded(t.job, failed));
              } else {
                await apply(schedule.expanded(t.job, expansions));
              }
            })(),
          );
        } else if (t.type === "step_started") {
          const step = t.step;
          track(
            (async () => {
              let result: { status: Settled; error?: string; skipReason?: "guarded" };
              try {
                result = await hooks.runStep(step);
              } catch (err) {
                result = { status: "failed", error: err instanceof Error ? err.message : String(err) };
              }
              await apply(
                schedule.finishStep(step.job, step.name, result.status, {
                  ...(result.error !== undefined ? { error: result.error } : {}),
                  ...(result.skipReason ? { skipReason: result.skipReason } : {}),
                }),
              );
            })(),
          );
        }
      }
      if (schedule.done || inflight.size === 0) break;
      if (!signalled) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      wake = () => {};
    }
    await applying;
    if (hookError) throw hookError;
    if (!schedule.done && !schedule.isCancelled) {
      const stuck = schedule.jobs.filter((j) => j.status !== "succeeded" && j.status !== "failed" && j.status !== "skipped").map((j) => j.name);
      throw failure(`Workflow could not make progress (jobs still waiting: ${stuck.join(", ")})`);
    }
  } finally {
    hooks.signal?.removeEventListener("abort", onAbort);
  }
}
