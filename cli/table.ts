/**
 * The one table renderer of the CLI: left-aligned columns separated by two spaces, an optional
 * header row (bold on a colour terminal) with an optional rule under it.
 *
 * On a terminal the table fits the terminal's width: the free-text column (the one named by
 * `flex`, else the widest) is cut, its long cells ending in `…`. Into a pipe or a file nothing is
 * ever cut, so scripts see every character.
 */
import { stripVTControlCharacters } from "node:util";
import { paint } from "./colour.js";

export interface TableOptions {
  /** Column titles, drawn first. */
  header?: readonly string[];
  /** A `----` rule under the header. */
  rule?: boolean;
  /** Put before every line. */
  indent?: string;
  /** The column that gives way when the table is too wide (default: the widest column). */
  flex?: number;
  /** Where the table goes (default: stdout); its width and colour decide the layout. */
  stream?: NodeJS.WritableStream;
  /** The width to fit, overriding the stream's (tests, or text drawn elsewhere). */
  width?: number;
  /** false: never cut, even on a terminal (text meant to be read in full, such as help). */
  fit?: boolean;
}

const GAP = "  ";
/** A cut column keeps at least this many characters, however narrow the terminal. */
const MIN_FLEX_WIDTH = 8;

/** Printed width of a cell (escape codes take no room). */
export function visibleWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}

/** `text` cut to `width` characters, the last one `…` when anything was cut. */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  const plain = [...stripVTControlCharacters(text)];
  return width <= 0 ? "" : `${plain.slice(0, width - 1).join("")}…`;
}

/** The width a table on `stream` must fit, or undefined when it may be as wide as it likes. */
export function terminalWidth(stream: NodeJS.WritableStream): number | undefined {
  const tty = stream as NodeJS.WriteStream;
  return tty.isTTY === true && tty.columns > 0 ? tty.columns : undefined;
}

export function table(rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const stream = options.stream ?? process.stdout;
  const header = options.header;
  const all = header ? [header, ...rows] : rows;
  const columns = Math.max(0, ...all.map((r) => r.length));
  if (columns === 0) return "";
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...all.map((r) => visibleWidth(r[i] ?? ""))));
  const indent = options.indent ?? "";

  // Too wide for the terminal: the free-text column gives up what is missing.
  const limit = options.fit === false ? undefined : (options.width ?? terminalWidth(stream));
  const total = indent.length + widths.reduce((a, b) => a + b, 0) + GAP.length * (columns - 1);
  let cutColumn = -1;
  if (limit !== undefined && total > limit) {
    cutColumn = options.flex ?? widths.indexOf(Math.max(...widths));
    const flexWidth = widths[cutColumn] ?? 0;
    widths[cutColumn] = Math.max(Math.min(MIN_FLEX_WIDTH, flexWidth), flexWidth - (total - limit));
  }

  const line = (row: readonly string[], isHeader: boolean) =>
    indent +
    Array.from({ length: columns }, (_, i) => {
      let cell = row[i] ?? "";
      if (i === cutColumn) cell = truncate(cell, widths[i] ?? 0);
      const last = i === columns - 1;
      const padded = last ? cell : cell + " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(cell)));
      return isHeader ? paint(stream, "header", padded) : padded;
    })
      .join(GAP)
      .trimEnd();

  const lines: string[] = [];
  if (header) {
    lines.push(line(header, true));
    if (options.rule) lines.push(indent + widths.map((w) => "-".repeat(w)).join(GAP));
  }
  for (const row of rows) lines.push(line(row, false));
  return lines.join("\n");
}
