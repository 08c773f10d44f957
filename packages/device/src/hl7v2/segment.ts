import type { Hl7Segment } from './message.js';

/** Lines with more fields than this are split whole instead of indexed. */
const MAX_INDEXED_FIELDS = 255;

/**
 * Where the fields of one segment start, shared by every segment: `FIELD_STARTS[n]` is the
 * offset of field n in the line of `indexed` (field 0 is the id), for `n < indexedCount`. Readers
 * take one field at a time from one segment at a time, so one index (no allocation) is enough; it
 * is rebuilt when another segment is read.
 */
const FIELD_STARTS = new Int32Array(MAX_INDEXED_FIELDS);
let indexed: ParsedSegment | undefined;
let indexedCount = 0;

/**
 * A segment as the parser returns it: it keeps its raw line and splits it into `fields` on first
 * access (then cached). {@link rawField} reads one field without splitting the line. `fields` is
 * an accessor, so a spread (`{ ...segment }`) does not copy it; `JSON.stringify` does (`toJSON`).
 *
 * Internal: callers see {@link Hl7Segment}. (A class rather than an object literal also keeps V8
 * from allocating segments in the old generation, see parse.ts.)
 */
export class ParsedSegment implements Hl7Segment {
  #fields: readonly string[] | undefined;
  readonly #line: string;
  readonly #separator: string;

  /**
   * @param line The segment's line, starting with its 3-character id.
   * @param separator The field separator (MSH-1).
   * @param fields The split line when the parser already has it (MSH, lines with escapes).
   */
  constructor(
    readonly id: string,
    readonly index: number,
    line: string,
    separator: string,
    fields?: readonly string[],
  ) {
    this.#line = line;
    this.#separator = separator;
    this.#fields = fields;
  }

  /** The raw (still escaped) fields, HL7-numbered (see {@link Hl7Segment.fields}). */
  get fields(): readonly string[] {
    if (this.#fields === undefined) this.#fields = this.#line.split(this.#separator);
    return this.#fields;
  }

  /** The raw text of field `n` (HL7 numbering), empty when the segment has fewer fields. */
  field(n: number): string {
    const fields = this.#fields;
    if (fields !== undefined) return fields[n] ?? '';
    if (indexed !== this && !this.#indexFields()) return this.fields[n] ?? '';
    if (n >= indexedCount || n < 0 || (n | 0) !== n) return '';
    const start = FIELD_STARTS[n] as number;
    const end = n + 1 < indexedCount ? (FIELD_STARTS[n + 1] as number) - 1 : this.#line.length;
    return start === end ? '' : this.#line.slice(start, end);
  }

  /** The same shape as a plain `{ id, index, fields }` segment. */
  toJSON(): { id: string; index: number; fields: readonly string[] } {
    return { id: this.id, index: this.index, fields: this.fields };
  }

  /** Fills FIELD_STARTS for this segment; false when it has too many fields. */
  #indexFields(): boolean {
    const line = this.#line;
    const fs = this.#separator;
    let count = 1;
    FIELD_STARTS[0] = 0;
    for (let i = line.indexOf(fs); i !== -1; i = line.indexOf(fs, i + 1)) {
      if (count === MAX_INDEXED_FIELDS) {
        indexed = undefined;
        return false;
      }
      FIELD_STARTS[count++] = i + 1;
    }
    indexed = this;
    indexedCount = count;
    return true;
  }
}

/**
 * The raw (still escaped) text of field `n` of a segment (HL7 numbering); empty when absent.
 * Does not split a parsed segment's line.
 */
export function rawField(segment: Hl7Segment, n: number): string {
  return segment instanceof ParsedSegment ? segment.field(n) : (segment.fields[n] ?? '');
}
