/**
 * Static analysis of parsed CEL (the cel-js AST): free root identifiers, member-access chains
 * (`model.x.resource.s.i.attributes.k`), and calls on the swamp namespaces (`data.latest(…)`,
 * `file.contents(…)`) with their literal arguments. Variables bound by macros
 * (`list.map(v, …)`, `cel.bind(x, …)`) are not roots inside their scope.
 */
import type { ASTNode } from "@marcbachmann/cel-js";

/** A segment of a member chain: a literal key, or null when the key is computed. */
export type ChainSegment = string | null;

/** `root.seg1.seg2…` (also `root["seg"]`, `root.?seg`). */
export interface MemberChain {
  readonly root: string;
  readonly segments: readonly ChainSegment[];
}

/** A literal argument value, or COMPUTED when the argument is not a literal. */
export const COMPUTED: unique symbol = Symbol("computed");
export type LiteralArg = unknown | typeof COMPUTED;

/** `<namespace>.<method>(args…)` where namespace is a free root identifier. */
export interface NamespaceCall {
  readonly namespace: string;
  readonly method: string;
  readonly args: readonly LiteralArg[];
}

export interface ExpressionAnalysis {
  /** Free root identifiers (macro-bound variables excluded). */
  readonly roots: ReadonlySet<string>;
  /** Maximal member chains whose root is a free identifier (a bare identifier is a chain with no segments). */
  readonly chains: readonly MemberChain[];
  /** Method calls whose receiver is a free root identifier. */
  readonly calls: readonly NamespaceCall[];
}

const BINDING_MACROS = new Set(["all", "exists", "exists_one", "existsOne", "map", "filter"]);
const MEMBER_OPS = new Set([".", ".?", "[]", "[?]"]);

function isNode(value: unknown): value is ASTNode {
  return typeof value === "object" && value !== null && typeof (value as { op?: unknown }).op === "string" && "args" in value;
}

/** The value of a literal node (`"x"`, `1`, `[ "a", "b" ]`), or COMPUTED. */
export function literalValue(node: ASTNode | undefined): LiteralArg {
  if (!node) return COMPUTED;
  if (node.op === "value") return node.args;
  if (node.op === "list") {
    const items = (node.args as ASTNode[]).map((item) => literalValue(item));
    return items.includes(COMPUTED) ? COMPUTED : items;
  }
  if (node.op === "-_" && isNode(node.args)) {
    const inner = literalValue(node.args);
    if (typeof inner === "bigint") return -inner;
    if (typeof inner === "number") return -inner;
  }
  return COMPUTED;
}

function segmentOf(node: ASTNode): ChainSegment {
  if (node.op === "." || node.op === ".?") return (node.args as [ASTNode, string])[1];
  const index = (node.args as [ASTNode, ASTNode])[1];
  const value = literalValue(index);
  if (typeof value === "string") return value;
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  return null;
}

/** Analyse a parsed expression. */
export function analyzeAst(ast: ASTNode): ExpressionAnalysis {
  const roots = new Set<string>();
  const chains: MemberChain[] = [];
  const calls: NamespaceCall[] = [];

  const visit = (node: unknown, bound: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, bound);
      return;
    }
    if (!isNode(node)) return;
    switch (node.op) {
      case "value":
        return;
      case "id": {
        const name = node.args as string;
        if (!bound.has(name)) {
          roots.add(name);
          chains.push({ root: name, segments: [] });
        }
        return;
      }
      case ".":
      case ".?":
      case "[]":
      case "[?]": {
        // Flatten the chain down to its base.
        const members: ASTNode[] = [];
        let base: ASTNode = node;
        while (MEMBER_OPS.has(base.op)) {
          members.push(base);
          base = (base.args as [ASTNode, unknown])[0];
        }
        members.reverse();
        if (base.op === "id" && !bound.has(base.args as string)) {
          const root = base.args as string;
          roots.add(root);
          chains.push({ root, segments: members.map(segmentOf) });
        } else {
          visit(base, bound);
        }
        for (const member of members) {
          if (member.op === "[]" || member.op === "[?]") visit((member.args as [ASTNode, ASTNode])[1], bound);
        }
        return;
      }
      case "rcall": {
        const [method, receiver, args] = node.args as [string, ASTNode, ASTNode[]];
        if (method === "bind" && receiver.op === "id" && receiver.args === "cel" && !bound.has("cel")) {
          const variable = args[0];
          visit(args[1], bound);
          if (variable?.op === "id") visit(args[2], new Set([...bound, variable.args as string]));
          else visit(args.slice(2), bound);
          return;
        }
        visit(receiver, bound);
        if (BINDING_MACROS.has(method) && args.length >= 2 && args[0]?.op === "id") {
          const inner = new Set([...bound, args[0].args as string]);
          visit(args.slice(1), inner);
        } else {
          visit(args, bound);
        }
        if (receiver.op === "id" && !bound.has(receiver.args as string)) {
          calls.push({ namespace: receiver.args as string, method, args: args.map((a) => literalValue(a)) });
        }
        return;
      }
      case "call": {
        const [, args] = node.args as [string, ASTNode[]];
        visit(args, bound);
        return;
      }
      case "map": {
        for (const [key, value] of node.args as Array<[ASTNode, ASTNode]>) {
          visit(key, bound);
          visit(value, bound);
        }
        return;
      }
      default: {
        const args: unknown = node.args;
        if (isNode(args)) visit(args, bound);
        else if (Array.isArray(args)) visit(args, bound);
      }
    }
  };
  visit(ast, new Set());
  return { roots, chains, calls };
}

/** Chains rooted at `root` (e.g. every `model.…` reference). */
export function chainsFrom(analysis: ExpressionAnalysis, root: string): MemberChain[] {
  return analysis.chains.filter((c) => c.root === root);
}
