import { HealthItError } from '@healthit/core';
import { JSONPath } from 'jsonpath-plus';
import { isJsonObject, type JsonValue, ownValue } from './json.js';

/*
 * JSONPath the way iomt-fhir (Newtonsoft.Json `SelectToken(s)`) evaluates it, without ever evaluating
 * script. jsonpath-plus is always called with `eval: false`: it walks plain path segments (names,
 * indexes, `*`, `..`, slices) and would throw on any `?()` / `()` script. Filter segments `[?(...)]`
 * are instead parsed here, at template load, into a small predicate tree (paths from `@`/`$`,
 * literals, comparisons, `&&`, `||`, `!`, parentheses) and interpreted over own properties only, so a
 * template can never run code or reach `constructor`/`__proto__`. Script segments `[(...)]` are
 * refused.
 */

type Operand =
  | { readonly kind: 'path'; readonly from: '@' | '$'; readonly keys: readonly (string | number)[] }
  | { readonly kind: 'literal'; readonly value: JsonValue }
  | { readonly kind: 'regex'; readonly regex: RegExp };

type Predicate =
  | { readonly kind: 'and' | 'or'; readonly left: Predicate; readonly right: Predicate }
  | { readonly kind: 'not'; readonly operand: Predicate }
  | { readonly kind: 'exists'; readonly operand: Operand }
  | {
      readonly kind: 'compare';
      readonly op: '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~';
      readonly left: Operand;
      readonly right: Operand;
    };

type Stage =
  | { readonly kind: 'path'; readonly segments: readonly string[] }
  | { readonly kind: 'filter'; readonly scan: boolean; readonly predicate: Predicate };

/** A JSONPath expression checked and compiled once, evaluated many times. */
export interface CompiledJsonPath {
  /** The JSONPath text, as given to `compileJsonPath`. */
  readonly expression: string;
  /** Every token the path selects, in document order (Newtonsoft `SelectTokens`). */
  selectAll(data: JsonValue): JsonValue[];
}

function fail(expression: string, why: string): never {
  throw new HealthItError('validation/invalid', `JSONPath ${JSON.stringify(expression)}: ${why}`, {
    detail: { expression },
  });
}

// ---------------------------------------------------------------- filter parser

const TOKEN =
  /\s*(?:(&&|\|\||==|!=|<=|>=|=~|===|!==|[<>!()@$.[\]*])|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(\/(?:[^/\\]|\\.)+\/[a-z]*)|([A-Za-z_][\w-]*))/y;

interface Tok {
  readonly t: 'op' | 'str' | 'num' | 'regex' | 'name';
  readonly v: string;
}

function tokenize(src: string, expression: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (m === null)
      fail(expression, `unsupported filter syntax at ${JSON.stringify(src.slice(pos, pos + 20))}`);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'op', v: m[1] });
    else if (m[2] !== undefined) out.push({ t: 'str', v: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'num', v: m[3] });
    else if (m[4] !== undefined) out.push({ t: 'regex', v: m[4] });
    else out.push({ t: 'name', v: m[5] as string });
  }
  return out;
}

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

function parseFilter(src: string, expression: string): Predicate {
  const toks = tokenize(src, expression);
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  const isOp = (v: string): boolean => peek()?.t === 'op' && peek()?.v === v;
  const expect = (v: string): void => {
    if (!isOp(v)) fail(expression, `expected "${v}" in filter ${JSON.stringify(src)}`);
    i++;
  };

  const parsePath = (): Operand => {
    const from = peek()?.v === '$' ? '$' : '@';
    i++;
    const keys: (string | number)[] = [];
    // Newtonsoft accepts `@name` for `@.name`.
    if (peek()?.t === 'name') keys.push((toks[i++] as Tok).v);
    for (;;) {
      if (isOp('.')) {
        i++;
        const name = peek();
        if (name?.t !== 'name')
          fail(expression, `expected a property name after "." in ${JSON.stringify(src)}`);
        keys.push(name.v);
        i++;
      } else if (isOp('[')) {
        i++;
        const key = peek();
        if (key?.t === 'str') keys.push(unquote(key.v));
        else if (key?.t === 'num' && /^\d+$/.test(key.v)) keys.push(Number(key.v));
        else
          fail(expression, `only ['name'] and [index] are supported inside a filter: ${JSON.stringify(src)}`);
        i++;
        expect(']');
      } else break;
    }
    return { kind: 'path', from, keys };
  };

  const parseOperand = (): Operand => {
    const tok = peek();
    if (tok === undefined) fail(expression, `filter ${JSON.stringify(src)} ends early`);
    if (tok.t === 'op' && (tok.v === '@' || tok.v === '$')) return parsePath();
    i++;
    if (tok.t === 'str') return { kind: 'literal', value: unquote(tok.v) };
    if (tok.t === 'num') return { kind: 'literal', value: Number(tok.v) };
    if (tok.t === 'regex') {
      const end = tok.v.lastIndexOf('/');
      const flags = tok.v.slice(end + 1);
      if (!/^[imsu]*$/.test(flags)) fail(expression, `unsupported regex flags "${flags}"`);
      return { kind: 'regex', regex: new RegExp(tok.v.slice(1, end), flags) };
    }
    if (tok.t === 'name' && (tok.v === 'true' || tok.v === 'false'))
      return { kind: 'literal', value: tok.v === 'true' };
    if (tok.t === 'name' && tok.v === 'null') return { kind: 'literal', value: null };
    return fail(
      expression,
      `unexpected ${JSON.stringify(tok.v)} in filter ${JSON.stringify(src)} (only paths, literals and comparisons are allowed)`,
    );
  };

  const parseComparison = (): Predicate => {
    if (isOp('!')) {
      i++;
      return { kind: 'not', operand: parseComparison() };
    }
    if (isOp('(')) {
      i++;
      const inner = parseOr();
      expect(')');
      return inner;
    }
    const left = parseOperand();
    const tok = peek();
    if (tok?.t === 'op' && ['==', '!=', '<', '<=', '>', '>=', '=~', '===', '!=='].includes(tok.v)) {
      i++;
      const op = (tok.v === '===' ? '==' : tok.v === '!==' ? '!=' : tok.v) as '==';
      const right = parseOperand();
      if (op === ('=~' as string) && right.kind !== 'regex')
        fail(expression, '=~ needs a /regex/ on its right');
      return { kind: 'compare', op, left, right };
    }
    if (left.kind !== 'path')
      fail(expression, `a literal alone is not a condition in ${JSON.stringify(src)}`);
    return { kind: 'exists', operand: left };
  };

  const parseAnd = (): Predicate => {
    let left = parseComparison();
    while (isOp('&&')) {
      i++;
      left = { kind: 'and', left, right: parseComparison() };
    }
    return left;
  };

  function parseOr(): Predicate {
    let left = parseAnd();
    while (isOp('||')) {
      i++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  }

  const predicate = parseOr();
  if (i !== toks.length)
    fail(expression, `unexpected ${JSON.stringify(toks[i]?.v)} in filter ${JSON.stringify(src)}`);
  return predicate;
}

// ---------------------------------------------------------------- filter evaluation

const MISSING = Symbol('missing');

function resolve(operand: Operand, current: JsonValue, root: JsonValue): JsonValue | typeof MISSING {
  if (operand.kind === 'literal') return operand.value;
  if (operand.kind === 'regex') return MISSING;
  let v: JsonValue | undefined = operand.from === '@' ? current : root;
  for (const key of operand.keys) {
    if (typeof key === 'number') v = Array.isArray(v) ? v[key] : undefined;
    else v = isJsonObject(v) ? ownValue(v, key) : undefined;
    if (v === undefined) return MISSING;
  }
  return v;
}

/** Newtonsoft `EqualsWithStringCoercion`: a string literal matches a primitive by its text. */
function looseEquals(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof b === 'string' && (typeof a === 'number' || typeof a === 'boolean')) return String(a) === b;
  return false;
}

function test(p: Predicate, current: JsonValue, root: JsonValue): boolean {
  switch (p.kind) {
    case 'and':
      return test(p.left, current, root) && test(p.right, current, root);
    case 'or':
      return test(p.left, current, root) || test(p.right, current, root);
    case 'not':
      return !test(p.operand, current, root);
    case 'exists':
      return resolve(p.operand, current, root) !== MISSING;
    case 'compare': {
      const left = resolve(p.left, current, root);
      if (left === MISSING) return false;
      if (p.op === '=~')
        return typeof left === 'string' && p.right.kind === 'regex' && p.right.regex.test(left);
      const right = resolve(p.right, current, root);
      if (right === MISSING) return false;
      if (p.op === '==') return looseEquals(left, right);
      if (p.op === '!=') return !looseEquals(left, right);
      const comparable =
        (typeof left === 'number' && typeof right === 'number') ||
        (typeof left === 'string' && typeof right === 'string');
      if (!comparable) return false;
      const l = left as number | string;
      const r = right as number | string;
      return p.op === '<' ? l < r : p.op === '<=' ? l <= r : p.op === '>' ? l > r : l >= r;
    }
  }
}

function children(v: JsonValue): JsonValue[] {
  if (Array.isArray(v)) return v;
  if (isJsonObject(v)) return Object.values(v);
  return [];
}

function selfAndDescendants(v: JsonValue, out: JsonValue[]): void {
  out.push(v);
  for (const c of children(v)) selfAndDescendants(c, out);
}

// ---------------------------------------------------------------- compile

/**
 * Compiles a JSONPath expression. Filters follow Newtonsoft.Json: `$..[?(f)]` tests the node itself
 * and every descendant (so a message whose root has `heartRate` matches `$..[?(@heartRate)]`), a
 * bare path in a filter tests existence, and a string literal compares equal to a number by text.
 *
 * @throws {HealthItError} `validation/invalid` when the expression is empty, does not start at `$`,
 *   or holds script or filter syntax outside the supported subset.
 */
export function compileJsonPath(expression: string): CompiledJsonPath {
  const trimmed = expression.trim();
  if (!trimmed.startsWith('$')) fail(expression, 'must start with "$"');
  let segments: string[];
  try {
    segments = JSONPath.toPathArray(trimmed).slice();
  } catch (cause) {
    return fail(expression, `cannot be parsed (${(cause as Error).message})`);
  }
  if (segments[0] !== '$') fail(expression, 'must start with "$"');
  const stages: Stage[] = [];
  let run: string[] = [];
  for (let k = 1; k < segments.length; k++) {
    const seg = segments[k] as string;
    if (seg.startsWith('?(') && seg.endsWith(')')) {
      const scan = run.at(-1) === '..';
      if (scan) run.pop();
      if (run.length > 0) stages.push({ kind: 'path', segments: run });
      run = [];
      stages.push({ kind: 'filter', scan, predicate: parseFilter(seg.slice(2, -1), expression) });
    } else if (seg.startsWith('(') || seg.includes('?(')) {
      fail(
        expression,
        `script expressions like ${JSON.stringify(seg)} are not supported (they would run code)`,
      );
    } else if (seg.includes("'") || /^[@~^]/.test(seg) || seg === '') {
      fail(expression, `segment ${JSON.stringify(seg)} is not supported (not part of Newtonsoft JSONPath)`);
    } else {
      run.push(seg);
    }
  }
  if (run.length > 0) stages.push({ kind: 'path', segments: run });

  return {
    expression,
    selectAll(data: JsonValue): JsonValue[] {
      let nodes: JsonValue[] = [data];
      for (const stage of stages) {
        const next: JsonValue[] = [];
        for (const node of nodes) {
          if (stage.kind === 'path') {
            if (typeof node !== 'object' || node === null) continue;
            const found = JSONPath({
              path: toPathString(stage.segments),
              json: node,
              eval: false,
              wrap: true,
              resultType: 'value',
            }) as JsonValue[] | undefined;
            if (found !== undefined) next.push(...found);
          } else if (stage.scan) {
            const all: JsonValue[] = [];
            selfAndDescendants(node, all);
            for (const c of all) if (test(stage.predicate, c, data)) next.push(c);
          } else {
            for (const c of children(node)) if (test(stage.predicate, c, data)) next.push(c);
          }
        }
        nodes = next;
      }
      return nodes;
    },
  };
}

/** Rebuilds a JSONPath string from jsonpath-plus segments, bracket-quoting names. */
function toPathString(segments: readonly string[]): string {
  let out = '$';
  for (const s of segments) {
    if (s === '..') out += '..';
    else if (s === '*' || /^-?[\d,]+$/.test(s) || /^-?\d*:-?\d*(?::-?\d+)?$/.test(s)) out += `[${s}]`;
    else out += `['${s}']`;
  }
  return out;
}

/**
 * Newtonsoft `SelectToken`: the single token `path` selects, undefined when none.
 * @throws {HealthItError} `validation/invalid` when the path selects more than one token.
 */
export function selectOne(path: CompiledJsonPath, data: JsonValue): JsonValue | undefined {
  const all = path.selectAll(data);
  if (all.length > 1) {
    throw new HealthItError(
      'validation/invalid',
      `JSONPath ${JSON.stringify(path.expression)} returned ${all.length} tokens where one was expected`,
      { detail: { expression: path.expression } },
    );
  }
  return all[0];
}
