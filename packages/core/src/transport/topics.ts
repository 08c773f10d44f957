import { HealthItError } from '../errors/health-it-error.js';

function invalid(message: string, value: string): HealthItError {
  return new HealthItError('transport/invalid-topic', message, { detail: { value } });
}

/** MQTT limits topic names and filters to 65 535 bytes of UTF-8. */
const MAX_TOPIC_BYTES = 65535;
const utf8 = new TextEncoder();

function utf8Length(text: string): number {
  // A UTF-16 code unit takes 1 to 3 bytes, so only long strings need encoding.
  return text.length * 3 <= MAX_TOPIC_BYTES ? text.length : utf8.encode(text).byteLength;
}

/**
 * Checks a topic to publish to (MQTT rules: non-empty, no wildcards, no NUL, at most 65 535 bytes).
 * @throws {HealthItError} `transport/invalid-topic` naming what is wrong.
 */
export function assertValidTopic(topic: string): void {
  if (topic.length === 0) throw invalid('Topic is empty', topic);
  if (utf8Length(topic) > MAX_TOPIC_BYTES) throw invalid('Topic is longer than 65 535 bytes of UTF-8', topic);
  if (topic.includes('\u0000')) throw invalid(`Topic "${topic}" contains a NUL character`, topic);
  if (topic.includes('+') || topic.includes('#')) {
    throw invalid(
      `Topic "${topic}" contains a wildcard (+ or #); wildcards are only allowed in filters`,
      topic,
    );
  }
}

/**
 * Checks a topic filter (MQTT rules: non-empty, no NUL, at most 65 535 bytes, `+` fills a whole
 * level, `#` fills the whole last level).
 * @throws {HealthItError} `transport/invalid-topic` naming what is wrong.
 */
export function assertValidFilter(filter: string): void {
  if (filter.length === 0) throw invalid('Topic filter is empty', filter);
  if (utf8Length(filter) > MAX_TOPIC_BYTES) {
    throw invalid('Topic filter is longer than 65 535 bytes of UTF-8', filter);
  }
  if (filter.includes('\u0000')) throw invalid(`Topic filter "${filter}" contains a NUL character`, filter);
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw invalid(`Topic filter "${filter}": "#" must be a whole level and the last one`, filter);
    }
    if (level.includes('+') && level !== '+') {
      throw invalid(`Topic filter "${filter}": "+" must fill a whole level`, filter);
    }
  });
}

/**
 * True when `topic` matches `filter` under MQTT rules. Topics starting with `$` are not matched by
 * a filter starting with a wildcard. Both arguments are assumed valid.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
