import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  uplinkKeyFromToken,
  uplinkStreamName,
  uplinkSubject,
  uplinkSubjectFilter,
  uplinkSubjectToken,
} from './subjects.js';

describe('uplink subjects', () => {
  it('names the stream and the subjects of a site', () => {
    expect(uplinkStreamName('ward-a')).toBe('HEALTHIT_WARD_A');
    expect(uplinkSubjectFilter('ward-a')).toBe('healthit.ward-a.>');
    expect(uplinkSubjectFilter('ward-a', 'acme.healthit')).toBe('acme.healthit.ward-a.>');
    expect(uplinkSubject('healthit', 'ward-a', 'reading', 'bed 3.monitor')).toBe(
      'healthit.ward-a.reading.bed%203%2Emonitor',
    );
  });

  it('refuses malformed sites and prefixes', () => {
    expect(() => uplinkStreamName('ward a')).toThrow(RangeError);
    expect(() => uplinkStreamName(3 as unknown as string)).toThrow(TypeError);
    expect(() => uplinkSubjectFilter('ward-a', 'healthit.')).toThrow(RangeError);
  });

  it('escapes any key into one token and back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (key) => {
        const token = uplinkSubjectToken(key);
        expect(token).not.toMatch(/[\s.*>]/u);
        expect(token.length).toBeGreaterThan(0);
        expect(uplinkKeyFromToken(token)).toBe(key);
      }),
    );
  });
});
