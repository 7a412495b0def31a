/**
 * `swamp workflow evaluate` (workflows.md §4.5): the up-front phase, leniently (a failing
 * expression stays as written, with a warning), plus a static forEach expansion where
 * `forEach.in` can be evaluated without a run (expanded steps lose `forEach` and see
 * `self.<item>`). `env`, `vault`, `run` and step-time data reads stay as written. The result is
 * saved to workflows-evaluated/, the copy `workflow run` overwrites with its own.
 */
import { ExpressionContext } from "../expressions/context.js";
import { findExpressions, hasExpression } from "../expressions/extract.js";
import type { Kernel } from "../runtime/kernel.js";
import { RepositoryDataAccess } from "../models/data-access.js";
import { dataRepository, definitionLookup, definitionRepository } from "../models/service.js";
import { saveEvaluated } from "./execute.js";
import { deferredUpFront, evaluateExpressions, evaluateUpFront, isWholeExpression, type Unevaluated } from "./expressions.js";
import { expandForEach } from "./foreach.js";
import { resolveWorkflowInputs } from "./inputs.js";
import type { Job, Step, StoredWorkflow, Workflow } from "./types.js";

export interface EvaluatedWorkflow {
  workflow: Workflow;
  path: string;
  hadExpressions: boolean;
  forEachExpanded: boolean;
  warnings: Unevaluated[];
}

const STEP_TIME = /(?<![\w.$])(run|workflowRunId|env|vault)\b/;

export async function evaluateWorkflowFile(kernel: Kernel, stored: StoredWorkflow, rawInputs: Record<string, unknown>): Promise<EvaluatedWorkflow> {
  const source = stored.workflow;
  // With no inputs nothing is validated (nor coerced): the file may be evaluated before inputs are known.
  const inputs = Object.keys(rawInputs).length > 0 ? await resolveWorkflowInputs(source.inputs, rawInputs) : {};
  const definitions = definitionRepository(kernel);
  const data = new RepositoryDataAccess(dataRepository(kernel), definitions);
  const context = (self: Record<string, unknown> = {}) => new ExpressionContext({ self, inputs, definitions: definitionLookup(definitions), data });

  const hadExpressions = hasAny(source);
  const { value, unevaluated } = await evaluateUpFront(source, context(), { lenient: true });
  const warnings = [...unevaluated];
  let forEachExpanded = false;

  const jobs: Job[] = [];
  for (const job of value.jobs) {
    const steps: Step[] = [];
    for (const step of job.steps) {
      const forEach = step.forEach;
      if (!forEach || !isWholeExpression(forEach.in) || deferredFor(forEach.in)) {
        steps.push(step);
        continue;
      }
      try {
        const collection = await context().evaluate(findExpressions(forEach.in)[0]!.body);
        const expansions = await expandForEach(step.name, collection, async (name, _i, item) => {
          const r = await evaluateExpressions(name, context({ [forEach.item]: item }), { lenient: true, skip: (_p, body) => STEP_TIME.test(body) });
          return r.unevaluated.length ? null : String(r.value);
        });
        for (const e of expansions) {
          const { forEach: _dropped, ...rest } = step;
          const bound = await evaluateExpressions(
            { ...rest, name: e.name },
            context({ [forEach.item]: e.value }),
            { lenient: true, skip: (path, body) => path === "name" || STEP_TIME.test(body) || (deferredUpFront(`jobs[0].steps[0].${path}`, body) && !/\bself\b/.test(body)) },
          );
          warnings.push(...bound.unevaluated);
          steps.push(bound.value as Step);
        }
        forEachExpanded = true;
      } catch (err) {
        warnings.push({ path: `jobs.${job.name}.steps.${step.name}.forEach.in`, expression: forEach.in, error: err instanceof Error ? err.message : String(err) });
        steps.push(step);
      }
    }
    jobs.push({ ...job, steps });
  }
  const workflow: Workflow = { ...value, jobs };
  const path = await saveEvaluated(kernel, workflow);
  return { workflow, path, hadExpressions, forEachExpanded, warnings };
}

function deferredFor(text: string): boolean {
  return STEP_TIME.test(text);
}

function hasAny(value: unknown): boolean {
  if (typeof value === "string") return hasExpression(value);
  if (Array.isArray(value)) return value.some(hasAny);
  if (value && typeof value === "object") return Object.values(value).some(hasAny);
  return false;
}
