/**
 * The text of a `command/shell` model definition, as a user would write it, for e2e tests
 * that put definitions on disk directly.
 */
export interface ShellDefinition {
  id: string;
  name: string;
  /** The `run` argument, written as given (already YAML: quote it with JSON.stringify if needed). */
  run: string;
  /** Method environment: name → YAML scalar text (e.g. a quoted CEL expression). */
  env?: Record<string, string>;
  /** Top-level lines placed before `methods:` (driver, inputs, …). */
  extra?: string[];
}

export function shellDefinition(d: ShellDefinition): string {
  return [
    "type: command/shell",
    `id: ${d.id}`,
    `name: ${d.name}`,
    "version: 1",
    "tags: {}",
    "globalArguments: {}",
    ...(d.extra ?? []),
    "methods:",
    "  execute:",
    "    arguments:",
    `      run: ${d.run}`,
    ...(d.env ? ["      env:", ...Object.entries(d.env).map(([k, v]) => `        ${k}: ${v}`)] : []),
    "",
  ].join("\n");
}
