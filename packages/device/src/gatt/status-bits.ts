/**
 * Status bit fields (BP Measurement Status, Glucose Sensor Status Annunciation, PLX Measurement
 * Status, PLX Device and Sensor Status): raw integer ↔ named flags.
 *
 * @module
 */

/** A table of single-bit flags: `[bit index, name]`. */
export type BitTable<Name extends string> = readonly (readonly [number, Name])[];

/** The mask of the bits a table defines. */
export function definedMask(table: BitTable<string>): number {
  let mask = 0;
  for (const [bit] of table) mask |= 1 << bit;
  return mask;
}

const NONE: readonly never[] = Object.freeze([]);

/** The names of the set bits of `raw`, in bit order (a shared frozen empty array when none is set). */
export function namesOfBits<Name extends string>(raw: number, table: BitTable<Name>): readonly Name[] {
  const names: Name[] = [];
  for (let i = 0; i < table.length; i++) {
    const entry = table[i] as readonly [number, Name];
    if ((raw >> entry[0]) & 1) names.push(entry[1]);
  }
  return names.length === 0 ? NONE : names;
}

/** Every flag of `table` as a boolean. */
export function recordOfBits<Name extends string>(raw: number, table: BitTable<Name>): Record<Name, boolean> {
  const record = {} as Record<Name, boolean>;
  for (const [bit, name] of table) record[name] = ((raw >> bit) & 1) === 1;
  return record;
}

/** The raw bits of a list of names, or the first unknown name. */
export function bitsOfNames<Name extends string>(
  names: readonly string[],
  table: BitTable<Name>,
): { bits: number } | { unknown: string } {
  let bits = 0;
  for (const name of names) {
    const entry = table.find(([, n]) => n === name);
    if (entry === undefined) return { unknown: String(name) };
    bits |= 1 << entry[0];
  }
  return { bits };
}

/** The raw bits of a record of booleans (missing names count as false), or the first unknown name. */
export function bitsOfRecord<Name extends string>(
  record: Readonly<Partial<Record<string, boolean>>>,
  table: BitTable<Name>,
): { bits: number } | { unknown: string } {
  let bits = 0;
  for (const [name, set] of Object.entries(record)) {
    const entry = table.find(([, n]) => n === name);
    if (entry === undefined) return { unknown: name };
    if (set === true) bits |= 1 << entry[0];
  }
  return { bits };
}
