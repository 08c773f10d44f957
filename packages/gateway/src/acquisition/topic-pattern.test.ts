import { topicMatches } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTopicPattern } from './topic-pattern.js';

describe('compileTopicPattern', () => {
  it('turns named levels into + and reads them back from a topic', () => {
    const p = compileTopicPattern('ble/{deviceId}/{characteristic}');
    expect(p.filter).toBe('ble/+/+');
    expect(p.params).toEqual(['deviceId', 'characteristic']);
    expect(p.match('ble/hr-1/2a37')).toEqual({ deviceId: 'hr-1', characteristic: '2a37' });
    expect(p.match('ble/hr-1')).toBeUndefined();
    expect(p.match('ble/hr-1/2a37/x')).toBeUndefined();
    expect(p.match('mqtt/hr-1/2a37')).toBeUndefined();
  });

  it('keeps plain filters, with + and #, and names levels before a #', () => {
    expect(compileTopicPattern('devices/+/readings').match('devices/mon-1/readings')).toEqual({});
    const p = compileTopicPattern('ward/{wardId}/#');
    expect(p.filter).toBe('ward/+/#');
    expect(p.match('ward/w3/bed/7')).toEqual({ wardId: 'w3' });
    expect(p.match('ward/w3')).toEqual({ wardId: 'w3' });
    expect(p.match('other/w3/x')).toBeUndefined();
  });

  it.each([
    ['ble/dev{deviceId}', /whole level/],
    ['ble/{device-id}', /whole level/],
    ['ble/{a}/{a}', /used twice/],
    ['ble/#/{a}', /"#" must be a whole level and the last one/],
    ['', /empty/],
  ])('refuses %j, saying why', (pattern, why) => {
    expect(() => compileTopicPattern(pattern)).toThrow(why);
    try {
      compileTopicPattern(pattern);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('config/invalid');
    }
  });

  it('property: a topic built from the pattern matches its filter and gives back its params', () => {
    const level = fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/);
    const part = fc.oneof(
      fc.record({ kind: fc.constant('literal' as const), text: level }),
      fc.record({ kind: fc.constant('param' as const) }),
    );
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 6 }),
        fc.array(level, { minLength: 6, maxLength: 6 }),
        (parts, values) => {
          const names: string[] = [];
          const pattern = parts
            .map((p) => {
              if (p.kind === 'literal') return p.text;
              names.push(`p${names.length}`);
              return `{p${names.length - 1}}`;
            })
            .join('/');
          let n = 0;
          const expected: Record<string, string> = {};
          const topic = parts
            .map((p) => {
              if (p.kind === 'literal') return p.text;
              const v = values[n] as string;
              expected[`p${n++}`] = v;
              return v;
            })
            .join('/');
          const compiled = compileTopicPattern(pattern);
          expect(topicMatches(compiled.filter, topic)).toBe(true);
          expect(compiled.match(topic)).toEqual(expected);
        },
      ),
    );
  });
});
