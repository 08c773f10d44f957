import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  identifierSearchParam,
  observationIdentifierValue,
  readingIdsFromIdentifierValue,
} from './identifiers.js';

describe('observationIdentifierValue', () => {
  it('is the reading id, or systolic+diastolic ids for a panel', () => {
    expect(observationIdentifierValue(['monitor-1:42'])).toBe('monitor-1:42');
    expect(observationIdentifierValue(['bp-1:7', 'bp-1:8'])).toBe('bp-1:7~bp-1:8');
  });

  it('escapes ~ and % so a single id never looks like a panel', () => {
    expect(observationIdentifierValue(['a~b'])).toBe('a%7Eb');
    expect(observationIdentifierValue(['a', 'b'])).toBe('a~b');
    expect(observationIdentifierValue(['50%'])).toBe('50%25');
    expect(observationIdentifierValue(['%7E'])).toBe('%257E');
  });

  it('refuses zero, three or empty ids', () => {
    expect(() => observationIdentifierValue([])).toThrow(RangeError);
    expect(() => observationIdentifierValue(['a', 'b', 'c'])).toThrow(RangeError);
    expect(() => observationIdentifierValue([''])).toThrow(RangeError);
  });

  const ids = fc.array(
    fc.string({ minLength: 1, unit: fc.constantFrom('a', ':', '~', '%', '7', 'E', '2', '5') }),
    {
      minLength: 1,
      maxLength: 2,
    },
  );

  it('round-trips through readingIdsFromIdentifierValue (property)', () => {
    fc.assert(
      fc.property(ids, (list) => {
        expect(readingIdsFromIdentifierValue(observationIdentifierValue(list))).toEqual(list);
      }),
    );
  });

  it('maps distinct reading-id lists to distinct values (property)', () => {
    fc.assert(
      fc.property(ids, ids, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(observationIdentifierValue(a)).not.toBe(observationIdentifierValue(b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('identifierSearchParam', () => {
  it('builds the token search for a conditional create, escaping FHIR and URL specials', () => {
    expect(identifierSearchParam({ system: 'urn:oid:1.2.3', value: 'bp-1:7~bp-1:8' })).toBe(
      'identifier=urn%3Aoid%3A1.2.3|bp-1%3A7~bp-1%3A8',
    );
    expect(identifierSearchParam({ system: 'https://h.example/sid', value: 'a|b,c$d\\e +&' })).toBe(
      'identifier=https%3A%2F%2Fh.example%2Fsid|a%5C%7Cb%5C%2Cc%5C%24d%5C%5Ce%20%2B%26',
    );
  });
});
