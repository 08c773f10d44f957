import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHealthItError } from '../errors/health-it-error.js';
import { Topics } from './topic-names.js';
import { assertValidFilter, assertValidTopic, topicMatches } from './topics.js';

function invalidTopicError(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(isHealthItError(e, 'transport/invalid-topic')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected transport/invalid-topic');
}

// The examples of OASIS MQTT Version 3.1.1 (2014), section 4.7 "Topic Names and Topic Filters".
describe('topicMatches: MQTT 3.1.1 §4.7 examples', () => {
  it.each([
    // 4.7.1.2 Multi-level wildcard.
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'sport/tennis/player1', true],
    ['#', 'sport', true],
    ['#', '/', true],
    // 4.7.1.3 Single-level wildcard.
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['sport/+/player1', 'sport/tennis/player1', true],
    ['+/tennis/#', 'sport/tennis/player1/ranking', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['+', 'sport', true],
    // 4.7.2 Topics beginning with $.
    ['#', '$SYS', false],
    ['#', '$SYS/broker/clients', false],
    ['+', '$SYS', false],
    ['+/x', '$SYS/x', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/broker/clients', true],
    ['$SYS/#', '$SYS', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    // 4.7.3 Topic semantic and usage: case-sensitive, spaces allowed, empty levels are levels.
    ['ACCOUNTS', 'Accounts', false],
    ['Accounts payable', 'Accounts payable', true],
    ['/finance', 'finance', false],
    ['finance/', 'finance', false],
    ['/', '/', true],
    ['+/+', '/', true],
    ['+', '/', false],
    // Exact matches and mismatches without wildcards.
    ['sport/tennis', 'sport/tennis', true],
    ['sport/tennis', 'sport/tennis/player1', false],
    ['sport/tennis/player1', 'sport/tennis', false],
  ])('%j matches %j: %s', (filter, topic, expected) => {
    assertValidFilter(filter);
    assertValidTopic(topic);
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('assertValidTopic', () => {
  it.each([
    'sport/tennis/player1',
    '/',
    '/finance',
    'finance/',
    'a//b',
    'Accounts payable',
    '$SYS/broker',
    'ü/€',
  ])('accepts %j', (topic) => {
    expect(() => assertValidTopic(topic)).not.toThrow();
  });

  it.each([
    ['an empty topic', '', 'Topic is empty'],
    ['a + wildcard', 'sport/+/player1', 'contains a wildcard'],
    ['a # wildcard', 'sport/#', 'contains a wildcard'],
    ['a wildcard inside a level', 'sport/tennis#', 'contains a wildcard'],
    ['a NUL character', 'sport/\u0000', 'contains a NUL character'],
  ])('rejects %s', (_why, topic, message) => {
    expect(invalidTopicError(() => assertValidTopic(topic))).toContain(message);
  });

  it('allows 65 535 bytes of UTF-8 and no more', () => {
    expect(() => assertValidTopic('a'.repeat(65535))).not.toThrow();
    expect(invalidTopicError(() => assertValidTopic('a'.repeat(65536)))).toContain('65 535 bytes');
    // 'é' is 2 bytes and '€' 3 bytes in UTF-8: the limit counts bytes, not characters.
    expect(() => assertValidTopic('é'.repeat(32767))).not.toThrow();
    expect(invalidTopicError(() => assertValidTopic('é'.repeat(32768)))).toContain('65 535 bytes');
    expect(() => assertValidTopic('€'.repeat(21845))).not.toThrow();
    expect(invalidTopicError(() => assertValidTopic('€'.repeat(21846)))).toContain('65 535 bytes');
  });

  it('names the topic in the error detail', () => {
    try {
      assertValidTopic('a/+');
    } catch (e) {
      expect(isHealthItError(e) && e.detail).toEqual({ value: 'a/+' });
    }
    expect.assertions(1);
  });
});

describe('assertValidFilter', () => {
  it.each([
    '#',
    '+',
    'sport/tennis/#',
    '+/tennis/#',
    'sport/+/player1',
    '+/+',
    '/+',
    'sport/',
    '$SYS/#',
    'a//b',
  ])('accepts %j', (filter) => {
    expect(() => assertValidFilter(filter)).not.toThrow();
  });

  it.each([
    ['an empty filter', '', 'Topic filter is empty'],
    ['# not alone in its level', 'sport/tennis#', '"#" must be a whole level and the last one'],
    ['# not the last level', 'sport/tennis/#/ranking', '"#" must be a whole level and the last one'],
    ['## as a level', 'sport/##', '"#" must be a whole level and the last one'],
    ['+ not alone in its level', 'sport+', '"+" must fill a whole level'],
    ['+ inside a level', 'sport/ten+nis', '"+" must fill a whole level'],
    ['a NUL character', 'sport/\u0000/#', 'contains a NUL character'],
  ])('rejects %s', (_why, filter, message) => {
    expect(invalidTopicError(() => assertValidFilter(filter))).toContain(message);
  });

  it('allows 65 535 bytes of UTF-8 and no more', () => {
    expect(() => assertValidFilter(`${'a'.repeat(65533)}/#`)).not.toThrow();
    expect(invalidTopicError(() => assertValidFilter(`${'a'.repeat(65534)}/#`))).toContain('65 535 bytes');
    expect(invalidTopicError(() => assertValidFilter(`${'é'.repeat(32767)}/#`))).toContain('65 535 bytes');
  });
});

describe('topicMatches: properties', () => {
  /** A topic level: any text without '/', wildcards or NUL, possibly empty. */
  const level = fc.string({ maxLength: 6 }).filter((s) => !/[/+#]/.test(s) && !s.includes('\u0000'));
  const plainLevel = level.filter((s) => !s.startsWith('$'));
  /** Non-empty topics whose first level does not start with '$'. */
  const levels = fc
    .tuple(plainLevel, fc.array(level, { maxLength: 6 }))
    .map(([first, rest]) => [first, ...rest])
    .filter((ls) => ls.join('/').length > 0);
  const dollarLevels = fc
    .tuple(level, fc.array(level, { maxLength: 6 }))
    .map(([first, rest]) => [`$${first}`, ...rest]);
  const mask = fc.array(fc.boolean(), { minLength: 7, maxLength: 7 });

  it('a filter made by replacing any levels with + matches the topic', () => {
    fc.assert(
      fc.property(levels, mask, (ls, replace) => {
        const topic = ls.join('/');
        const filter = ls.map((l, i) => (replace[i] ? '+' : l)).join('/');
        assertValidTopic(topic);
        assertValidFilter(filter);
        expect(topicMatches(filter, topic)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('# appended after any prefix of the levels matches the topic', () => {
    fc.assert(
      fc.property(levels, fc.nat(), (ls, n) => {
        const prefix = ls.slice(0, n % (ls.length + 1));
        const filter = [...prefix, '#'].join('/');
        assertValidFilter(filter);
        expect(topicMatches(filter, ls.join('/'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('for $ topics, the same filters match unless they start with a wildcard', () => {
    fc.assert(
      fc.property(dollarLevels, mask, fc.nat(), (ls, replace, n) => {
        const topic = ls.join('/');
        const plus = ls.map((l, i) => (replace[i] ? '+' : l)).join('/');
        expect(topicMatches(plus, topic)).toBe(!replace[0]);
        const k = n % (ls.length + 1);
        const hash = [...ls.slice(0, k), '#'].join('/');
        expect(topicMatches(hash, topic)).toBe(k > 0);
      }),
      { numRuns: 500 },
    );
  });

  it('changing one non-wildcard level, or the number of levels, stops a + filter matching', () => {
    fc.assert(
      fc.property(levels, mask, fc.nat(), level, (ls, replace, n, other) => {
        const i = n % ls.length;
        fc.pre(other !== ls[i]);
        const filterLevels = ls.map((l, j) => (replace[j] && j !== i ? '+' : l));
        const changed = ls.map((l, j) => (j === i ? other : l));
        expect(topicMatches(filterLevels.join('/'), changed.join('/'))).toBe(false);
        expect(topicMatches(filterLevels.join('/'), [...ls, 'extra'].join('/'))).toBe(false);
        if (ls.length > 1)
          expect(topicMatches(filterLevels.join('/'), ls.slice(0, -1).join('/'))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Topics', () => {
  it('builds per-device topics that are valid and matched by the all-devices filter', () => {
    expect(Topics.deviceReadings('mon-1')).toBe('devices/mon-1/readings');
    expect(Topics.deviceCommands('mon-1')).toBe('devices/mon-1/commands');
    expect(Topics.deviceCommandStatus('mon-1')).toBe('devices/mon-1/command-status');
    for (const topic of [Topics.deviceReadings('mon-1'), Topics.deviceCommands('a.b:c_d')])
      assertValidTopic(topic);
    assertValidFilter(Topics.allDeviceReadings);
    expect(topicMatches(Topics.allDeviceReadings, Topics.deviceReadings('mon-1'))).toBe(true);
    expect(topicMatches(Topics.allDeviceReadings, Topics.deviceCommands('mon-1'))).toBe(false);
  });
});
