/**
 * Stack frames in an extension's bundle name the TypeScript the user wrote: the bundle carries
 * an inline source map (plugins/bundle.ts), read here when a stack is formatted. Node's own
 * support (`process.setSourceMapsEnabled`) decodes and indexes a module's map as it compiles
 * the module, on every run and in proportion to the bundle (its map holds the sources), for
 * stacks most runs never format.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

const INLINE_MAP = "//# sourceMappingURL=data:application/json;base64,";

/** Bundle URL (as stack frames name it; one per load) → the bundle file. */
const bundles = new Map<string, string>();
/** Bundle file → its map, once a stack needed it (null: none usable). Loads of one file share it. */
const maps = new Map<string, SourceMap | null>();

/**
 * Maps the frames of the bundle loaded from `url` (read from `path`) in every stack formatted
 * from now on in this thread. Installs the formatter again on each load: an instance starts
 * with it even if an earlier one in the same thread replaced `Error.prepareStackTrace`.
 */
export function mapBundleStacks(url: string, path: string): void {
  bundles.set(url, path);
  Error.prepareStackTrace = formatStack;
}

/** V8's stack text (the error's `toString`, then a line per frame), with bundle frames mapped. */
function formatStack(error: Error, frames: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = "<error>";
  }
  return header + frames.map((frame) => `\n    at ${frameText(frame)}`).join("");
}

/** The frame as V8 writes it, with a bundle location replaced by the source's (never throws: `error.stack` must not). */
function frameText(frame: NodeJS.CallSite): string {
  const text = String(frame);
  try {
    return mappedFrameText(frame, text);
  } catch {
    return text;
  }
}

function mappedFrameText(frame: NodeJS.CallSite, text: string): string {
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  const path = file ? bundles.get(file) : undefined;
  if (path === undefined || line === null || column === null) return text;
  if (!maps.has(path)) maps.set(path, readInlineMap(path, file!));
  // Map lines and columns count from 0, a stack's from 1.
  const entry = maps.get(path)?.findEntry(line - 1, column - 1);
  if (!entry || !("originalSource" in entry) || !entry.originalSource) return text;
  const generated = `${file}:${line}:${column}`;
  const at = text.lastIndexOf(generated);
  if (at < 0) return text;
  const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : entry.originalSource;
  return `${text.slice(0, at)}${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}${text.slice(at + generated.length)}`;
}

/** The bundle's inline map, its sources made absolute (against `sourceRoot`, then the bundle's URL); null if it has none or it does not parse. */
function readInlineMap(path: string, url: string): SourceMap | null {
  try {
    const text = readFileSync(path, "latin1");
    const at = text.lastIndexOf(INLINE_MAP);
    if (at < 0) return null;
    const payload = JSON.parse(Buffer.from(text.slice(at + INLINE_MAP.length).trim(), "base64").toString("utf8")) as { sources?: unknown; sourceRoot?: unknown };
    if (!Array.isArray(payload.sources)) return null;
    const root = typeof payload.sourceRoot === "string" ? payload.sourceRoot : "";
    payload.sources = payload.sources.map((s) => (typeof s === "string" ? new URL(root + s, url).href : s));
    return new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return null; // an unreadable or malformed map leaves the frames as V8 wrote them
  }
}
