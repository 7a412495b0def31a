/**
 * An interactive "type to filter, arrows to move, Enter to choose" list on a terminal, built on
 * @inquirer/search (loaded only when a picker opens, so no other command pays for it). Esc and
 * Ctrl-C close it; the list is erased in every case so the terminal is left as it was.
 */
import { emitKeypressEvents } from "node:readline";
import { importLib } from "../kernel/contract/import-module.js";

export interface PickerItem<T> {
  /** The line shown for the item; typing filters on it. */
  label: string;
  value: T;
}

export type PickOutcome<T> = { picked: T } | { cancelled: "escape" | "interrupt" };

export interface PickerOptions {
  message: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  pageSize?: number;
}

/** Items whose label contains every whitespace-separated word of `term` (any case), in order. */
export function filterItems<T>(items: readonly PickerItem<T>[], term: string | undefined): PickerItem<T>[] {
  const words = (term ?? "").toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return [...items];
  return items.filter((item) => {
    const label = item.label.toLowerCase();
    return words.every((w) => label.includes(w));
  });
}

export async function pick<T>(items: readonly PickerItem<T>[], options: PickerOptions): Promise<PickOutcome<T>> {
  const { default: search } = await importLib<typeof import("@inquirer/search")>("@inquirer/search");
  const { input, output } = options;
  // Esc is not a key @inquirer/search handles: it aborts the prompt through its signal.
  const escape = new AbortController();
  emitKeypressEvents(input as NodeJS.ReadStream);
  const onKey = (_: unknown, key: { name?: string } | undefined) => {
    if (key?.name === "escape") escape.abort();
  };
  input.on("keypress", onKey);
  const indexed = items.map((item, i) => ({ label: item.label, value: i }));
  const rows = Math.max(5, ((output as NodeJS.WriteStream).rows ?? 24) - 6);
  try {
    const index = await search<number>(
      {
        message: options.message,
        pageSize: options.pageSize ?? Math.min(rows, 15),
        source: (term) => filterItems(indexed, term).map((item) => ({ name: item.label, value: item.value })),
        theme: { style: { keysHelpTip: () => "↑↓ move · type to filter · ⏎ show · esc quit" } },
      },
      { input, output, signal: escape.signal, clearPromptOnDone: true },
    );
    return { picked: items[index]!.value };
  } catch (err) {
    const name = (err as Error | undefined)?.name;
    if (name === "AbortPromptError") return { cancelled: "escape" };
    if (name === "ExitPromptError" || name === "CancelPromptError") return { cancelled: "interrupt" };
    throw err;
  } finally {
    input.removeListener("keypress", onKey);
  }
}
