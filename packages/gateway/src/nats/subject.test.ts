import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveNatsUplinkOptions } from './options.js';
import { filterCovers } from './stream.js';
import { defaultStreamName, recordSubject, subjectToken } from './subject.js';

describe('subjectToken', () => {
  it('is one valid NATS token that decodes back to the key (any string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (key) => {
        const token = subjectToken(key);
        expect(token.length).toBeGreaterThan(0);
        expect(token).not.toMatch(/[\s.*>\p{Cc}]/u);
        if (key !== '') expect(decodeURIComponent(token)).toBe(key);
      }),
    );
  });

  it('maps distinct keys to distinct tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        fc.pre(a !== b);
        expect(subjectToken(a)).not.toBe(subjectToken(b));
      }),
    );
  });

  it('keeps ordinary device ids as they are and escapes the rest', () => {
    expect(subjectToken('mon-1_A:2')).toBe('mon-1_A:2');
    expect(subjectToken('bed 3.monitor')).toBe('bed%203%2Emonitor');
    expect(subjectToken('a*b>c%')).toBe('a%2Ab%3Ec%25');
    expect(subjectToken('')).toBe('%');
    expect(recordSubject('acme.healthit', 'ward-a', 'reading', 'x.y')).toBe(
      'acme.healthit.ward-a.reading.x%2Ey',
    );
  });
});

describe('defaultStreamName and options', () => {
  it('derives HEALTHIT_<SITE> and validates the site', () => {
    expect(defaultStreamName('ward-a')).toBe('HEALTHIT_WARD_A');
    expect(() => defaultStreamName('ward a')).toThrow(RangeError);
    expect(() => defaultStreamName('ward.a')).toThrow(RangeError);
  });

  it('fills in the defaults', () => {
    const o = resolveNatsUplinkOptions({ servers: 'nats://127.0.0.1:4222', site: 'icu' });
    expect(o).toMatchObject({
      servers: ['nats://127.0.0.1:4222'],
      stream: 'HEALTHIT_ICU',
      subjectPrefix: 'healthit',
      duplicateWindowMs: 120_000,
      maxAckPendingPublishes: 256,
      publishTimeoutMs: 5_000,
      contentType: 'application/json',
    });
  });

  it('rejects malformed options with TypeError or RangeError', () => {
    const base = { servers: 'nats://127.0.0.1:4222', site: 'icu' };
    expect(() => resolveNatsUplinkOptions({ ...base, servers: [] })).toThrow(TypeError);
    expect(() => resolveNatsUplinkOptions({ ...base, site: '' })).toThrow(RangeError);
    expect(() => resolveNatsUplinkOptions({ ...base, stream: 'A.B' })).toThrow(RangeError);
    expect(() => resolveNatsUplinkOptions({ ...base, subjectPrefix: 'a..b' })).toThrow(RangeError);
    expect(() => resolveNatsUplinkOptions({ ...base, subjectPrefix: 'a.>' })).toThrow(RangeError);
    expect(() => resolveNatsUplinkOptions({ ...base, duplicateWindowMs: 50 })).toThrow(RangeError);
    expect(() => resolveNatsUplinkOptions({ ...base, maxAckPendingPublishes: 0 })).toThrow(RangeError);
    expect(() => resolveNatsUplinkOptions({ ...base, publishTimeoutMs: 1.5 })).toThrow(RangeError);
    expect(() => resolveNatsUplinkOptions({ ...base, contentType: 'a\nb' })).toThrow(TypeError);
  });
});

describe('filterCovers', () => {
  it('tells whether a stream subject captures the site filter', () => {
    expect(filterCovers('healthit.ward-a.>', 'healthit.ward-a.>')).toBe(true);
    expect(filterCovers('healthit.>', 'healthit.ward-a.>')).toBe(true);
    expect(filterCovers('healthit.*.>', 'healthit.ward-a.>')).toBe(true);
    expect(filterCovers('>', 'healthit.ward-a.>')).toBe(true);
    expect(filterCovers('healthit.ward-a.*', 'healthit.ward-a.>')).toBe(false);
    expect(filterCovers('healthit.ward-b.>', 'healthit.ward-a.>')).toBe(false);
    expect(filterCovers('healthit.ward-a.reading.>', 'healthit.ward-a.>')).toBe(false);
  });
});
