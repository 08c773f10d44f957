/**
 * Fuzzing the iomt-fhir template import and mapping: device-content templates (JSONPath, JMESPath
 * and CalculatedContent expressions included) and FHIR mapping templates mutated as JSON and as
 * text, loaded, then run over the device messages of the test vectors; and device messages mutated
 * under valid templates, normalised and mapped to Observations. Loading returns a template set or
 * throws an `IomtTemplateError` (`validation/invalid`); normalising and mapping never throw and
 * report per-token failures as `HealthItError`s — all in bounded time.
 */
import { readFileSync } from 'node:fs';
import { HealthItError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepJsonText, jsonInputs, mutatedText } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { IomtTemplateError } from './errors.js';
import { createObservations } from './fhir.js';
import { type JsonValue, parseJsonText } from './json.js';
import { loadContentTemplates, loadFhirTemplates } from './load.js';
import { normalizeMessage } from './normalize.js';

const VECTORS = new URL('../../test/vectors/iomt-fhir/', import.meta.url);
const text = (path: string): string => readFileSync(new URL(path, VECTORS), 'utf8');
const json = (path: string): JsonValue => parseJsonText(text(path), path);
const cases = (
  json('cases.json') as unknown as {
    normalization_cases: { payload: string; template?: string; template_inline?: unknown }[];
  }
).normalization_cases;
const TEMPLATES = cases.map(
  (c) => (c.template === undefined ? c.template_inline : json(c.template)) as JsonValue,
);
const PAYLOADS = cases.map((c) => json(c.payload));
const FHIR = [
  json('sample-templates-basic/fhirmapping.json'),
  json('msdocs-end-to-end-heartrate/4-fhir-destination-mapping.json'),
];
const fhirSet = loadFhirTemplates(FHIR[1]);
const now = () => new Date(Date.UTC(2026, 0, 1));
const INSERTS = [
  '$',
  '.',
  '..',
  '*',
  '[',
  ']',
  '[?(@.',
  ')]',
  '(',
  ')',
  '|',
  '`',
  "'",
  '"',
  '\\',
  '@',
  ',',
  ':',
  '&&',
  '||',
  '!',
  '{',
  '}',
  'length(',
  'to_number(',
  '[-1]',
  '[::-1]',
  '0',
  ' ',
];

/** The failures normalising and mapping report must be HealthItErrors too. */
function mapAll(set: ReturnType<typeof loadContentTemplates>, message: JsonValue, fhir = fhirSet): string {
  const { measurements, errors } = normalizeMessage(set, message);
  for (const e of errors)
    if (!(e.error instanceof HealthItError))
      throw new Error(`untyped normalisation error: ${String(e.error)}`);
  const { observations } = createObservations(measurements, fhir, { now });
  return observations.length > 0
    ? 'mapped to observations'
    : measurements.length > 0
      ? 'measurements only'
      : 'nothing matched';
}

/** JSON text nested 1 000 to 50 000 levels deep. */
const deepText = deepJsonText.map((b) => new TextDecoder().decode(b));

/** A template set as JSON value or as (mutated) JSON text, with the message to run it on. */
const contentTemplates = fc.record({
  template: fc.oneof(
    { arbitrary: jsonInputs(TEMPLATES), weight: 3 },
    {
      arbitrary: mutatedText(
        TEMPLATES.map((t) => JSON.stringify(t)),
        INSERTS,
        4,
      ),
      weight: 3,
    },
    { arbitrary: deepText, weight: 1 },
  ),
  message: fc.nat({ max: PAYLOADS.length - 1 }),
});

describe('iomt-fhir template and mapping fuzzing', () => {
  it('refuses templates nested deeper than 64 levels with an IomtTemplateError (found by fuzzing: was a stack overflow)', () => {
    for (const depth of [65, 5_000, 100_000]) {
      const text = `{"templateType":"CollectionContent","template":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const value = JSON.parse(`${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`) as unknown;
      for (const load of [loadContentTemplates, loadFhirTemplates]) {
        for (const input of [text, value]) {
          expect(() => load(input)).toThrow(IomtTemplateError);
          expect(() => load(input)).toThrow(/nested deeper than 64 levels/);
        }
      }
    }
    // the real templates nest far less and still load
    for (const t of TEMPLATES) expect(loadContentTemplates(t).templates.length).toBeGreaterThan(0);
    for (const t of FHIR) expect(loadFhirTemplates(t).templates.length).toBeGreaterThan(0);
  });

  it(
    'loadContentTemplates: a template set that maps messages, or an IomtTemplateError',
    () => {
      const r = fuzz({
        name: 'iomt-fhir loadContentTemplates + normalize + map (mutated templates)',
        inputs: contentTemplates,
        runs: fuzzRuns(1_000),
        run: ({ template, message }) =>
          mapAll(loadContentTemplates(template), PAYLOADS[message] as JsonValue),
      });
      expect(r.returned).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 4);
    },
    fuzzTimeout(5_000),
  );

  it(
    'loadFhirTemplates: a FHIR template set that maps measurements, or an IomtTemplateError',
    () => {
      const set = loadContentTemplates(TEMPLATES[TEMPLATES.length - 1]);
      const message = PAYLOADS[PAYLOADS.length - 1] as JsonValue;
      const r = fuzz({
        name: 'iomt-fhir loadFhirTemplates + createObservations (mutated FHIR templates)',
        inputs: fc.oneof(
          { arbitrary: jsonInputs(FHIR), weight: 3 },
          {
            arbitrary: mutatedText(
              FHIR.map((t) => JSON.stringify(t)),
              INSERTS,
              4,
            ),
            weight: 1,
          },
          { arbitrary: deepText, weight: 1 },
        ),
        run: (fhir) => mapAll(set, message, loadFhirTemplates(fhir)),
      });
      expect(r.returned).toBeGreaterThan(0);
    },
    fuzzTimeout(5_000),
  );

  it(
    'normalizeMessage + createObservations: mutated device messages under valid templates never throw',
    () => {
      const sets = TEMPLATES.map((t) => loadContentTemplates(t));
      const r = fuzz({
        name: 'iomt-fhir normalizeMessage + createObservations (mutated messages)',
        inputs: fc.record({ t: fc.nat({ max: sets.length - 1 }), message: jsonInputs(PAYLOADS) }),
        typed: () => undefined, // per-token failures are reported, never thrown
        run: ({ t, message }) =>
          mapAll(sets[t] as ReturnType<typeof loadContentTemplates>, (message ?? null) as JsonValue),
      });
      expect(r.returned).toBe(r.runs);
    },
    fuzzTimeout(5_000),
  );
});
