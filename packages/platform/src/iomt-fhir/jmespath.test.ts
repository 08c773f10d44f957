import { getCustomFunctions, isRegistered, search } from '@jmespath-community/jmespath';
import { describe, expect, it } from 'vitest';
import { createJmesPathEngine, IOMT_JMESPATH_FUNCTIONS } from './jmespath.js';

describe('iomt-fhir custom JMESPath functions', () => {
  const jp = createJmesPathEngine();
  const run = (expr: string, data: unknown = {}) => jp.compile(expr).search(data as never);

  it('registers exactly the functions of Microsoft.Health.Expressions', () => {
    expect(Object.keys(IOMT_JMESPATH_FUNCTIONS).sort()).toEqual([
      'add',
      'appendString',
      'divide',
      'fromUnixTimestamp',
      'fromUnixTimestampMs',
      'insertString',
      'multiply',
      'pow',
      'subtract',
    ]);
    expect([...jp.customFunctions].sort()).toEqual(Object.keys(IOMT_JMESPATH_FUNCTIONS).sort());
  });

  it.each([
    ['add(`1`, `2`)', 3],
    ['subtract(`10`, `2.5`)', 7.5],
    ['multiply(to_number(h), `0.0254`)', 78 * 0.0254],
    ['divide(`3712`, `100.0`)', 37.12],
    ['divide(`7`, `2`)', 3.5],
    ['pow(`2`, `10`)', 1024],
    ['fromUnixTimestamp(`1549061161`)', '2019-02-01T22:46:01Z'],
    ['fromUnixTimestampMs(`1549061161875`)', '2019-02-01T22:46:01.875Z'],
    ["insertString('20190201', '-', `4`)", '2019-0201'],
    ["appendString('dev-', '42')", 'dev-42'],
  ])('%s = %j', (expr, expected) => {
    expect(run(expr, { h: '78' })).toEqual(expected);
  });

  it.each([
    ['fromUnixTimestamp(`1.5`)', /integer/],
    ["fromUnixTimestamp('1549061161')", /number/],
    ["insertString('abc', 'x', `4`)", /outside 0..3/],
    ['divide(`1`, `0`)', /division by zero/],
    ['add(`1`)', /arity|argument/i],
  ])('%s is refused', (expr, message) => {
    expect(() => run(expr)).toThrow(message);
  });

  it('does not leak its functions into the library-wide registry, nor between engines', () => {
    const a = createJmesPathEngine({ only_in_a: { fn: () => 'a', signature: [] } });
    const b = createJmesPathEngine();
    expect(a.compile('only_in_a()').search({})).toBe('a');
    expect(() => b.compile('only_in_a()').search({})).toThrow(/Unknown function/);
    for (const name of [...Object.keys(IOMT_JMESPATH_FUNCTIONS), 'only_in_a']) {
      expect(isRegistered(name)).toBe(false);
      expect(getCustomFunctions()).not.toContain(name);
    }
    expect(() => search({}, 'fromUnixTimestamp(`0`)')).toThrow(/Unknown function/);
  });

  it('refuses an expression that does not parse, with a typed error', () => {
    expect(() => jp.compile('matchedToken.[')).toThrow(
      expect.objectContaining({ code: 'validation/invalid' }),
    );
  });
});
