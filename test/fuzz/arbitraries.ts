/**
 * Generators shared by the fuzz tests: structure-aware mutations of valid inputs (JSON values,
 * byte strings, text) and hostile random input (random bytes and JSON, huge numbers, long strings,
 * deep nesting).
 */
import fc from 'fast-check';

/** Values picked to sit on the edges of schemas and parsers. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1,
    0.5,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e308,
    -1e308,
    5e-324,
    '',
    ' ',
    '0',
    '-1',
    '1e999',
    'NaN',
    'null',
    'true',
    '__proto__',
    'constructor',
    '\u0000',
    '\n',
    '\ud800',
    '\u202e',
    'ééé',
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    '0'.repeat(64),
    'x'.repeat(10_000),
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);

/** Random JSON, shallow: most parsers stop at the first level. */
export const randomJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileScalar, weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: fc.array(hostileScalar, { maxLength: 4 }), weight: 1 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), hostileScalar, { maxKeys: 4 }), weight: 1 },
);

/** `depth` nested arrays (or objects) around `inner`: stack-overflow bait for recursive walkers. */
export function nested(depth: number, object: boolean, inner: unknown = 0): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = object ? { a: v } : [v];
  return v;
}

/**
 * Deeply nested values: 100 or 1 000 levels (deeper values cannot even be cloned or stringified on
 * a test worker's stack; {@link deepJsonText} goes deeper, as text).
 */
export const deepJson: fc.Arbitrary<unknown> = fc
  .record({ depth: fc.constantFrom(100, 1_000), object: fc.boolean() })
  .map(({ depth, object }) => nested(depth, object));

/** JSON text nested 1 000 to 50 000 levels deep, as UTF-8: for parsers of bytes or text. */
export const deepJsonText: fc.Arbitrary<Uint8Array> = fc.constantFrom(
  ...[1_000, 10_000, 50_000].flatMap((depth) =>
    [`${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`, '['.repeat(depth) + ']'.repeat(depth)].map((text) =>
      new TextEncoder().encode(text),
    ),
  ),
);

type Path = readonly (string | number)[];

const DEEP_MARK = '\u0000deep\u0000';

/**
 * JSON text (UTF-8) of a valid value (one of `templates`) with a value nested 1 000 to 50 000
 * levels deep (arrays, or objects) inside it: at a random path, or added under a new key of a
 * random object. {@link deepJsonText} is deep at the root, where most parsers stop at once; this
 * reaches the schemas that recurse into a message's members (command parameters, custom fields,
 * bodies). Such values cannot be built as objects on a test worker's stack: only as text.
 */
export function deepJsonTextInside(templates: readonly unknown[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      t: fc.nat({ max: templates.length - 1 }),
      at: fc.nat(),
      depth: fc.constantFrom(1_000, 10_000, 50_000),
      object: fc.boolean(),
      add: fc.boolean(),
    })
    .map(({ t, at, depth, object, add }) => {
      let root = structuredClone(templates[t]);
      const paths = pathsOf(root);
      const objects = paths.filter((p) => {
        const v = getAt(root, p);
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      });
      if (add && objects.length > 0) {
        (getAt(root, objects[at % objects.length] as Path) as Record<string, unknown>).deep = DEEP_MARK;
      } else {
        const inner = paths.length > 1 ? paths.slice(1) : paths; // not the root: that is deepJsonText
        root = setAt(root, inner[at % inner.length] as Path, DEEP_MARK);
      }
      const deep = object
        ? `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`
        : '['.repeat(depth) + ']'.repeat(depth);
      return new TextEncoder().encode(
        (JSON.stringify(root) ?? '').split(JSON.stringify(DEEP_MARK)).join(deep),
      );
    });
}

/** Every path into a JSON value (containers and leaves, at most 24 levels deep), the root first. */
export function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (prefix.length >= 24) return out;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) pathsOf(value[i], [...prefix, i], out);
  } else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** Replaces (or, with `value === DELETE`, removes) what is at `path`; returns the new root. */
function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value === DELETE ? undefined : value;
  const parent = getAt(root, path.slice(0, -1));
  if (typeof parent !== 'object' || parent === null) return root;
  const key = path[path.length - 1] as string | number;
  if (value !== DELETE) (parent as Record<string | number, unknown>)[key] = value;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, unknown>)[key as string];
  return root;
}

const DELETE = Symbol('delete');

/** How a JSON value is changed: one of these at a random path. */
const jsonEdit = fc.oneof(
  { arbitrary: fc.constant({ op: 'delete' as const }), weight: 2 },
  { arbitrary: randomJson.map((value) => ({ op: 'set' as const, value })), weight: 4 },
  { arbitrary: fc.constant({ op: 'wrap' as const }), weight: 1 }, // x → [x]
  { arbitrary: fc.constant({ op: 'stringify' as const }), weight: 1 }, // x → JSON text of x
  { arbitrary: fc.nat().map((other) => ({ op: 'swap' as const, other })), weight: 2 }, // value from another path
  { arbitrary: fc.nat().map((other) => ({ op: 'copy' as const, other })), weight: 1 }, // another path's value added under a new key
  { arbitrary: fc.nat({ max: 60 }).map((bit) => ({ op: 'number' as const, bit })), weight: 2 }, // number ± 2^bit, or a string's char
  { arbitrary: deepJson.map((value) => ({ op: 'set' as const, value })), weight: 1 },
  { arbitrary: fc.constant({ op: 'grow' as const }), weight: 1 }, // a string to 20 000 chars, a small array to 200 items
);
type JsonEdit = typeof jsonEdit extends fc.Arbitrary<infer E> ? E : never;

function applyEdit(root: unknown, at: number, edit: JsonEdit): unknown {
  const paths = pathsOf(root);
  const path = paths[at % paths.length] as Path;
  const current = getAt(root, path);
  switch (edit.op) {
    case 'delete':
      return path.length === 0 ? root : setAt(root, path, DELETE);
    case 'set':
      return setAt(root, path, edit.value);
    case 'wrap':
      return setAt(root, path, [current]);
    case 'stringify':
      return setAt(root, path, JSON.stringify(current) ?? null);
    case 'swap':
      return setAt(root, path, structuredClone(getAt(root, paths[edit.other % paths.length] as Path)));
    case 'copy': {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return root;
      const v = structuredClone(getAt(root, paths[edit.other % paths.length] as Path));
      (current as Record<string, unknown>)[`k${edit.other % 97}`] = v;
      return root;
    }
    case 'number':
      if (typeof current === 'number')
        return setAt(root, path, current + (edit.bit % 2 ? -1 : 1) * 2 ** edit.bit);
      if (typeof current === 'string' && current.length > 0) {
        const i = edit.bit % current.length;
        const c = String.fromCharCode(current.charCodeAt(i) ^ (1 << (edit.bit % 7)));
        return setAt(root, path, current.slice(0, i) + c + current.slice(i + 1));
      }
      return root;
    case 'grow':
      if (typeof current === 'string') return setAt(root, path, current.repeat(1_000).slice(0, 20_000));
      if (Array.isArray(current) && current.length > 0 && JSON.stringify(current).length < 2_000)
        return setAt(
          root,
          path,
          Array.from({ length: 200 }, (_, i) => current[i % current.length]),
        );
      return root;
  }
}

/** The largest mutated JSON value, in characters of JSON text. */
const MAX_JSON_CHARS = 1_000_000;

/** A valid JSON value (one of `templates`) with 1 to `maxEdits` structure-aware edits. */
export function mutatedJson(templates: readonly unknown[], maxEdits = 3): fc.Arbitrary<unknown> {
  return fc
    .record({
      t: fc.nat({ max: templates.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), edit: jsonEdit }), { minLength: 1, maxLength: maxEdits }),
    })
    .map(({ t, edits }) => {
      let v = structuredClone(templates[t]);
      for (const { at, edit } of edits) v = applyEdit(v, at, edit);
      // 'grow' repeats references: grown twice, a value can reach tens of megabytes of JSON. Keep
      // inputs under a megabyte (such an input is one in tens of thousands).
      return (JSON.stringify(v)?.length ?? 0) > MAX_JSON_CHARS ? structuredClone(templates[t]) : v;
    });
}

/** Valid JSON values mutated (mostly), the templates themselves, and random or deep JSON. */
export function jsonInputs(templates: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: mutatedJson(templates), weight: 12 },
    { arbitrary: fc.constantFrom(...templates).map((t) => structuredClone(t)), weight: 1 },
    { arbitrary: randomJson, weight: 2 },
    { arbitrary: deepJson, weight: 1 },
  );
}

/** A byte string changed: bytes set, bits flipped, truncated, extended, a range deleted or duplicated. */
export function mutatedBytes(templates: readonly Uint8Array[], maxEdits = 3): fc.Arbitrary<Uint8Array> {
  const edit = fc.record({
    op: fc.constantFrom('byte', 'bit', 'truncate', 'extend', 'delete', 'duplicate', 'insert'),
    at: fc.nat(),
    n: fc.nat({ max: 255 }),
    extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  });
  return fc
    .record({
      t: fc.nat({ max: templates.length - 1 }),
      edits: fc.array(edit, { minLength: 1, maxLength: maxEdits }),
    })
    .map(({ t, edits }) => {
      let b: Uint8Array = (templates[t] as Uint8Array).slice();
      for (const e of edits) {
        const at = b.length === 0 ? 0 : e.at % (b.length + 1);
        switch (e.op) {
          case 'byte':
            if (b.length > 0) b[at % b.length] = e.n;
            break;
          case 'bit':
            if (b.length > 0) b[at % b.length] = (b[at % b.length] as number) ^ (1 << (e.n % 8));
            break;
          case 'truncate':
            b = b.slice(0, at);
            break;
          case 'extend':
            b = concat(b, e.extra);
            break;
          case 'insert':
            b = concat(b.subarray(0, at), e.extra, b.subarray(at));
            break;
          case 'delete':
            b = concat(b.subarray(0, at), b.subarray(at + 1 + (e.n % 16)));
            break;
          case 'duplicate':
            b = concat(b.subarray(0, at), b.subarray(at, at + 1 + e.n), b.subarray(at));
            break;
        }
      }
      return b;
    });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Valid encodings mutated (mostly), themselves, and random bytes. */
export function byteInputs(templates: readonly Uint8Array[], maxRandom = 64): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { arbitrary: mutatedBytes(templates), weight: 12 },
    { arbitrary: fc.constantFrom(...templates).map((t) => t.slice()), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: maxRandom }), weight: 3 },
  );
}

/** Text changed at random places: characters flipped, separators inserted, truncated, ranges deleted or duplicated. */
export function mutatedText(
  templates: readonly string[],
  inserts: readonly string[],
  maxEdits = 3,
): fc.Arbitrary<string> {
  const edit = fc.record({
    op: fc.constantFrom('char', 'insert', 'truncate', 'delete', 'duplicate'),
    at: fc.nat(),
    n: fc.nat({ max: 0xffff }),
    insert: fc.constantFrom(...inserts),
  });
  return fc
    .record({
      t: fc.nat({ max: templates.length - 1 }),
      edits: fc.array(edit, { minLength: 1, maxLength: maxEdits }),
    })
    .map(({ t, edits }) => {
      let s = templates[t] as string;
      for (const e of edits) {
        const at = e.at % (s.length + 1);
        switch (e.op) {
          case 'char':
            s = s.slice(0, at) + String.fromCharCode(e.n % 3 === 0 ? e.n : e.n % 0x80) + s.slice(at + 1);
            break;
          case 'insert':
            s = s.slice(0, at) + e.insert + s.slice(at);
            break;
          case 'truncate':
            s = s.slice(0, at);
            break;
          case 'delete':
            s = s.slice(0, at) + s.slice(at + 1 + (e.n % 16));
            break;
          case 'duplicate':
            s = s.slice(0, at) + s.slice(at, at + 1 + (e.n % 64)) + s.slice(at);
            break;
        }
      }
      return s;
    });
}

/** UTF-8 of JSON text; `undefined` (from a deleted root) becomes an empty frame. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value) ?? '');
}
