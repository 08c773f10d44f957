/**
 * A bounded set of strings that forgets the oldest first: at most `maxTexts` strings of at most
 * `maxChars` UTF-16 code units in all (a longer string is never kept). Two generations: strings go
 * into the young one; when it holds half the bounds it becomes the old one and the previous old
 * one is dropped. O(1) per call, no per-string bookkeeping.
 * @internal
 */
export interface TextMemo {
  has(text: string): boolean;
  add(text: string): void;
  /** How many strings it holds (at most `maxTexts`). */
  readonly size: number;
}

/**
 * Creates a {@link TextMemo}.
 * @throws {RangeError} when a bound is not a safe integer ≥ 2.
 * @internal
 */
export function createTextMemo(maxTexts: number, maxChars: number): TextMemo {
  for (const [what, bound] of [
    ['maxTexts', maxTexts],
    ['maxChars', maxChars],
  ] as const) {
    if (!Number.isSafeInteger(bound) || bound < 2) {
      throw new RangeError(`${what} must be a safe integer ≥ 2, got ${bound}`);
    }
  }
  const textsPerGeneration = Math.floor(maxTexts / 2);
  const charsPerGeneration = Math.floor(maxChars / 2);
  let young = new Set<string>();
  let youngChars = 0;
  let old = new Set<string>();
  return {
    has: (text) => young.has(text) || old.has(text),
    add(text) {
      if (text.length > charsPerGeneration || young.has(text)) return;
      if (young.size >= textsPerGeneration || youngChars + text.length > charsPerGeneration) {
        old = young;
        young = new Set();
        youngChars = 0;
      }
      young.add(text);
      youngChars += text.length;
    },
    get size() {
      return young.size + old.size;
    },
  };
}
