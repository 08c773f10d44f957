/**
 * Fuzzing the business-rule JSON: rule sets (as parsed JSON and as JSON text) mutated and random,
 * through `parseBusinessRuleSet` then `checkRunnable`; and the engine's input events (NEWS2 scores,
 * heartbeats) through their parsers. A rule set parses or throws a `ValidationError`
 * (`validation/invalid`), a runnable check passes or throws `config/invalid`; the event parsers
 * return a verdict whose refusal carries a `ValidationError`, and never throw.
 */
import { ValidationError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepJsonText, jsonInputs, mutatedText } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { parseNews2ScoreEvent, parseSignOfLife } from './inputs.js';
import { checkRunnable, parseBusinessRuleSet } from './spec.js';

const T = Date.UTC(2026, 0, 1);
/** The rule set of spec.test.ts (not imported: that would run its tests here too). */
const EXAMPLE_RULE_SET = {
  version: '2025-01-15',
  rules: [
    {
      id: 'hf-weight-gain',
      type: 'weight-gain',
      conditionTag: 'heart-failure',
      gainKg: 2,
      windowDays: 3,
      severity: 'medium',
      route: ['ward-7-nurses', 'heart-failure-team'],
    },
    {
      id: 'news2-5-sustained',
      type: 'news2-sustained',
      minScore: 5,
      forMinutes: 30,
      severity: 'high',
      route: ['ward-7-nurses', 'rapid-response'],
    },
    {
      id: 'device-offline',
      type: 'device-offline',
      silenceMinutes: 10,
      severity: 'medium',
      route: ['biomed'],
    },
  ],
};
const SETS: unknown[] = [
  EXAMPLE_RULE_SET,
  { version: '1', rules: [{ ...EXAMPLE_RULE_SET.rules[1], enabled: false, patients: { wards: ['w7'] } }] },
  { version: '2', rules: [] },
];
const EVENTS: unknown[] = [
  { type: 'news2-score', patientId: 'p-1', ts: T, score: 5, readingIds: ['mon-1:1'] },
  { type: 'news2-score', patientId: 'p-1', ts: T, result: { total: 7, band: 'medium' }, readingIds: [] },
  { type: 'news2-incomplete', patientId: 'p-1', ts: T },
  { type: 'heartbeat', deviceId: 'mon-1', ts: T, id: 'hb-1' },
  { id: 'mon-1:1', deviceId: 'mon-1', metric: 'spo2', value: 97, unit: '%', ts: T, seq: 1 },
];

describe('business-rule JSON fuzzing', () => {
  it(
    'parseBusinessRuleSet + checkRunnable: a runnable set or a typed error',
    () => {
      const r = fuzz({
        name: 'business rules parseBusinessRuleSet + checkRunnable (JSON / text)',
        inputs: fc.record({
          set: fc.oneof(
            { arbitrary: jsonInputs(SETS), weight: 4 },
            {
              arbitrary: mutatedText(
                SETS.map((s) => JSON.stringify(s)),
                ['"', '{', '}', '[', ']', ',', ':', '-1', '1e999', ' '],
              ),
              weight: 2,
            },
            { arbitrary: deepJsonText.map((b) => new TextDecoder().decode(b)), weight: 1 },
          ),
          has: fc.record({ hasStore: fc.boolean(), hasConditions: fc.boolean(), hasWards: fc.boolean() }),
        }),
        run: ({ set, has }) => {
          checkRunnable(parseBusinessRuleSet(set, 'fuzz.json'), has);
          return 'runnable';
        },
      });
      expect(r.returned).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 4);
    },
    fuzzTimeout(2_000),
  );

  it(
    'parseNews2ScoreEvent and parseSignOfLife: a verdict, never a throw',
    () => {
      const r = fuzz({
        name: 'business rules input events parseNews2ScoreEvent + parseSignOfLife (JSON)',
        inputs: jsonInputs(EVENTS),
        typed: () => undefined, // documented to return a verdict
        run: (input) => {
          const score = parseNews2ScoreEvent(input);
          const life = parseSignOfLife(input);
          for (const v of [score, life])
            if (!v.ok && !(v.error instanceof ValidationError))
              throw new Error(`refused without a ValidationError: ${String(v.error)}`);
          return `news2 ${score.ok ? 'accepted' : 'refused'}, sign of life ${life.ok ? 'accepted' : 'refused'}`;
        },
      });
      expect(r.returned).toBe(r.runs);
    },
    fuzzTimeout(2_000),
  );
});
