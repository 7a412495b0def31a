/**
 * clipanion's `simplifyMachine` (lib/core.js), rewritten to give the same machine in less time;
 * scripts/bundle.mjs makes clipanion call this one. clipanion builds a parser state machine for
 * the commands a run registers and then folds every shortcut's transitions into the node it
 * leaves from. For `model method run` that is 144 nodes and 2,000 option transitions, and the
 * fold looked up each one with a linear scan of the node's transitions: milliseconds of a
 * short command's start-up. Here each node keeps its transitions in a map, so the lookup is
 * constant time. Visiting order, and so the order of every node's transitions, is unchanged.
 */

/** A transition of clipanion's machine: only `to` matters here. */
export interface MachineTransition {
  to: number;
}

/** A node of clipanion's machine. `test` is a string or an array, compared by identity as clipanion does. */
export interface MachineNode {
  statics: Record<string, MachineTransition[]>;
  dynamics: Array<[unknown, MachineTransition]>;
  shortcuts: MachineTransition[];
}

export function simplifyMachine(input: { nodes: MachineNode[] }, initialNode: number): void {
  // Index loops and few allocations: this runs once per process, in the interpreter, where
  // every for-of and callback allocates.
  const { nodes } = input;
  const visited = new Set<number>();
  const visit = (node: number): void => {
    if (visited.has(node)) return;
    visited.add(node);
    const def = nodes[node]!;
    for (const segment in def.statics) {
      const transitions = def.statics[segment]!;
      for (let i = 0; i < transitions.length; i++) visit(transitions[i]!.to);
    }
    for (let i = 0; i < def.dynamics.length; i++) visit(def.dynamics[i]![1].to);
    const shortcuts = def.shortcuts;
    for (let i = 0; i < shortcuts.length; i++) visit(shortcuts[i]!.to);
    if (shortcuts.length === 0) return;

    // Shortcuts are taken first in, first out, as clipanion does, and followed transitively.
    const queued = new Set<number>();
    for (let i = 0; i < shortcuts.length; i++) queued.add(shortcuts[i]!.to);
    const known = new Known();
    for (let i = 0; i < def.dynamics.length; i++) known.add(def.dynamics[i]![0], def.dynamics[i]![1].to);
    for (let s = 0; s < shortcuts.length; s++) {
      const target = nodes[shortcuts[s]!.to]!;
      // The keys taken first, as clipanion does: a shortcut back to this node would add to them.
      for (const segment of Object.keys(target.statics)) {
        const transitions = target.statics[segment]!;
        const store = Object.prototype.hasOwnProperty.call(def.statics, segment) ? def.statics[segment]! : (def.statics[segment] = []);
        for (let i = 0; i < transitions.length; i++) if (!leadsTo(store, transitions[i]!.to)) store.push(transitions[i]!);
      }
      for (let i = 0; i < target.dynamics.length; i++) {
        const [test, transition] = target.dynamics[i]!;
        if (known.add(test, transition.to)) def.dynamics.push([test, transition]);
      }
      for (let i = 0; i < target.shortcuts.length; i++) {
        const transition = target.shortcuts[i]!;
        if (queued.has(transition.to)) continue;
        queued.add(transition.to);
        shortcuts.push(transition);
      }
    }
    shortcuts.length = 0;
  };
  visit(initialNode);
}

function leadsTo(transitions: MachineTransition[], to: number): boolean {
  for (let i = 0; i < transitions.length; i++) if (transitions[i]!.to === to) return true;
  return false;
}

/**
 * The (test, target) pairs of one node's dynamic transitions. Nearly every test has one
 * target, so a test's first target is kept as a number and a set made only for a second.
 */
class Known {
  private readonly targets = new Map<unknown, number | Set<number>>();

  /** Records the pair; false when it was already there. */
  add(test: unknown, to: number): boolean {
    const known = this.targets.get(test);
    if (known === undefined) {
      this.targets.set(test, to);
      return true;
    }
    if (typeof known === "number") {
      if (known === to) return false;
      this.targets.set(test, new Set([known, to]));
      return true;
    }
    if (known.has(to)) return false;
    known.add(to);
    return true;
  }
}
