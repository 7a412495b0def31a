/**
 * Workflow inputs (§1.4): values from `--input` (strings) or from JSON/YAML (typed) are coerced
 * to the declared types, given the schema's defaults, then validated. A failure names every
 * problem, one per line, before anything runs. Inputs the schema does not declare are kept
 * unless it says `additionalProperties: false`; a workflow without `inputs` takes the values
 * as they are.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import { coerceBySchema, inputProblems, normalizeInputsSchema, type InputsSchemaLike } from "../models/inputs.js";
import type { WorkflowInputsSchema } from "./types.js";

/** Only the coercion step (what a run from an already-evaluated copy does). */
export function coerceWorkflowInputs(schema: WorkflowInputsSchema | undefined, values: Record<string, unknown>): Record<string, unknown> {
  if (!schema) return { ...values };
  const normalized = normalizeInputsSchema(schema as InputsSchemaLike);
  return coerceBySchema(values, { ...normalized, type: "object" }) as Record<string, unknown>;
}

/**
 * The inputs a run gets: coerced, defaulted and validated against the workflow's `inputs`
 * schema. Throws `input_validation_failed` ("Input validation failed:\n  <problem>" per line).
 */
export async function resolveWorkflowInputs(schema: WorkflowInputsSchema | undefined, values: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (!schema) return { ...values };
  const coerced = coerceWorkflowInputs(schema, values);
  const problems = await inputProblems(normalizeInputsSchema(schema as InputsSchemaLike), coerced);
  if (problems.length) {
    throw new SwampError(ErrorCode.inputValidationFailed, `Input validation failed:\n${problems.map((p) => `  ${p}`).join("\n")}`, {
      details: { errors: problems },
    });
  }
  return coerced;
}
