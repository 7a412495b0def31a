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
  const visited = new Set<number>();
  const visit = (node: number): void => {
    if (visited.has(node)) return;
    visited.add(node);
    const def = input.nodes[node]!;
    for (const transitions of Object.values(def.statics)) for (const { to } of transitions) visit(to);
    for (const [, { to }] of def.dynamics) visit(to);
    for (const { to } of def.shortcuts) visit(to);

    const shortcuts = new Set(def.shortcuts.map(({ to }) => to));
    let known: Map<unknown, Set<number>> | undefined;
    while (def.shortcuts.length > 0) {
      const target = input.nodes[def.shortcuts.shift()!.to]!;
      for (const [segment, transitions] of Object.entries(target.statics)) {
        const store = Object.prototype.hasOwnProperty.call(def.statics, segment) ? def.statics[segment]! : (def.statics[segment] = []);
        for (const transition of transitions) if (!store.some(({ to }) => transition.to === to)) store.push(transition);
      }
      if (!known) {
        known = new Map();
        for (const [test, { to }] of def.dynamics) targetsOf(known, test).add(to);
      }
      for (const [test, transition] of target.dynamics) {
        const targets = targetsOf(known, test);
        if (targets.has(transition.to)) continue;
        targets.add(transition.to);
        def.dynamics.push([test, transition]);
      }
      for (const transition of target.shortcuts) {
        if (shortcuts.has(transition.to)) continue;
        def.shortcuts.push(transition);
        shortcuts.add(transition.to);
      }
    }
  };
  visit(initialNode);
}

function targetsOf(known: Map<unknown, Set<number>>, test: unknown): Set<number> {
  let targets = known.get(test);
  if (!targets) known.set(test, (targets = new Set()));
  return targets;
}
