/**
 * What most commands need from a model's journal, kept small and saved beside it, so they cost
 * the same however long the model's history is.
 *
 * Claiming a version heals the journal against that name's directory (index.ts, "Heal on
 * write"), which needs only which versions the journal knows for the name and which it
 * announced as pending; `data list` needs only each name's latest record. Folding the whole
 * journal to learn them grows with every version ever written: 5,000 runs of one model make an
 * 11 MB journal and cost each later run ~200 ms. The tip (`.index-tip.json` in the model
 * directory) holds the version sets as ranges and each name's latest record, with the journal
 * position they were folded to (inode, `gen`, byte offset), and a reader folds only the lines
 * appended since.
 *
 * Speed only, like every index file: a tip that does not parse, names another journal file or
 * generation, or ends anywhere but at a line's end is ignored, and a full fold replaces it.
 * Hidden, so sync never carries it; bounded, so a hostile one cannot make a writer loop.
 */
import type { JournalOp } from "./index.js";
import type { DataMetadata } from "./metadata.js";

export const TIP_FILE = ".index-tip.json";
const TIP_FORMAT = 1;
/** A tip is rewritten once this many journal bytes were folded past it. */
export const TIP_REWRITE_BYTES = 64 * 1024;
/** Past these a tip is refused (and the journal folded in full), so no loop over it runs away. */
const MAX_VERSION = 2 ** 31;
const MAX_KNOWN = 1_000_000;
const MAX_TIP_BYTES = 8 * 1024 * 1024;

/** A set of version numbers as sorted, disjoint, non-adjacent [first, last] ranges (flat). */
export class VersionRanges {
  private readonly bounds: number[];
  private count: number;

  private constructor(bounds: number[], count: number) {
    this.bounds = bounds;
    this.count = count;
  }

  static empty(): VersionRanges {
    return new VersionRanges([], 0);
  }

  static of(versions: Iterable<number>): VersionRanges {
    const set = VersionRanges.empty();
    for (const v of [...versions].sort((a, b) => a - b)) set.add(v);
    return set;
  }

  /** From saved bounds, or null unless they are sorted, disjoint, non-adjacent safe versions. */
  static fromBounds(bounds: unknown): VersionRanges | null {
    if (!Array.isArray(bounds) || bounds.length % 2 !== 0) return null;
    let count = 0;
    let prev = -1;
    for (let i = 0; i < bounds.length; i += 2) {
      const first = bounds[i] as unknown;
      const last = bounds[i + 1] as unknown;
      if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) return null;
      const a = first as number;
      const b = last as number;
      if (a < 1 || b < a || b > MAX_VERSION || a <= prev + 1) return null;
      count += b - a + 1;
      prev = b;
    }
    return count > MAX_KNOWN ? null : new VersionRanges(bounds.slice() as number[], count);
  }

  get size(): number {
    return this.count;
  }

  /** The highest version, or 0 when empty. */
  max(): number {
    return this.bounds.length === 0 ? 0 : this.bounds[this.bounds.length - 1]!;
  }

  /** Index of the range holding `v`, or -(insertion point) - 1. */
  private find(v: number): number {
    let lo = 0;
    let hi = this.bounds.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (v < this.bounds[2 * mid]!) hi = mid - 1;
      else if (v > this.bounds[2 * mid + 1]!) lo = mid + 1;
      else return mid;
    }
    return -lo - 1;
  }

  has(v: number): boolean {
    return this.find(v) >= 0;
  }

  add(v: number): void {
    const at = this.find(v);
    if (at >= 0) return;
    const i = -at - 1;
    const b = this.bounds;
    const joinsLeft = i > 0 && b[2 * i - 1] === v - 1;
    const joinsRight = 2 * i < b.length && b[2 * i] === v + 1;
    if (joinsLeft && joinsRight) b.splice(2 * i - 1, 2);
    else if (joinsLeft) b[2 * i - 1] = v;
    else if (joinsRight) b[2 * i] = v;
    else b.splice(2 * i, 0, v, v);
    this.count++;
  }

  delete(v: number): void {
    const at = this.find(v);
    if (at < 0) return;
    const b = this.bounds;
    const first = b[2 * at]!;
    const last = b[2 * at + 1]!;
    if (first === last) b.splice(2 * at, 2);
    else if (v === first) b[2 * at] = v + 1;
    else if (v === last) b[2 * at + 1] = v - 1;
    else b.splice(2 * at + 1, 0, v - 1, v + 1);
    this.count--;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let i = 0; i < this.bounds.length; i += 2) for (let v = this.bounds[i]!; v <= this.bounds[i + 1]!; v++) yield v;
  }

  toJSON(): number[] {
    return this.bounds;
  }
}

/** Where in which journal file a tip was folded to. */
export interface JournalPosition {
  ino: number;
  gen: string;
  offset: number;
}

/** A small fold of one journal: per name, the versions it knows, those pending, and the latest record. */
export class ModelTip {
  readonly known = new Map<string, VersionRanges>();
  readonly pending = new Map<string, Set<number>>();
  /** The record of each name's highest known version, where the tip holds it (not after that version's `del`). */
  readonly latest = new Map<string, DataMetadata>();
  position: JournalPosition;
  /** Built by a full fold of the journal in this process, not read from a tip. */
  readonly verified: boolean;
  /** The offset of the tip on disk (-1: none), to know when it is worth rewriting. */
  savedOffset = -1;

  constructor(position: JournalPosition, verified = false) {
    this.position = position;
    this.verified = verified;
  }

  /** The same rules as ModelFold.apply (index.ts), keeping only the latest record of each name. */
  apply(op: JournalOp): void {
    if (op.op === "init") return;
    if (op.op === "pending") {
      if (this.known.get(op.name)?.has(op.version)) return;
      let versions = this.pending.get(op.name);
      if (!versions) this.pending.set(op.name, (versions = new Set()));
      versions.add(op.version);
      return;
    }
    if (op.op === "drop") {
      this.pending.delete(op.name);
      this.known.delete(op.name);
      this.latest.delete(op.name);
      return;
    }
    const pending = this.pending.get(op.name);
    if (pending?.delete(op.version) && pending.size === 0) this.pending.delete(op.name);
    if (op.op === "put") {
      const { op: _op, ...meta } = op;
      let versions = this.known.get(op.name);
      if (!versions) this.known.set(op.name, (versions = VersionRanges.empty()));
      versions.add(op.version);
      if (op.version === versions.max()) this.latest.set(op.name, meta as DataMetadata);
    } else {
      const versions = this.known.get(op.name);
      versions?.delete(op.version);
      if (versions?.size === 0) this.known.delete(op.name);
      if (this.latest.get(op.name)?.version !== versions?.max()) this.latest.delete(op.name);
    }
  }

  toText(): string {
    const pending: Record<string, number[]> = {};
    for (const [name, versions] of this.pending) pending[name] = [...versions];
    return JSON.stringify({ v: TIP_FORMAT, ...this.position, known: Object.fromEntries(this.known), pending, latest: Object.fromEntries(this.latest) });
  }

  /**
   * A saved tip, or null when it is not one this code wrote (then the journal is folded in
   * full). `isRecord` checks a latest record as the journal checks a `put` line's.
   */
  static parse(text: string, isRecord: (value: unknown) => boolean): ModelTip | null {
    if (text.length > MAX_TIP_BYTES) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return null;
    }
    if (typeof raw !== "object" || raw === null) return null;
    const t = raw as Record<string, unknown>;
    if (t.v !== TIP_FORMAT || !Number.isSafeInteger(t.ino) || typeof t.gen !== "string" || t.gen === "" || !Number.isSafeInteger(t.offset) || (t.offset as number) < 0) return null;
    if (!isObject(t.known) || !isObject(t.pending) || !isObject(t.latest)) return null;
    const tip = new ModelTip({ ino: t.ino as number, gen: t.gen, offset: t.offset as number });
    let total = 0;
    for (const [name, bounds] of Object.entries(t.known)) {
      const versions = VersionRanges.fromBounds(bounds);
      if (!versions || versions.size === 0 || (total += versions.size) > MAX_KNOWN) return null;
      tip.known.set(name, versions);
    }
    for (const [name, list] of Object.entries(t.pending)) {
      if (!Array.isArray(list) || list.length === 0 || (total += list.length) > MAX_KNOWN) return null;
      if (!list.every((v) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_VERSION)) return null;
      tip.pending.set(name, new Set(list as number[]));
    }
    for (const [name, record] of Object.entries(t.latest)) {
      if (!isRecord(record) || (record as DataMetadata).name !== name || (record as DataMetadata).version !== tip.known.get(name)?.max()) return null;
      tip.latest.set(name, record as DataMetadata);
    }
    tip.savedOffset = tip.position.offset;
    return tip;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
