import { HealthItError } from '@healthit/core';
import {
  compile,
  type InputSignature,
  type JSONValue,
  TreeInterpreter,
  TYPE_NUMBER,
  TYPE_STRING,
} from '@jmespath-community/jmespath';
import type { JsonValue } from './json.js';
import { formatTicks, ticksFromMs } from './time.js';

/*
 * JMESPath with iomt-fhir's custom functions, on a private interpreter.
 *
 * `@jmespath-community/jmespath` keeps its function table on a module-level singleton
 * (`register`/`registerFunction` mutate it for every caller in the process). We never touch that
 * singleton: each engine constructs its own `TreeInterpreter` (the exported instance's class),
 * whose `Runtime` has its own function table, and registers the custom functions there. So two
 * template sets, or an integrator's own use of the library, never see each other's functions.
 */

/** One custom JMESPath function: implementation and argument signature. */
export interface JmesPathFunction {
  /**
   * The implementation: receives the evaluated arguments and returns the result; a throw fails the
   * evaluation (the measurement being extracted is rejected).
   */
  readonly fn: (args: JSONValue[]) => JSONValue;
  /** The argument types, one entry per parameter, checked by the interpreter before `fn` is called. */
  readonly signature: readonly InputSignature[];
}

interface Runtime {
  register(
    name: string,
    fn: (args: JSONValue[]) => JSONValue,
    signature: InputSignature[],
    options?: { override?: boolean },
  ): { success: boolean; message?: string };
  getCustomFunctions(): string[];
}

interface Interpreter {
  readonly runtime: Runtime;
  search(node: ReturnType<typeof compile>, value: JSONValue): JSONValue;
}

function typeError(name: string, why: string): never {
  throw new TypeError(`${name}(): ${why}`);
}

function integer(name: string, v: JSONValue, pos: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    typeError(name, `argument ${pos} must be an integer`);
  return v;
}

/**
 * Binary arithmetic on two numbers. JavaScript has one number type, so there is no integer
 * arithmetic: iomt-fhir (C#) truncates `divide` when both arguments are JSON integers (`divide(7, 2)`
 * = 3) and rounds integer `pow`; here both are exact (3.5). Documented as a known difference: the
 * JSON text `100.0` parses to the same JS number as `100`, so the C# rule cannot be reproduced
 * faithfully, and exact division is what unit-conversion templates intend.
 */
function arithmetic(op: (a: number, b: number) => number): JmesPathFunction {
  return {
    fn: ([a, b]) => op(a as number, b as number),
    signature: [{ types: [TYPE_NUMBER] }, { types: [TYPE_NUMBER] }],
  };
}

/**
 * iomt-fhir's custom JMESPath functions (src/lib/Microsoft.Health.Expressions), with their semantics:
 *
 * | function | result |
 * | --- | --- |
 * | `add(a, b)`, `subtract(a, b)`, `multiply(a, b)` | arithmetic on two numbers |
 * | `divide(a, b)` | `a / b`, exact (iomt-fhir truncates integer ÷ integer); ÷ 0 is an error |
 * | `pow(a, b)` | `a` to the power `b`, exact (iomt-fhir rounds integer powers) |
 * | `fromUnixTimestamp(s)` | ISO 8601 UTC date-time of integer epoch seconds |
 * | `fromUnixTimestampMs(ms)` | ISO 8601 UTC date-time of integer epoch milliseconds |
 * | `insertString(s, insert, index)` | `s` with `insert` inserted at UTF-16 `index` (0..length) |
 * | `appendString(s, suffix)` | `s + suffix` |
 */
export const IOMT_JMESPATH_FUNCTIONS: Readonly<Record<string, JmesPathFunction>> = Object.freeze({
  add: arithmetic((a, b) => a + b),
  subtract: arithmetic((a, b) => a - b),
  multiply: arithmetic((a, b) => a * b),
  divide: arithmetic((a, b) => {
    if (b === 0) typeError('divide', 'division by zero');
    return a / b;
  }),
  pow: arithmetic((a, b) => a ** b),
  fromUnixTimestamp: {
    fn: ([s]) => formatTicks(ticksFromMs(integer('fromUnixTimestamp', s as JSONValue, 0) * 1000)),
    signature: [{ types: [TYPE_NUMBER] }],
  },
  fromUnixTimestampMs: {
    fn: ([ms]) => formatTicks(ticksFromMs(integer('fromUnixTimestampMs', ms as JSONValue, 0))),
    signature: [{ types: [TYPE_NUMBER] }],
  },
  insertString: {
    fn: ([s, insert, index]) => {
      const text = s as string;
      const at = integer('insertString', index as JSONValue, 2);
      if (at < 0 || at > text.length) typeError('insertString', `index ${at} is outside 0..${text.length}`);
      return text.slice(0, at) + (insert as string) + text.slice(at);
    },
    signature: [{ types: [TYPE_STRING] }, { types: [TYPE_STRING] }, { types: [TYPE_NUMBER] }],
  },
  appendString: {
    fn: ([s, suffix]) => (s as string) + (suffix as string),
    signature: [{ types: [TYPE_STRING] }, { types: [TYPE_STRING] }],
  },
});

/** A JMESPath expression compiled once against one engine. */
export interface CompiledJmesPath {
  /** The expression text, as given to `compile`. */
  readonly expression: string;
  /** The raw result; `null` when nothing matched. */
  search(data: JsonValue): JsonValue;
}

/** A JMESPath engine with its own function table. */
export interface JmesPathEngine {
  /** @throws {HealthItError} `validation/invalid` when the expression does not parse. */
  compile(expression: string): CompiledJmesPath;
  /** Names of the custom functions registered on this engine. */
  readonly customFunctions: readonly string[];
}

/**
 * Creates a JMESPath engine whose function table holds the built-ins, iomt-fhir's custom functions
 * ({@link IOMT_JMESPATH_FUNCTIONS}) and `extra`, isolated from the library's global registry.
 *
 * @example
 * ```ts
 * const jp = createJmesPathEngine();
 * jp.compile('fromUnixTimestamp(ts)').search({ ts: 1549061161 }); // '2019-02-01T22:46:01Z'
 * ```
 */
export function createJmesPathEngine(extra: Readonly<Record<string, JmesPathFunction>> = {}): JmesPathEngine {
  const Interp = (TreeInterpreter as object).constructor as new () => Interpreter;
  const interpreter = new Interp();
  if (
    (interpreter as unknown) === TreeInterpreter ||
    interpreter.runtime === (TreeInterpreter as unknown as Interpreter).runtime
  ) {
    throw new HealthItError('state/invalid', 'Could not create a private JMESPath interpreter');
  }
  for (const [name, f] of Object.entries({ ...IOMT_JMESPATH_FUNCTIONS, ...extra })) {
    const result = interpreter.runtime.register(name, f.fn, [...f.signature], { override: true });
    if (!result.success) {
      throw new HealthItError(
        'config/invalid',
        `Cannot register JMESPath function ${name}(): ${result.message}`,
      );
    }
  }
  return {
    customFunctions: interpreter.runtime.getCustomFunctions(),
    compile(expression: string): CompiledJmesPath {
      let ast: ReturnType<typeof compile>;
      try {
        ast = compile(expression);
      } catch (cause) {
        throw new HealthItError(
          'validation/invalid',
          `JmesPath ${JSON.stringify(expression)} cannot be parsed: ${(cause as Error).message}`,
          { cause, detail: { expression } },
        );
      }
      return {
        expression,
        search: (data) => interpreter.search(ast, data as JSONValue) as JsonValue,
      };
    },
  };
}
