/**
 * Type declarations for the Deno-style specifiers swamp extensions use, so `tsc` can check
 * extension files in a Node project. swamp itself never reads this file: when it bundles an
 * extension, every `npm:zod@…` import is served by swamp's own zod.
 *
 * Copy it into your repository (any `.d.ts` your tsconfig includes) to type-check your own
 * extensions; add one `declare module` per `npm:` specifier you use.
 */
declare module "npm:zod@4" {
  export * from "zod";
}
