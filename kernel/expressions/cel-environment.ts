/**
 * swamp's cel-js Environment settings in one place: unlisted variables are dyn, optional types
 * on, heterogeneous list/map literals allowed, and `int ⊕ double` / `double ⊕ int` overloads for
 * `+ - * / %` (the int side becomes a JS number). It takes the Environment class as an argument
 * (no runtime import), so an extension worker can build the same environment from the cel-js
 * it loads itself.
 */
import type { Environment } from "@marcbachmann/cel-js";

export const ENVIRONMENT_OPTIONS = {
  unlistedVariablesAreDyn: true,
  enableOptionalTypes: true,
  homogeneousAggregateLiterals: false,
} as const;

type Arith = (a: number, b: number) => number;
const ARITHMETIC: ReadonlyArray<[string, Arith]> = [
  ["+", (a, b) => a + b],
  ["-", (a, b) => a - b],
  ["*", (a, b) => a * b],
  ["/", (a, b) => a / b],
  ["%", (a, b) => a % b],
];

export type EnvironmentClass = new (options: typeof ENVIRONMENT_OPTIONS) => Environment;

/** A fresh Environment with swamp's options and overloads, and no swamp namespaces. */
export function newCelEnvironment(EnvironmentCtor: EnvironmentClass): Environment {
  const env = new EnvironmentCtor({ ...ENVIRONMENT_OPTIONS });
  for (const [op, fn] of ARITHMETIC) {
    env.registerOperator(`int ${op} double`, (a: bigint, b: number) => fn(Number(a), b));
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
  }
  return env;
}
