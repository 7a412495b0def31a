/**
 * "Did you mean …?" suggestions: the closest known word by edit distance, or nothing when no
 * word is close enough to be a plausible typo.
 */

/** Optimal-string-alignment distance: edits, with a swap of neighbours counting as one. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_r, i) =>
    Array.from({ length: b.length + 1 }, (_c, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The option closest to `word` (case differences are free), or undefined when even the best one
 * needs more than about a third of the word's letters changed.
 */
export function closestMatch(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const option of options) {
    const score = option.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, option);
    if (score < bestScore) {
      best = option;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Up to `limit` options close enough to `word` to be a plausible typo (the same threshold as
 * closestMatch), nearest first; options that start with `word` count as close too.
 */
export function nearestMatches(word: string, options: readonly string[], limit = 3): string[] {
  const lower = word.toLowerCase();
  const threshold = Math.max(1, Math.floor(word.length / 3));
  return [...new Set(options)]
    .map((option) => {
      const o = option.toLowerCase();
      const score = o === lower ? 0 : lower.length >= 2 && o.startsWith(lower) ? 1 : editDistance(lower, o);
      return { option, score };
    })
    .filter((c) => c.score <= threshold)
    .sort((a, b) => a.score - b.score || a.option.localeCompare(b.option))
    .slice(0, limit)
    .map((c) => c.option);
}

/** `'a'`, `'a' or 'b'`, `one of 'a', 'b' or 'c'`: the tail of a "did you mean" line. */
export function quotedChoices(options: readonly string[]): string {
  const q = options.map((o) => `'${o}'`);
  if (q.length <= 1) return q.join("");
  return `${q.length > 2 ? "one of " : ""}${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
}

/**
 * The known types nearest to `typed` (a model, vault, driver… type): compared whole and by their
 * last segment, ignoring a leading `@`, so `shel` and `command/shel` both find `command/shell`.
 */
export function nearestTypes(typed: string, types: readonly string[], limit = 3): string[] {
  const bare = (t: string) => t.replace(/^@/, "").toLowerCase();
  const last = (t: string) => bare(t).split(/\/|::/).pop() ?? "";
  const word = bare(typed);
  const threshold = Math.max(1, Math.floor(word.length / 3));
  return [...new Set(types)]
    .map((type) => ({ type, score: Math.min(editDistance(word, bare(type)), word.includes("/") ? Infinity : editDistance(word, last(type))) }))
    .filter((c) => c.score <= threshold)
    .sort((a, b) => a.score - b.score || a.type.localeCompare(b.type))
    .slice(0, limit)
    .map((c) => c.type);
}
