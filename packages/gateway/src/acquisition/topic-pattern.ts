import { assertValidFilter, HealthItError, isHealthItError } from '@healthit/core';

/** A topic filter whose single-level wildcards may be named: `ble/{deviceId}/{characteristic}`. */
export interface TopicPattern {
  /** The pattern as configured. */
  readonly pattern: string;
  /** The MQTT filter to subscribe to: every `{name}` replaced by `+` (`ble/+/+`). */
  readonly filter: string;
  /** The names of the named levels, in order. */
  readonly params: readonly string[];
  /**
   * The named levels of a topic the filter matches (`{ deviceId: 'hr-1', characteristic: '2a37' }`),
   * or undefined when the topic does not match the pattern.
   */
  match(topic: string): Readonly<Record<string, string>> | undefined;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})\}$/;

function invalid(pattern: string, reason: string, cause?: unknown): HealthItError {
  return new HealthItError('config/invalid', `Topic pattern "${pattern}": ${reason}`, {
    detail: { pattern },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Compiles a topic pattern: an MQTT topic filter (`+`, `#`) whose levels may also be named
 * single-level wildcards, `{name}`, which fill a whole level and are given to the input's decoder
 * as `params`.
 *
 * @throws {HealthItError} `config/invalid` when a `{…}` does not fill a whole level, a name is
 *   not an identifier or repeats, or the resulting filter is not a valid MQTT filter.
 * @example
 * ```ts
 * const p = compileTopicPattern('ble/{deviceId}/{characteristic}');
 * p.filter; // 'ble/+/+'
 * p.match('ble/hr-1/2a37'); // { deviceId: 'hr-1', characteristic: '2a37' }
 * ```
 */
export function compileTopicPattern(pattern: string): TopicPattern {
  if (typeof pattern !== 'string')
    throw new TypeError(`A topic pattern must be a string, got ${typeof pattern}`);
  const levels = pattern.split('/');
  const names: string[] = [];
  /** The index of each named level, aligned with `names`. */
  const at: number[] = [];
  const filterLevels = levels.map((level, i) => {
    if (!level.includes('{') && !level.includes('}')) return level;
    const m = PARAM.exec(level);
    if (m === null) {
      throw invalid(
        pattern,
        `"${level}" must be a whole level "{name}" with a name of letters, digits and "_"`,
      );
    }
    const name = m[1] as string;
    if (names.includes(name)) throw invalid(pattern, `the name "${name}" is used twice`);
    names.push(name);
    at.push(i);
    return '+';
  });
  const filter = filterLevels.join('/');
  try {
    assertValidFilter(filter);
  } catch (e) {
    throw invalid(pattern, isHealthItError(e) ? e.message : String(e), e);
  }
  const multi = filterLevels[filterLevels.length - 1] === '#';
  return {
    pattern,
    filter,
    params: names,
    match(topic) {
      const t = topic.split('/');
      if (multi ? t.length < filterLevels.length - 1 : t.length !== filterLevels.length) return undefined;
      for (let i = 0; i < filterLevels.length; i++) {
        const f = filterLevels[i] as string;
        if (f === '#') break;
        const level = t[i] as string;
        if (f !== '+' && f !== level) return undefined;
      }
      const params: Record<string, string> = {};
      for (let k = 0; k < names.length; k++) params[names[k] as string] = t[at[k] as number] as string;
      return params;
    },
  };
}
