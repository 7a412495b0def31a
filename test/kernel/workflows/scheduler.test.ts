/**
 * The scheduler's state machine and driver: event-driven starts, ordering, caps, conditions on
 * every step (expanded or not), forEach aggregates, cascading skips, failure handling.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregateStatus, conditionHolds, runSchedule, Schedule, type Expansions, type Plan, type PlanStep, type Settled, type StepState, type Transition } from "../../../kernel/workflows/scheduler.js";
import type { Condition } from "../../../kernel/workflows/types.js";

const ok: Condition = { type: "succeeded" };
const dep = (step: string, condition: Condition = ok) => ({ step, condition });
const jdep = (job: string, condition: Condition = ok) => ({ job, condition });
const started = (ts: Transition[]) => ts.filter((t) => t.type === "step_started").map((t) => (t as { step: StepState }).step.name);

/** A one-job plan, expanded. */
function oneJob(steps: PlanStep[], options: { concurrency?: number; maxConcurrentSteps?: number; expansions?: Expansions } = {}) {
  const s = new Schedule({ jobs: [{ name: "j", steps, ...(options.concurrency ? { concurrency: options.concurrency } : {}) }] }, options);
  assert.deepEqual(s.next(), [{ type: "job_started", job: "j" }]);
  s.expanded("j", options.expansions ?? {});
  return s;
}

test("conditions and aggregates", () => {
  assert.equal(conditionHolds({ type: "completed" }, "failed"), true);
  assert.equal(conditionHolds({ type: "completed" }, "skipped"), false);
  assert.equal(conditionHolds({ type: "not", condition: { type: "succeeded" } }, undefined), true);
  assert.equal(conditionHolds({ type: "succeeded" }, undefined), false);
  assert.equal(conditionHolds({ type: "and", conditions: [{ type: "completed" }, { type: "not", condition: { type: "failed" } }] }, "succeeded"), true);
  assert.equal(conditionHolds({ type: "or", conditions: [{ type: "skipped" }, { type: "failed" }] }, "succeeded"), false);
  assert.equal(conditionHolds({ type: "always" }, "skipped"), true);
  assert.equal(aggregateStatus(["succeeded", "succeeded"]), "succeeded");
  assert.equal(aggregateStatus(["succeeded", "failed", "skipped"]), "failed");
  assert.equal(aggregateStatus(["skipped", "skipped"]), "skipped");
  assert.equal(aggregateStatus(["skipped", "succeeded"]), "succeeded");
});

test("a step starts as soon as its own dependencies are done, not when its level is", () => {
  // a (slow) and b are roots; c depends on b only. c must start while a still runs.
  const s = oneJob([
    { name: "a" },
    { name: "b" },
    { name: "c", dependsOn: [dep("b")] },
  ]);
  assert.deepEqual(started(s.next()), ["a", "b"]);
  s.finishStep("j", "b", "succeeded");
  assert.deepEqual(started(s.next()), ["c"]);
  assert.equal(s.step("j", "a").status, "running");
  s.finishStep("j", "c", "succeeded");
  s.finishStep("j", "a", "succeeded");
  assert.deepEqual(s.next(), [{ type: "job_completed", job: "j", status: "succeeded" }]);
  assert.equal(s.runStatus(), "succeeded");
});

test("jobs start as soon as the jobs they depend on are done; ready units go by weight then name", () => {
  const plan: Plan = {
    jobs: [
      { name: "zeta", steps: [{ name: "s" }] },
      { name: "alpha", weight: 5, steps: [{ name: "s" }] },
      { name: "beta", steps: [{ name: "s" }] },
      { name: "after-beta", dependsOn: [jdep("beta")], steps: [{ name: "s" }] },
    ],
  };
  const s = new Schedule(plan);
  assert.deepEqual(
    s.next().map((t) => t.type === "job_started" && t.job),
    ["beta", "zeta", "alpha"],
  );
  s.expanded("beta");
  assert.deepEqual(started(s.next()), ["s"]);
  s.finishStep("beta", "s", "succeeded");
  const ts = s.next();
  assert.deepEqual(ts.map((t) => t.type), ["job_completed", "job_started"]);
  assert.equal((ts[1] as { job: string }).job, "after-beta", "after-beta starts although zeta and alpha have not finished");

  // Steps with weights: lower weight first, then name.
  const w = oneJob([{ name: "b" }, { name: "a", weight: 1 }, { name: "c" }], { concurrency: 1 });
  assert.deepEqual(started(w.next()), ["b"]);
  w.finishStep("j", "b", "succeeded");
  assert.deepEqual(started(w.next()), ["c"]);
  w.finishStep("j", "c", "succeeded");
  assert.deepEqual(started(w.next()), ["a"]);
});

test("caps: workflow (jobs), job (steps), step (its expansions), host ceiling (all steps)", () => {
  const jobs = new Schedule({ concurrency: 1, jobs: [{ name: "a", steps: [{ name: "s" }] }, { name: "b", steps: [{ name: "s" }] }] });
  assert.deepEqual(jobs.next().map((t) => t.type === "job_started" && t.job), ["a"]);
  jobs.expanded("a");
  jobs.next();
  jobs.finishStep("a", "s", "succeeded");
  assert.deepEqual(jobs.next().map((t) => (t.type === "job_started" || t.type === "job_completed") && t.job), ["a", "b"]);

  const job = oneJob([{ name: "a" }, { name: "b" }, { name: "c" }], { concurrency: 2 });
  assert.deepEqual(started(job.next()), ["a", "b"]);

  const tmpl = oneJob([{ name: "fan", forEach: {}, concurrency: 2 }, { name: "other" }], {
    expansions: { fan: [0, 1, 2, 3].map((i) => ({ name: `fan-${i}`, index: i })) },
  });
  assert.deepEqual(started(tmpl.next()), ["fan-0", "fan-1", "other"], "the step cap throttles only its own expansions");
  tmpl.finishStep("j", "fan-0", "succeeded");
  assert.deepEqual(started(tmpl.next()), ["fan-2"]);

  const host = new Schedule({ jobs: [{ name: "a", steps: [{ name: "x" }, { name: "y" }] }, { name: "b", steps: [{ name: "x" }] }] }, { maxConcurrentSteps: 2 });
  host.next();
  host.expanded("a");
  host.expanded("b");
  const first = host.next().filter((t) => t.type === "step_started");
  assert.equal(first.length, 2);
  host.finishStep("a", "x", "succeeded");
  assert.equal(host.next().filter((t) => t.type === "step_started").length, 1);
});

test("a failure skips what needs success, runs clean-ups, leaves nothing pending and fails the job", () => {
  const s = oneJob([
    { name: "build" },
    { name: "deploy", dependsOn: [dep("build")] },
    { name: "smoke", dependsOn: [dep("deploy")] },
    { name: "cleanup", dependsOn: [dep("build", { type: "failed" })] },
    { name: "report", dependsOn: [dep("build", { type: "completed" })] },
    { name: "unrelated" },
  ]);
  s.next();
  s.finishStep("j", "build", "failed", { error: "boom" });
  const ts = s.next();
  assert.deepEqual(
    ts.filter((t) => t.type === "step_skipped").map((t) => (t as { step: StepState }).step.name),
    ["deploy", "smoke"],
  );
  assert.deepEqual(started(ts), ["cleanup", "report"]);
  for (const n of ["cleanup", "report", "unrelated"]) s.finishStep("j", n, "succeeded");
  assert.deepEqual(s.next(), [{ type: "job_completed", job: "j", status: "failed" }]);
  assert.equal(s.step("j", "deploy").skipReason, "dependency");
  assert.ok(s.job("j").steps.every((x) => x.status !== "pending"));
  assert.equal(s.firstFailure()?.step.name, "build");
  assert.equal(s.runStatus(), "failed");
});

test("allowFailure records allowedFailure, does not fail the job, and counts as failed for conditions", () => {
  const s = oneJob([
    { name: "flaky", allowFailure: true },
    { name: "needs-ok", dependsOn: [dep("flaky")] },
    { name: "on-fail", dependsOn: [dep("flaky", { type: "failed" })] },
  ]);
  s.next();
  s.finishStep("j", "flaky", "failed", { error: "x" });
  assert.deepEqual(started(s.next()), ["on-fail"]);
  assert.equal(s.step("j", "flaky").allowedFailure, true);
  assert.equal(s.step("j", "needs-ok").status, "skipped");
  s.finishStep("j", "on-fail", "succeeded");
  assert.deepEqual(s.next(), [{ type: "job_completed", job: "j", status: "succeeded" }]);
  assert.equal(s.firstFailure(), undefined);
});

test("skips cascade across jobs; a run of only skipped jobs after success still succeeds", () => {
  const s = new Schedule({
    jobs: [
      { name: "a", steps: [{ name: "s" }] },
      { name: "b", dependsOn: [jdep("a", { type: "failed" })], steps: [{ name: "s" }] },
      { name: "c", dependsOn: [jdep("b")], steps: [{ name: "s" }] },
      { name: "d", dependsOn: [jdep("c", { type: "skipped" })], steps: [{ name: "s" }] },
    ],
  });
  s.next();
  s.expanded("a");
  s.next();
  s.finishStep("a", "s", "succeeded");
  const ts = s.next();
  assert.deepEqual(
    ts.map((t) => `${t.type}:${(t as { job: string }).job}`),
    ["job_completed:a", "job_skipped:b", "job_skipped:c", "job_started:d"],
  );
  s.expanded("d");
  s.next();
  s.finishStep("d", "s", "succeeded");
  s.next();
  assert.equal(s.runStatus(), "succeeded");
});

test("conditions hold for every expanded step; a template reference sees the aggregate", () => {
  const steps: PlanStep[] = [
    { name: "prep" },
    { name: "each", forEach: {}, dependsOn: [dep("prep", { type: "failed" })] },
    { name: "fan", forEach: {} },
    { name: "after-fan", dependsOn: [dep("fan")] },
    { name: "on-fan-failure", dependsOn: [dep("fan", { type: "failed" })] },
    { name: "empty", forEach: {} },
    { name: "after-empty", dependsOn: [dep("empty")] },
  ];
  const s = oneJob(steps, {
    expansions: {
      each: [{ name: "each-a", index: 0 }, { name: "each-b", index: 1 }],
      fan: [{ name: "fan-x", index: 0 }, { name: "fan-y", index: 1 }],
      empty: [],
    },
  });
  const ts = s.next();
  // prep has not failed yet: the expansions of `each` wait, then skip when prep succeeds.
  assert.deepEqual(started(ts), ["after-empty", "fan-x", "fan-y", "prep"]);
  s.finishStep("j", "prep", "succeeded");
  assert.deepEqual(
    s.next().filter((t) => t.type === "step_skipped").map((t) => (t as { step: StepState }).step.name),
    ["each-a", "each-b"],
  );
  s.finishStep("j", "fan-x", "succeeded");
  assert.deepEqual(s.next(), [], "after-fan waits for every expansion");
  s.finishStep("j", "fan-y", "failed", { error: "no" });
  const last = s.next();
  assert.deepEqual(started(last), ["on-fan-failure"]);
  assert.equal(s.step("j", "after-fan").status, "skipped");
});

test("an expansion error fails the template; its dependents skip; the job fails", async () => {
  const s = new Schedule({ jobs: [{ name: "j", steps: [{ name: "fan", forEach: {} }, { name: "next", dependsOn: [dep("fan")] }, { name: "solo" }] }] });
  const log: string[] = [];
  await runSchedule(s, {
    expandJob: async () => ({ fan: { error: "Duplicate step name 'fan-a'" } }),
    runStep: async (step) => {
      log.push(step.name);
      return { status: "succeeded" };
    },
    onTransition: () => {},
  });
  assert.deepEqual(log, ["solo"]);
  assert.equal(s.step("j", "fan").status, "failed");
  assert.equal(s.step("j", "fan").error, "Duplicate step name 'fan-a'");
  assert.equal(s.step("j", "next").status, "skipped");
  assert.equal(s.job("j").status, "failed");
  assert.equal(s.runStatus(), "failed");
});

test("bad plans are refused before anything runs: duplicates and cycles are named", () => {
  assert.throws(() => new Schedule({ jobs: [{ name: "a", steps: [{ name: "s" }] }, { name: "a", steps: [{ name: "s" }] }] }), /Duplicate node names: a/);
  assert.throws(
    () => new Schedule({ jobs: [{ name: "a", dependsOn: [jdep("b")], steps: [{ name: "s" }] }, { name: "b", dependsOn: [jdep("a")], steps: [{ name: "s" }] }] }),
    /Cyclic dependency detected: a -> b -> a/,
  );
  assert.throws(
    () => new Schedule({ jobs: [{ name: "j", steps: [{ name: "x", dependsOn: [dep("y")] }, { name: "y", dependsOn: [dep("x")] }] }] }),
    /Cyclic dependency detected in job 'j': x -> y -> x/,
  );
});

test("the driver: event-driven start with real async steps, and an abort stops new starts", async () => {
  const order: string[] = [];
  const gates = new Map<string, () => void>();
  const s = new Schedule({ jobs: [{ name: "j", steps: [{ name: "slow" }, { name: "fast" }, { name: "after-fast", dependsOn: [dep("fast")] }] }] });
  const done = runSchedule(s, {
    expandJob: async () => ({}),
    runStep: (step) =>
      new Promise<{ status: Settled }>((resolve) => {
        order.push(`start:${step.name}`);
        gates.set(step.name, () => {
          order.push(`end:${step.name}`);
          resolve({ status: "succeeded" });
        });
      }),
    onTransition: () => {},
  });
  const waitFor = async (name: string) => {
    while (!gates.has(name)) await new Promise((r) => setImmediate(r));
  };
  await waitFor("fast");
  gates.get("fast")!();
  await waitFor("after-fast");
  assert.ok(!order.includes("end:slow"), "after-fast started while slow was still running");
  gates.get("after-fast")!();
  gates.get("slow")!();
  await done;
  assert.equal(s.runStatus(), "succeeded");

  const controller = new AbortController();
  const c = new Schedule({ jobs: [{ name: "j", concurrency: 1, steps: [{ name: "a" }, { name: "b" }] }] });
  const ran: string[] = [];
  await runSchedule(c, {
    expandJob: async () => ({}),
    runStep: async (step) => {
      ran.push(step.name);
      controller.abort();
      return { status: "failed", error: "cancelled" };
    },
    onTransition: () => {},
    signal: controller.signal,
  });
  assert.deepEqual(ran, ["a"]);
  assert.equal(c.runStatus(), "cancelled");
  assert.equal(c.step("j", "b").status, "pending");
});
