/**
 * `swamp model validate`: the checks a definition must pass before it can run, in order —
 * definition schema (a unique name, a driver that exists and accepts its config), global
 * arguments, method arguments, expression paths, check selection, then each pre-flight check —
 * plus warnings that never fail (environment variables, a newer installed type version, a
 * required report nobody provides).
 */
import { errorMessage } from "../contract/errors.js";
import type { ModelTypePlugin } from "../contract/ports/model-type.js";
import { envVarWarning, findEnvVarUsage, formatExpressionPathErrors, validateExpressionPaths, type TypeLookup } from "../expressions/validate-paths.js";
import type { PluginRegistry } from "../runtime/registry.js";
import { validatePluginConfig, type Kernel } from "../runtime/kernel.js";
import { containsExpression, validateGlobalArguments, validateMethodArguments, withGlobalsMerged } from "./arguments.js";
import { checkSelectionProblems, runChecks, selectChecks } from "./checks.js";
import { typeUpgradeAvailable, type Definition } from "./definition.js";
import { missingReportWarning, missingRequiredReports } from "./reports.js";
import type { DefinitionRepository, StoredDefinition } from "./repository.js";
import { definitionLookup, displayPath } from "./service.js";
import { loadModelType, toJsonSchema } from "./types.js";

export interface ValidationResult {
  name: string;
  passed: boolean;
  error?: string;
}

export interface ModelValidation {
  modelId: string;
  modelName: string;
  type: string;
  validations: ValidationResult[];
  warnings: Array<{ name: string; message: string; envVars?: Array<{ path: string; envVar: string }> }>;
  passed: boolean;
}

function attempt(name: string, fn: () => void): ValidationResult {
  try {
    fn();
    return { name, passed: true };
  } catch (err) {
    return { name, passed: false, error: errorMessage(err) };
  }
}

export function typeLookup(registry: PluginRegistry): TypeLookup {
  return {
    async find(type) {
      let plugin: ModelTypePlugin;
      try {
        plugin = await loadModelType(registry, type);
      } catch {
        return null;
      }
      return {
        resources: Object.keys(plugin.resources ?? {}),
        files: Object.keys(plugin.files ?? {}),
        globalArguments: plugin.globalArguments ? toJsonSchema(plugin.globalArguments) : null,
        resourceSchemas: Object.fromEntries(Object.entries(plugin.resources ?? {}).map(([k, r]) => [k, toJsonSchema(r.schema)])),
      };
    },
  };
}

/** Says that a newer version of the definition's type is installed, and how to take it. */
export function typeUpgradeMessage(type: string, upgrade: { from: string; to: string }): string {
  return `This definition records ${type} ${upgrade.from}; the installed type is ${upgrade.to}. Review what changed ('swamp model type describe ${type}'), then set typeVersion: ${upgrade.to} (swamp model edit).`;
}

export interface ValidateOptions {
  /** Only run checks that apply to this method. */
  method?: string;
  /** Only run checks carrying one of these labels. */
  labels?: readonly string[];
  /** Other definition files holding the same name (absolute paths): see `namesakes`. */
  namesakes?: readonly string[];
}

/** Other definition files (models/ and auto-definitions/) holding `stored`'s name. */
export function namesakes(stored: StoredDefinition, all: readonly StoredDefinition[]): string[] {
  return all.filter((o) => o.path !== stored.path && o.definition.name === stored.definition.name).map((o) => o.path);
}

/**
 * What the definition's own fields get wrong beyond their shape: a name another file holds,
 * a driver nobody provides, a driver config its driver refuses (checked as a run checks it).
 */
async function definitionProblems(kernel: Kernel, definition: Definition, others: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  if (others.length) {
    problems.push(`Name "${definition.name}" is also used by ${others.map((p) => displayPath(kernel, p)).join(", ")}: names must be unique within the repository`);
  }
  if (definition.driver) {
    try {
      const driver = await kernel.registry.load("driver", definition.driver);
      validatePluginConfig(driver.configSchema, definition.driverConfig ?? {}, `driver "${driver.type}"`);
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  return problems;
}

export async function validateDefinition(kernel: Kernel, repo: DefinitionRepository, definition: Definition, options: ValidateOptions = {}): Promise<ModelValidation> {
  const plugin = await loadModelType(kernel.registry, definition.type ?? "");
  const schemaProblems = await definitionProblems(kernel, definition, options.namesakes ?? []);
  const validations: ValidationResult[] = [
    schemaProblems.length ? { name: "Definition schema", passed: false, error: schemaProblems.join("; ") } : { name: "Definition schema", passed: true },
  ];

  validations.push(attempt("Global arguments", () => validateGlobalArguments(plugin, definition.globalArguments, { partial: true })));

  validations.push(
    attempt("Method arguments", () => {
      const problems: string[] = [];
      for (const [method, body] of Object.entries(definition.methods)) {
        const args = body.arguments ?? {};
        try {
          validateMethodArguments(plugin, method, args, { partial: true });
          if (!containsExpression(args)) validateMethodArguments(plugin, method, withGlobalsMerged(plugin, method, definition.globalArguments, args), { partial: false });
        } catch (err) {
          problems.push(errorMessage(err));
        }
      }
      if (problems.length) throw new Error(problems.join("; "));
    }),
  );

  const paths = await validateExpressionPaths(definition, { definitions: definitionLookup(repo), types: typeLookup(kernel.registry) });
  validations.push(
    paths.passed
      ? { name: "Expression paths", passed: true }
      : { name: "Expression paths", passed: false, error: `Invalid expressions:\n${formatExpressionPathErrors(paths.errors)}` },
  );

  // A type without checks has nothing to select from: the selection cannot be wrong.
  const selectionProblems = plugin.checks && Object.keys(plugin.checks).length ? checkSelectionProblems(plugin, definition) : [];
  validations.push(selectionProblems.length ? { name: "Check selection", passed: false, error: selectionProblems.join("; ") } : { name: "Check selection", passed: true });

  const checks = selectChecks(plugin, definition, options.method ?? null).filter(
    ([, c]) => !options.labels?.length || options.labels.some((l) => c.labels?.includes(l)),
  );
  if (checks.length) {
    const controller = new AbortController();
    const noop = () => {};
    const outcomes = await runChecks(checks, {
      signal: controller.signal,
      repoDir: kernel.repoDir,
      modelType: definition.type ?? "",
      modelId: definition.id,
      methodName: options.method ?? "",
      globalArgs: definition.globalArguments,
      definition: { id: definition.id, name: definition.name, version: definition.version, tags: definition.tags },
      logger: { debug: noop, info: noop, warn: noop, error: noop },
    });
    for (const o of outcomes) validations.push({ name: `Check: ${o.name}`, passed: o.passed, ...(o.passed ? {} : { error: o.errors.join("; ") }) });
  }

  const warnings: ModelValidation["warnings"] = [];
  const envWarning = envVarWarning(findEnvVarUsage(definition));
  if (envWarning) warnings.push(envWarning);
  const upgrade = typeUpgradeAvailable(definition, plugin.version);
  if (upgrade) warnings.push({ name: "Type upgrade available", message: typeUpgradeMessage(definition.type ?? "", upgrade) });
  for (const { name, hint } of await missingRequiredReports(kernel.registry, definition)) {
    warnings.push({ name: "Required report not found", message: missingReportWarning(name, hint) });
  }
  return {
    modelId: definition.id,
    modelName: definition.name,
    type: definition.type ?? "",
    validations,
    warnings,
    passed: validations.every((v) => v.passed),
  };
}
