/**
 * How every YAML file swamp writes is serialized. swamp's own reader (YAML 1.1 rules) turns a
 * plain `2026-01-02T03:04:05Z` into a date and `yes`/`on`/`n` into booleans, and its schemas
 * then reject the file; emitting with the 1.1 schema quotes every such string, so both
 * programs read back exactly what was written. Our reader (YAML 1.2 core) keeps plain
 * timestamps as strings, so files written either way load here.
 *
 * The files a run writes (output records, evaluated definitions, definitions, workflow run
 * records) are small trees of plain data. Those are emitted here directly, in the layout the
 * `yaml` library uses, at a fraction of its cost; anything else (multi-line strings, which read
 * better as block scalars, cycles, class instances, numbers whose text YAML 1.1 reads
 * differently) goes through the library. An object met twice is written out twice (the library
 * would alias it); both read back equal. fromYaml reads that layout back the same way.
 */
import { parse, stringify } from "yaml";

export function toYaml(value: unknown): string {
  return plainDataYaml(value) ?? stringify(value, { version: "1.1", lineWidth: 0 });
}

/**
 * Parses YAML as `parse` from the `yaml` library does (YAML 1.2 core). Files in the layout
 * toYaml writes for plain data are read directly; anything else (comments, block scalars,
 * anchors, flow collections, other indentation) goes through the library, which also gives
 * the errors.
 */
export function fromYaml(text: string): unknown {
  const plain = parsePlainDataYaml(text);
  return plain === undefined ? parse(text) : plain;
}

// ---- scalars ----

const RESERVED_PLAIN = new Set(["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", ""]);
const PLAIN_CHARS = /^[A-Za-z0-9_.][A-Za-z0-9_\-./@+=:, ]*$/;
/** `.inf`, `.nan` (numbers), `...` (end of document). */
const DOT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|\.\.\.)/;
const NUMBER_LIKE = /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$/;
const RADIX_LIKE = /^[-+]?0(?:x[0-9a-fA-F_]+|o[0-7_]+|b[01_]+)$/i;
const SEXAGESIMAL_LIKE = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const DATE_LIKE = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/;

/** True when a plain `s` would read as something else under YAML 1.1 or 1.2: a boolean, null, number or date, or a document marker. */
function readsAsOtherThanString(s: string): boolean {
  return RESERVED_PLAIN.has(s.toLowerCase()) || DOT_SPECIAL.test(s) || NUMBER_LIKE.test(s) || RADIX_LIKE.test(s) || SEXAGESIMAL_LIKE.test(s) || DATE_LIKE.test(s);
}

/** True when `s` can be written as a plain YAML scalar and reads back as the same string under YAML 1.1 and 1.2. */
export function isPlainSafe(s: string): boolean {
  if (!PLAIN_CHARS.test(s)) return false;
  if (s.endsWith(" ") || s.endsWith(":") || s.includes(": ") || s.includes(" #") || s.includes(", ")) return false;
  return !readsAsOtherThanString(s);
}

/**
 * Characters JSON leaves raw that a YAML reader must not see raw: C1 controls and DEL are not
 * printable in YAML, and NEL, LS and PS are line breaks in YAML 1.1 (folded to a space inside
 * quotes). `\uXXXX` is an escape in both JSON and YAML double-quoted strings.
 */
const RAW_IN_JSON = /[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g;
const RAW_CHAR = new RegExp(RAW_IN_JSON.source);

/** A YAML scalar for a string: plain when unambiguous, else double-quoted with JSON escapes (all valid in YAML). */
export function yamlString(s: string): string {
  return isPlainSafe(s) ? s : quoted(s);
}

function quoted(s: string): string {
  return JSON.stringify(s).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Characters a plain value may hold: printable, no tab, no YAML 1.1 line break, no byte-order mark, no lone surrogate. */
const PRINTABLE = /^[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]+$/;
/** Indicators a plain scalar cannot start with (`-`, `?` and `:` can, when no space follows). */
const INDICATORS = "[]{},#&*!|>'\"%@`";

/**
 * True when `s` can be a plain value (not a key) in block context, as the `yaml` library writes
 * values: besides what isPlainSafe allows, quotes, brackets, `$`, `|`, `, ` and such inside,
 * which only matter in flow context. Shell commands and `${{ … }}` expressions stay unquoted.
 */
function isPlainValue(s: string): boolean {
  if (isPlainSafe(s)) return true;
  if (!PRINTABLE.test(s) || s !== s.trim()) return false;
  const first = s[0] as string;
  if (INDICATORS.includes(first) || ("-?:".includes(first) && (s.length === 1 || s[1] === " "))) return false;
  if (s.endsWith(":") || s.includes(": ") || s.includes(" #")) return false;
  return !readsAsOtherThanString(s);
}

/** A number's text when YAML 1.1 and 1.2 both read it back as that number: integers, and decimals with a point. */
function numberText(n: number): string | undefined {
  if (!Number.isFinite(n) || Object.is(n, -0)) return undefined;
  const text = String(n);
  return /^-?[0-9]+(?:\.[0-9]+)?$/.test(text) ? text : undefined;
}

// ---- plain data ----

/** Deeper trees go through the library (which handles any depth it can). */
const MAX_DEPTH = 64;

/** Declines (returns undefined) anything but plain data: see the file's comment. */
export function plainDataYaml(value: unknown): string | undefined {
  if (!isCollection(value)) return undefined;
  const lines: string[] = [];
  const empty = emptyCollection(value);
  if (empty !== undefined) return `${empty}\n`;
  return emitCollection(value, "", lines, new Set()) ? `${lines.join("\n")}\n` : undefined;
}

function isCollection(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A scalar's text, or undefined when it is not a scalar this emitter writes. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value.includes("\n") ? undefined : isPlainValue(value) ? value : quoted(value);
  if (typeof value === "number") return numberText(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) return "null";
  return undefined;
}

function emptyCollection(value: Record<string, unknown> | unknown[]): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : undefined;
  for (const key in value) if (value[key] !== undefined) return undefined;
  return "{}";
}

/** Appends a non-empty collection's lines at `indent`. `open` holds its ancestors: a cycle is declined. */
function emitCollection(value: Record<string, unknown> | unknown[], indent: string, lines: string[], open: Set<object>): boolean {
  if (open.has(value) || open.size >= MAX_DEPTH) return false;
  open.add(value);
  const ok = Array.isArray(value) ? emitSequence(value, indent, lines, open) : emitMapping(value, indent, lines, open);
  open.delete(value);
  return ok;
}

function emitMapping(map: Record<string, unknown>, indent: string, lines: string[], open: Set<object>): boolean {
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) continue;
    // YAML limits an implicit key to 1024 characters.
    if (key.includes("\n") || key.length > 1000) return false;
    const head = `${indent}${yamlString(key)}:`;
    if (!isCollection(value)) {
      const text = scalarText(value);
      if (text === undefined) return false;
      lines.push(`${head} ${text}`);
      continue;
    }
    const empty = emptyCollection(value);
    if (empty !== undefined) {
      lines.push(`${head} ${empty}`);
      continue;
    }
    lines.push(head);
    if (!emitCollection(value, `${indent}  `, lines, open)) return false;
  }
  return true;
}

function emitSequence(items: unknown[], indent: string, lines: string[], open: Set<object>): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isCollection(item)) {
      const text = scalarText(item);
      if (text === undefined) return false;
      lines.push(`${indent}- ${text}`);
      continue;
    }
    const empty = emptyCollection(item);
    if (empty !== undefined) {
      lines.push(`${indent}- ${empty}`);
      continue;
    }
    // A collection in a sequence starts on the dash's line: emitted one level in, its first
    // line's indent becomes the dash.
    const first = lines.length;
    if (!emitCollection(item, `${indent}  `, lines, open)) return false;
    lines[first] = `${indent}- ${(lines[first] as string).slice(indent.length + 2)}`;
  }
  return true;
}

// ---- reading plain data back ----

interface Cursor {
  lines: string[];
  at: number;
}

/**
 * The value of a document in the layout plainDataYaml writes, or undefined for any other text.
 * Each scalar is accepted only in a form YAML 1.2 core reads one way: the value is then what
 * the library would return, and anything in doubt is declined rather than guessed.
 */
export function parsePlainDataYaml(text: string): unknown {
  if (!text.endsWith("\n") || text.includes("\r") || text.includes("\t")) return undefined;
  const lines = text.slice(0, -1).split("\n");
  if (lines.length === 1 && (lines[0] === "{}" || lines[0] === "[]")) return lines[0] === "{}" ? {} : [];
  const cursor: Cursor = { lines, at: 0 };
  const value = readCollection(cursor, 0);
  return cursor.at === lines.length ? value : undefined;
}

function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 32) n++;
  return n;
}

/** A mapping or sequence whose lines start at exactly `indent` spaces (deeper than the emitter goes: declined). */
function readCollection(cursor: Cursor, indent: number): unknown {
  const line = cursor.lines[cursor.at];
  if (line === undefined || indentOf(line) !== indent || indent > 2 * MAX_DEPTH) return undefined;
  return line.startsWith("- ", indent) ? readSequence(cursor, indent) : readMapping(cursor, indent);
}

function readSequence(cursor: Cursor, indent: number): unknown[] | undefined {
  const items: unknown[] = [];
  for (;;) {
    const line = cursor.lines[cursor.at];
    if (line === undefined || indentOf(line) < indent) return items;
    // Deeper lines are nested collections (read below) or the continuation of a plain scalar: declined.
    if (indentOf(line) > indent || !line.startsWith("- ", indent)) return undefined;
    const item = line.slice(indent + 2);
    if (startsCollection(item)) {
      // A collection that starts on the dash's line: read as if the dash were indentation.
      cursor.lines[cursor.at] = `${" ".repeat(indent + 2)}${item}`;
      const value = readCollection(cursor, indent + 2);
      if (value === undefined) return undefined;
      items.push(value);
      continue;
    }
    const value = scalarValue(item);
    if (value === undefined) return undefined;
    items.push(value);
    cursor.at++;
  }
}

/** Whether a sequence item's text opens a nested mapping (`key: …`) or sequence (`- …`) rather than being a scalar. */
function startsCollection(item: string): boolean {
  if (item.startsWith("- ")) return true;
  return splitKey(item) !== undefined;
}

/** `key: rest` (rest may be empty): the key's text and the rest, or undefined when the line is no mapping entry. */
function splitKey(line: string): [string, string] | undefined {
  let end: number;
  if (line.startsWith('"')) {
    end = closingQuote(line);
    if (end < 0) return undefined;
    end++;
  } else {
    end = line.indexOf(":");
    while (end >= 0 && end + 1 < line.length && line[end + 1] !== " ") end = line.indexOf(":", end + 1);
    if (end < 0) return undefined;
  }
  if (line[end] !== ":") return undefined;
  if (end + 1 === line.length) return [line.slice(0, end), ""];
  return line[end + 1] === " " ? [line.slice(0, end), line.slice(end + 2)] : undefined;
}

/** The index of the `"` that closes the double-quoted scalar `line` starts with, or -1. */
export function closingQuote(line: string): number {
  for (let i = 1; i < line.length; i++) {
    if (line[i] === "\\") i++;
    else if (line[i] === '"') return i;
  }
  return -1;
}

function readMapping(cursor: Cursor, indent: number): Record<string, unknown> | undefined {
  const map: Record<string, unknown> = {};
  for (;;) {
    const line = cursor.lines[cursor.at];
    if (line === undefined || indentOf(line) < indent) return map;
    if (indentOf(line) > indent) return undefined;
    const entry = splitKey(line.slice(indent));
    if (!entry) return undefined;
    const key = keyText(entry[0]);
    if (key === undefined || key === "__proto__" || Object.hasOwn(map, key)) return undefined;
    if (entry[1] === "") {
      // The value is the collection on the following lines, two spaces deeper.
      cursor.at++;
      const value = readCollection(cursor, indent + 2);
      if (value === undefined) return undefined;
      map[key] = value;
      continue;
    }
    const value = scalarValue(entry[1]);
    if (value === undefined) return undefined;
    map[key] = value;
    cursor.at++;
  }
}

function keyText(raw: string): string | undefined {
  if (raw.startsWith('"')) return quotedText(raw);
  return isPlainSafe(raw) ? raw : undefined;
}

/** A double-quoted scalar whose escapes are all JSON's (the rest, like `\x41`, go to the library). */
function quotedText(raw: string): string | undefined {
  if (raw.length < 2 || !raw.endsWith('"') || closingQuote(raw) !== raw.length - 1) return undefined;
  if (RAW_CHAR.test(raw)) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

const INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
const DECIMAL = /^-?(?:0|[1-9][0-9]*)\.[0-9]+$/;

function scalarValue(raw: string): unknown {
  if (raw === "{}") return {};
  if (raw === "[]") return [];
  if (raw.startsWith('"')) return quotedText(raw);
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (raw === "null") return null;
  if (INTEGER.test(raw)) {
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (DECIMAL.test(raw)) return Number(raw);
  return isPlainValue(raw) ? raw : undefined;
}
