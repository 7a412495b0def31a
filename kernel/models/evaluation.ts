/**
 * The expression phases of a method run (loaded only for definitions that use `${{ }}`):
 * inputs validated against the definition's schema, phase 1 (everything but env and vault),
 * phase 2 (env and vault: secrets become sentinels of the run's bag), then secrets placed —
 * shell commands get them as environment variables, other methods get the values.
 */
import { ErrorCode, SwampError } from "../contract/errors.js";
import type { DataRepository } from "../data/repository.js";
import { ExpressionContext, selfFromDefinition, type RunScope } from "../expressions/context.js";
import { evaluateDefinition, resolveRuntimeExpressions, revealSecrets, SecretBag, type VaultAccess } from "../expressions/evaluate.js";
import type { Kernel } from "../runtime/kernel.js";
import type { Redactor } from "../runtime/redact.js";
import { VaultReferenceDataAccess } from "../vaults/references.js";
import { RepositoryDataAccess } from "./data-access.js";
import type { Definition } from "./definition.js";
import { resolveInputs } from "./inputs.js";
import type { DefinitionRepository } from "./repository.js";
import { definitionLookup } from "./service.js";
import { rewriteShellSecrets } from "./shell-secrets.js";
import type { RunEvaluation } from "./execute.js";

export interface EvaluationInput {
  kernel: Kernel;
  definitions: DefinitionRepository;
  data: DataRepository;
  definition: Definition;
  method: string;
  rawInputs: Record<string, unknown>;
  overrides: Record<string, unknown>;
  vaultAccess: VaultAccess | undefined;
  redactor: Redactor;
  /** Inside a workflow run: `data.findBySpec` sees only this run's data. */
  runScope?: RunScope;
}

export async function evaluateForRun(o: EvaluationInput): Promise<RunEvaluation> {
  const { kernel, definitions, data, definition, method, rawInputs, overrides, vaultAccess, redactor, runScope } = o;
  const inputs = definition.inputs ? await resolveInputs(definition.inputs as never, rawInputs) : rawInputs;


  // Phase 1: everything but env and vault; the evaluated copy is saved (it holds no secrets).
  // Vault references in data read by `data.*` become sentinels of the run's secret bag, like
  // `vault.get` in phase 2: shell commands get them as environment variables, other methods
  // get the values, and neither the evaluated definition nor the view ever holds one.
  const bag = new SecretBag();
  const repositoryData = new RepositoryDataAccess(data, definitions);
  const dataAccess = vaultAccess
    ? new VaultReferenceDataAccess(repositoryData, async (ref, text) => {
        const { sentinel, fetch } = bag.reference(vaultAccess, { match: text.trim(), index: 0, vault: ref.vault, key: ref.key });
        try {
          await fetch;
          return sentinel;
        } catch {
          return null; // unresolvable: the reference stays as written
        }
      })
    : repositoryData;
  const expressionContext = new ExpressionContext({
    self: selfFromDefinition(definition),
    inputs,
    definitions: definitionLookup(definitions),
    data: dataAccess,
    ...(runScope ? { runScope } : {}),
  });
  const phase1 = await evaluateDefinition(definition, expressionContext);
  const evaluated = phase1.definition;

  const methodArgsAsWritten = { ...(evaluated.methods[method]?.arguments ?? {}), ...overrides };
  const globalArgsAsWritten = evaluated.globalArguments;

  // Phase 2: env and vault. Secrets come back as sentinels plus a bag; values are registered for redaction
  // (also when phase 2 fails half-way: the error may follow a fetched secret).
  let runtime;
  try {
    runtime = await resolveRuntimeExpressions(
      { globalArguments: globalArgsAsWritten, methodArguments: methodArgsAsWritten },
      { env: kernel.env, ...(vaultAccess ? { vault: vaultAccess } : {}), context: expressionContext, secrets: bag },
    );
  } finally {
    for (const secret of bag.secrets.values()) redactor.register(secret);
  }
  const unresolvedGlobals = phase1.unresolved.filter((u) => u.path.startsWith("globalArguments"));
  for (const u of phase1.unresolved.filter((u) => u.path.startsWith(`methods.${method}.`))) {
    throw new SwampError(ErrorCode.expressionFailed, `Could not evaluate ${u.path}: ${u.error}`, { details: { path: u.path } });
  }

  // Shell commands get secrets through the environment; everything else gets real values.
  let methodArgs = runtime.value.methodArguments as Record<string, unknown>;
  let secretEnv: Record<string, string> = {};
  if (typeof methodArgs.run === "string" && bag.secrets.size > 0) {
    const rewritten = rewriteShellSecrets(methodArgs.run, bag.secrets);
    methodArgs = { ...methodArgs, run: rewritten.run };
    secretEnv = rewritten.env;
  }
  methodArgs = revealSecrets(methodArgs, bag.secrets);
  const globalArgs = revealSecrets(runtime.value.globalArguments as Record<string, unknown>, bag.secrets);

  return { evaluated, methodArgsAsWritten, globalArgsAsWritten, unresolvedGlobals: unresolvedGlobals.length > 0, methodArgs, globalArgs, secretEnv };
}
