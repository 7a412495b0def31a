/**
 * End-of-command cleanup of the extension host, without importing it: the host registers
 * its shutdown here when (and only when) it is created, so a command that used no
 * extension pays nothing.
 */
const hooks = new Set<() => Promise<void>>();

export function onExtensionsShutdown(hook: () => Promise<void>): void {
  hooks.add(hook);
}

/** Closes every extension instance and stops the worker pool. Safe to call many times. */
export async function shutdownExtensions(): Promise<void> {
  const pending = [...hooks];
  hooks.clear();
  await Promise.allSettled(pending.map((h) => h()));
}
