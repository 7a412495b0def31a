/**
 * The workflow file (`workflows/workflow-<name>.yaml`): its zod schema, the name rules, and
 * `parseWorkflow`, which turns a parsed YAML value into a `Workflow` or one clear error.
 *
 * Workflow, job, step and task objects are strict: a misspelt key is an error with a
 * suggestion, never silently dropped. Keys of the reference's advanced features (nested
 * `workflow`, `manual_approval` and `assert` tasks, `guard`, `trigger`, `reports`, placement)
 * are parsed and kept, so files shared with swamp load. Defaults are written out, as the
 * reference does (`weight: 0`, `dependsOn: []`, `allowFailure: false`, `version: 1`, `tags: {}`).
 */
import * as z from "zod";
import { ErrorCode, SwampError } from "../contract/errors.js";
import { gcPolicyProblem, lifetimeProblem } from "../data/lifetime.js";
import { inputsSchema, UUID_PATTERN } from "../models/definition.js";
import { closestMatch } from "../runtime/suggest.js";
import type { Workflow } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Names

const SCOPED_NAME = /^@[a-z0-9_-]+\/[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;
/** Names that are also safe file names: `workflow-<name>.yaml`. */
const FILENAME_SAFE = /^[a-z0-9][a-z0-9-]*$/;
export const MAX_WORKFLOW_NAME = 64;

/** Why `name` cannot be a workflow name at all (applies to files on disk too), or null. */
export function workflowNameProblem(name: string): string | null {
  if (name.length === 0) return "Workflow name must not be empty.";
  if (name.includes("..") || name.includes("\\") || name.includes("\0") || (name.includes("/") && !SCOPED_NAME.test(name))) {
    return "Workflow name must not contain '..', '\\', or null bytes (path traversal). '/' is only allowed in scoped @collective/name patterns.";
  }
  return null;
}

/** Why `name` is not acceptable for a new workflow (`workflow create`, a rename), or null. */
export function newWorkflowNameProblem(name: string): string | null {
  const base = workflowNameProblem(name);
  if (base) return base;
  if (SCOPED_NAME.test(name)) return null;
  if (!FILENAME_SAFE.test(name)) {
    return "Workflow name must be lowercase alphanumeric with hyphens (e.g. 'deploy-pipeline'). Must start with a letter or number.";
  }
  if (name.length > MAX_WORKFLOW_NAME) return `Workflow name must be at most ${MAX_WORKFLOW_NAME} characters.`;
  return null;
}

/** True when the workflow's file is named after it (`workflow-<name>.yaml`), not after its id. */
export function isFilenameSafe(name: string): boolean {
  return FILENAME_SAFE.test(name) && name.length <= MAX_WORKFLOW_NAME;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const WHOLE_EXPRESSION = /^\s*\$\{\{[\s\S]*\}\}\s*$/;

export function isWholeExpression(value: unknown): value is string {
  return typeof value === "string" && WHOLE_EXPRESSION.test(value);
}

const SIMPLE_CONDITIONS = ["always", "succeeded", "failed", "completed", "skipped"] as const;

export const TriggerConditionSchema: z.ZodType<unknown> = z.lazy(() =>
  z.discriminatedUnion("type", [
    z.object({ type: z.enum(SIMPLE_CONDITIONS) }).strict(),
    z.object({ type: z.enum(["and", "or"]), conditions: z.array(TriggerConditionSchema).min(2, "needs at least 2 conditions") }).strict(),
    z.object({ type: z.literal("not"), condition: TriggerConditionSchema }).strict(),
  ]),
);

/** A `dependsOn` edge without a condition waits for success, as the reference's examples do. */
const DEFAULT_CONDITION = { type: "succeeded" } as const;

export const JobDependencySchema = z
  .object({ job: z.string().min(1), condition: TriggerConditionSchema.default(DEFAULT_CONDITION) })
  .strict();

export const StepDependencySchema = z
  .object({ step: z.string().min(1), condition: TriggerConditionSchema.default(DEFAULT_CONDITION) })
  .strict();

/** `inputs` / `globalArgs`: a map (values may hold expressions) or one whole-field `${{ … }}`. */
const TASK_ARGUMENTS_FORM = "must be a map of values or a single ${{ … }} expression";
const TaskArguments = z.union([z.record(z.string(), z.unknown()), z.string().regex(WHOLE_EXPRESSION, TASK_ARGUMENTS_FORM)], {
  error: TASK_ARGUMENTS_FORM,
});

const ModelMethodTaskSchema = z
  .object({
    type: z.literal("model_method"),
    modelIdOrName: z.string().min(1).optional(),
    modelType: z.string().min(1).optional(),
    modelName: z.string().min(1).optional(),
    methodName: z.string().min(1),
    inputs: TaskArguments.optional(),
    globalArgs: TaskArguments.optional(),
  })
  .strict()
  .superRefine((task, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: "custom", message });
    if (task.modelIdOrName !== undefined && task.modelType !== undefined) {
      problem(
        "Step task has both modelIdOrName and modelType. Use either modelIdOrName (existing definition) or modelType + modelName (direct type execution), not both.",
      );
    } else if (task.modelType !== undefined && task.modelName === undefined) {
      problem("modelType requires modelName to name the auto-created definition.");
    } else if (task.modelIdOrName === undefined && task.modelType === undefined) {
      problem("Step task requires either modelIdOrName or modelType + modelName.");
    } else if (task.globalArgs !== undefined && task.modelType === undefined) {
      problem(
        "globalArgs is only valid with direct type execution (modelType + modelName). For existing definitions, set global arguments in the definition YAML instead.",
      );
    } else if (task.modelName !== undefined && task.modelType === undefined) {
      problem("modelName is only valid with modelType (direct type execution). For an existing definition use modelIdOrName.");
    }
  });

const WorkflowTaskSchema = z
  .object({ type: z.literal("workflow"), workflowIdOrName: z.string().min(1), inputs: TaskArguments.optional() })
  .strict();

const ManualApprovalTaskSchema = z
  .object({ type: z.literal("manual_approval"), prompt: z.string().min(1), timeout: z.number().positive().optional() })
  .strict();

const AssertTaskSchema = z
  .object({
    type: z.literal("assert"),
    expr: z.string().min(1),
    message: z.string(),
    severity: z.enum(["low", "medium", "high"]).default("high"),
  })
  .strict();

const TASK_OPTIONS = {
  model_method: ModelMethodTaskSchema,
  workflow: WorkflowTaskSchema,
  manual_approval: ManualApprovalTaskSchema,
  assert: AssertTaskSchema,
} as const;

export const StepTaskSchema = z.discriminatedUnion("type", [ModelMethodTaskSchema, WorkflowTaskSchema, ManualApprovalTaskSchema, AssertTaskSchema]);

const ForEachSchema = z
  .object({ item: z.string().min(1), in: z.string() })
  .strict()
  .superRefine((forEach, ctx) => {
    if (!isWholeExpression(forEach.in)) {
      ctx.addIssue({ code: "custom", path: ["in"], message: `Invalid forEach.in expression: ${forEach.in}. Must be in \${{ }} format.` });
    }
  });

export const DataOutputOverrideSchema = z
  .object({
    specName: z.string().min(1),
    lifetime: z
      .string()
      .superRefine((value, ctx) => {
        const problem = lifetimeProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    garbageCollection: z
      .union([z.number(), z.string()])
      .superRefine((value, ctx) => {
        const problem = gcPolicyProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    tags: z.record(z.string(), z.string()).optional(),
    vary: z.array(z.string().min(1)).optional(),
    vaultName: z.string().min(1).optional(),
  })
  .strict();

/** Remote placement (acted on only by the reference's `swamp serve`; kept, not used). */
const placement = {
  target: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  platform: z.string().optional(),
  queueTimeout: z.number().nonnegative().optional(),
};

const concurrency = z.number().int().nonnegative().optional();

export const StepSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    task: StepTaskSchema,
    dependsOn: z.array(StepDependencySchema).default([]),
    weight: z.number().default(0),
    allowFailure: z.boolean().default(false),
    forEach: ForEachSchema.optional(),
    guard: z.string().optional(),
    concurrency,
    dataOutputOverrides: z.array(DataOutputOverrideSchema).optional(),
    ...placement,
  })
  .strict()
  .superRefine((step, ctx) => {
    if (step.guard !== undefined && !isWholeExpression(step.guard)) {
      ctx.addIssue({ code: "custom", path: ["guard"], message: `Step "${step.name}" guard must be a \${{ }} expression, got: ${step.guard}` });
    }
  });

export const JobSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    steps: z.array(StepSchema).min(1, "a job needs at least one step"),
    dependsOn: z.array(JobDependencySchema).default([]),
    weight: z.number().default(0),
    concurrency,
    affinity: z.boolean().optional(),
    ...placement,
  })
  .strict();

/** Five or six cron fields (`0 3,12 * * *`); what each field allows is the scheduler's business. */
const CRON = /^\s*([\d*/,?LW#A-Za-z-]+\s+){4,5}[\d*/,?LW#A-Za-z-]+\s*$/;

const TriggerSchema = z
  .object({
    schedule: z.string().regex(CRON, "Invalid cron expression").optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const ReportsSchema = z.object({ require: z.array(z.string()).optional(), skip: z.array(z.string()).optional() }).strict();

export const WorkflowSchema = z
  .object({
    id: z.string().regex(UUID_PATTERN, "must be a UUID"),
    name: z.string().superRefine((name, ctx) => {
      const problem = workflowNameProblem(name);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
    inputs: inputsSchema().optional(),
    trigger: TriggerSchema.optional(),
    reports: ReportsSchema.optional(),
    concurrency,
    affinity: z.boolean().optional(),
    ...placement,
    jobs: z.array(JobSchema).min(1, "a workflow needs at least one job"),
    version: z.number().int().positive().default(1),
  })
  .strict();

/** The JSON Schemas `workflow schema get` prints. */
export function workflowJsonSchemas(): Record<string, unknown> {
  const json = (schema: z.ZodType) => {
    const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    delete out.$schema;
    return out;
  };
  return {
    workflow: json(WorkflowSchema),
    job: json(JobSchema),
    jobDependency: json(JobDependencySchema),
    step: json(StepSchema),
    stepDependency: json(StepDependencySchema),
    stepTask: json(StepTaskSchema),
    triggerCondition: json(TriggerConditionSchema),
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing and error messages

/** Where in the file a problem is: the YAML path, for line numbers. */
export type IssuePath = ReadonlyArray<string | number>;

export class WorkflowSchemaError extends SwampError {
  readonly path: IssuePath;
  constructor(message: string, path: IssuePath) {
    super(ErrorCode.workflowInvalid, message, { details: { path: path.join(".") } });
    this.name = "WorkflowSchemaError";
    this.path = path;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

function valueAt(root: unknown, path: IssuePath): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

interface Entity {
  /** How messages call it: `workflow`, `job`, `step`, `task`, … */
  label: string;
  name: string;
  keys: readonly string[];
  /** Human location, e.g. `job 'build', step 'compile'`. */
  where: string;
}

function nameOf(value: unknown, fallback: string): string {
  return isRecord(value) && typeof value.name === "string" && value.name !== "" ? value.name : fallback;
}

function objectKeys(schema: z.ZodType): readonly string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The object at `path` (a workflow, job, step, task, …), named for messages. */
function entityAt(root: unknown, path: IssuePath): Entity {
  const workflowName = nameOf(root, "(unnamed)");
  let entity: Entity = { label: "workflow", name: workflowName, keys: objectKeys(WorkflowSchema), where: `workflow '${workflowName}'` };
  let jobWhere = "";
  let stepWhere = "";
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const index = path[i + 1];
    const parent = valueAt(root, path.slice(0, i));
    if (typeof index !== "number") {
      if (key === "task") {
        const raw = valueAt(root, path.slice(0, i + 1));
        const kind = isRecord(raw) && typeof raw.type === "string" && raw.type in TASK_OPTIONS ? (raw.type as keyof typeof TASK_OPTIONS) : "model_method";
        entity = { label: "task", name: nameOf(parent, "?"), keys: objectKeys(TASK_OPTIONS[kind]), where: `${stepWhere}, task` };
      } else if (key === "forEach") entity = { label: "forEach", name: nameOf(parent, "?"), keys: ["item", "in"], where: `${stepWhere}, forEach` };
      else if (key === "trigger") entity = { label: "trigger", name: workflowName, keys: objectKeys(TriggerSchema), where: "trigger" };
      else if (key === "reports") entity = { label: "reports", name: workflowName, keys: objectKeys(ReportsSchema), where: "reports" };
      continue;
    }
    const item = valueAt(root, path.slice(0, i + 2));
    if (key === "jobs") {
      const name = nameOf(item, `#${index + 1}`);
      jobWhere = `job '${name}'`;
      entity = { label: "job", name, keys: objectKeys(JobSchema), where: jobWhere };
    } else if (key === "steps") {
      const name = nameOf(item, `#${index + 1}`);
      stepWhere = `${jobWhere}, step '${name}'`;
      entity = { label: "step", name, keys: objectKeys(StepSchema), where: stepWhere };
    } else if (key === "dependsOn") {
      const ofStep = stepWhere !== "" && path.includes("steps");
      entity = {
        label: ofStep ? "step dependency" : "job dependency",
        name: String(index + 1),
        keys: ofStep ? objectKeys(StepDependencySchema) : objectKeys(JobDependencySchema),
        where: `${ofStep ? stepWhere : jobWhere}, dependsOn #${index + 1}`,
      };
    } else if (key === "dataOutputOverrides") {
      const spec = isRecord(item) && typeof item.specName === "string" ? item.specName : `#${index + 1}`;
      entity = { label: "data output override", name: spec, keys: objectKeys(DataOutputOverrideSchema), where: `${stepWhere}, dataOutputOverrides '${spec}'` };
    } else if (key === "conditions") {
      entity = { label: "condition", name: String(index + 1), keys: ["type", "conditions", "condition"], where: `${entity.where}, condition` };
    }
  }
  return entity;
}

// One line each (with an inline example), so every renderer shows the whole message.
const STRING_DEPENDS_ON = (kind: "job" | "step", value: string) =>
  `dependsOn entries must be objects, not strings: write "- ${value}" as "- { ${kind}: ${value}, condition: { type: succeeded } }"`;

const SHELL_REMOVED =
  "Step task type \"shell\" is no longer supported. Use 'type: model_method' with the 'command/shell' model instead, e.g. " +
  'task: { type: model_method, modelIdOrName: my-shell, methodName: execute, inputs: { run: "echo hello" } }';

const ARGUMENTS_KEY =
  'Unknown field "arguments" in step task. Did you mean "inputs"? e.g. ' +
  "task: { type: model_method, modelIdOrName: my-model, methodName: run, inputs: { key: value } }";

function driverMessage(key: string, entity: Entity): string {
  return (
    `Key '${key}' on ${entity.label} '${entity.name}' is no longer supported in workflows: choose the execution driver ` +
    "in the model definition ('driver:' and 'driverConfig:') or in .swamp.yaml ('defaultDriver')."
  );
}

function unknownKeyMessage(key: string, entity: Entity): string {
  if (key === "driver" || key === "driverConfig") return driverMessage(key, entity);
  if (key === "arguments" && entity.label === "task") return ARGUMENTS_KEY;
  const suggestion = closestMatch(key, entity.keys);
  return (
    `Unknown key '${key}' on ${entity.label} '${entity.name}'.` +
    (suggestion ? ` Did you mean '${suggestion}'?` : "") +
    ` Valid ${entity.label} keys: ${entity.keys.join(", ")}`
  );
}

/** Unknown keys first (a typo also causes a "missing" error), then authoring errors, then the rest. */
function rank(issue: z.core.$ZodIssue): number {
  if (issue.code === "unrecognized_keys") return 0;
  if (issue.code === "custom") return 1;
  return 2;
}

function issueMessage(root: unknown, issue: z.core.$ZodIssue): { message: string; path: IssuePath } {
  const path = issue.path as Array<string | number>;
  if (issue.code === "unrecognized_keys") {
    const entity = entityAt(root, path);
    const message = issue.keys.map((k) => unknownKeyMessage(k, entity));
    return { message: message.join(" "), path: [...path, issue.keys[0] ?? ""] };
  }
  const raw = valueAt(root, path);
  const parentKey = path[path.length - 2];
  if (parentKey === "dependsOn" && typeof raw === "string") {
    return { message: STRING_DEPENDS_ON(path.includes("steps") ? "step" : "job", raw), path };
  }
  if (path[path.length - 1] === "type" && path[path.length - 2] === "task" && raw === "shell") return { message: SHELL_REMOVED, path };
  const entity = entityAt(root, path);
  if (issue.code === "custom") return { message: path.length === 0 ? issue.message : `${entity.where}: ${issue.message}`, path };
  // The field inside the entity: what follows the last list index, minus the entity's own key.
  let start = 0;
  path.forEach((p, i) => typeof p === "number" && (start = i + 1));
  const field = path.slice(start).map(String);
  if (["task", "forEach", "trigger", "reports"].includes(entity.label) && field[0] === entity.label) field.shift();
  const fieldText = field.length ? `${field.join(".")}: ` : "";
  const text = issue.code === "invalid_type" && raw === undefined ? "is required" : issue.message;
  return { message: `${entity.where}: ${fieldText}${text}`, path };
}

/** Validates a parsed YAML value as a workflow; throws `WorkflowSchemaError` (code `workflow_invalid`). */
export function parseWorkflow(data: unknown): Workflow {
  if (!isRecord(data)) throw new WorkflowSchemaError("A workflow file must be a YAML mapping (id, name, jobs, …)", []);
  const result = WorkflowSchema.safeParse(data);
  if (result.success) return result.data as Workflow;
  const issue = [...result.error.issues].sort((a, b) => rank(a) - rank(b))[0]!;
  const { message, path } = issueMessage(data, issue);
  throw new WorkflowSchemaError(message, path);
}

/** The file a new workflow gets (§1.2): one job with one example step, defaults written out. */
export function defaultWorkflow(id: string, name: string): Workflow {
  return parseWorkflow({
    id,
    name,
    tags: {},
    jobs: [
      {
        name: "main",
        description: "Main job (edit or replace)",
        steps: [
          {
            name: "example",
            description: "Example step (edit or replace)",
            task: { type: "model_method", modelIdOrName: "example-model", methodName: "run" },
          },
        ],
      },
    ],
    version: 1,
  });
}
