import { deepClone, stringify } from '@medplum/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson, fhirJsonCopy } from './fhir-json.js';

/** JSON trees with the empty values Medplum removes sprinkled in (and `undefined`, which JSON drops). */
const withEmpties = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>('', null, undefined, [], {}, 0, -0, true, false),
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'value', 'line1', '2', '__proto__'), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** Medplum's `MemoryRepository.createResource` copy. */
const medplumCopy = (v: unknown): unknown => JSON.parse(stringify(v));

describe('fhirJsonCopy', () => {
  it('is Medplum’s JSON.parse(stringify(value)) for any object with empty values in it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 3 }), withEmpties, { maxKeys: 6 }), (v) => {
        let expected: unknown;
        try {
          expected = medplumCopy(v);
        } catch {
          expect(() => fhirJsonCopy(v)).toThrow(SyntaxError); // nothing left: Medplum's error
          return;
        }
        const copy = fhirJsonCopy(v);
        expect(copy).toStrictEqual(expected);
        expect(JSON.stringify(copy)).toBe(JSON.stringify(expected)); // same key order too
      }),
      { numRuns: 500 },
    );
  });

  it('removes empty strings, nulls, empty arrays and objects; keeps array length with null; copies', () => {
    const input = {
      resourceType: 'Observation',
      status: '',
      code: { coding: [{ system: '', code: 'x' }, {}], text: null },
      note: [],
      extension: [{ url: '' }],
      valueQuantity: { value: -0 },
    };
    const copy = fhirJsonCopy(input);
    expect(copy).toStrictEqual({
      resourceType: 'Observation',
      code: { coding: [{ code: 'x' }, null] },
      valueQuantity: { value: 0 },
    });
    expect(copy.code).not.toBe(input.code);
    expect(input.status).toBe(''); // the input is left alone
  });

  it('leaves what is not a plain JSON tree to Medplum (a Date, NaN, a class instance)', () => {
    const at = new Date(Date.UTC(2024, 0, 2));
    const input = { resourceType: 'Basic', created: at, n: Number.NaN, m: new Map([[1, 2]]) };
    expect(fhirJsonCopy(input)).toStrictEqual(medplumCopy(input));
  });

  it('keeps a "__proto__" key as data, never as the prototype', () => {
    const input = JSON.parse('{"resourceType":"Basic","__proto__":{"polluted":true}}') as object;
    const copy = fhirJsonCopy(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['resourceType', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('cloneJson', () => {
  it('is Medplum’s deepClone for any JSON tree, and shares nothing with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const copy = cloneJson(v);
        expect(copy).toStrictEqual(deepClone(v));
        if (typeof v === 'object' && v !== null) expect(copy).not.toBe(v);
      }),
      { numRuns: 300 },
    );
  });
});
