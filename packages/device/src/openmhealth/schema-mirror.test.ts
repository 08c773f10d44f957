import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BodyLocation,
  BodyPosture,
  DescriptiveStatistic,
  DURATION_UNITS,
  MASS_UNITS,
  PartOfDay,
  SpecimenSource,
  TEMPERATURE_UNITS,
  TemporalRelationshipToMeal,
  TemporalRelationshipToPhysicalActivity,
  TemporalRelationshipToSleep,
} from './building-blocks.js';
import { OMH_MEASURE_NAMES, OMH_MEASURE_SCHEMAS } from './measure-schemas.js';

/*
 * The zod mirrors were written by hand from the JSON schemas; these tests read the copied JSON
 * schemas and check that every property, required property and enumerated value agrees.
 */

const DIR = new URL('../../test/vectors/openmhealth/schema/omh/', import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: JSON schema documents are untyped.
type Json = any;

function load(file: string): Json {
  return JSON.parse(readFileSync(fileURLToPath(new URL(file, DIR)), 'utf8'));
}

/** Follows local `$ref`s (`#/definitions/x` and sibling files); undefined for IEEE URLs. */
function resolve(node: Json, doc: Json): { node: Json; doc: Json } | undefined {
  let current = { node, doc };
  while (current.node.$ref !== undefined) {
    const ref: string = current.node.$ref;
    if (ref.startsWith('https://')) return undefined;
    if (ref.startsWith('#/definitions/')) {
      current = { node: current.doc.definitions[ref.slice('#/definitions/'.length)], doc: current.doc };
    } else {
      const next = load(ref);
      current = { node: next, doc: next };
    }
  }
  return current;
}

/** The enum of a string schema, or of the `unit` of a unit-value schema (through `allOf`). */
function enumOf(node: Json, doc: Json): string[] | undefined {
  const found = resolve(node, doc);
  if (found === undefined) return undefined;
  if (Array.isArray(found.node.enum)) return found.node.enum;
  for (const part of found.node.allOf ?? []) {
    if (Array.isArray(part.properties?.unit?.enum)) return part.properties.unit.enum;
    const inner = enumOf(part, found.doc);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
}

/** The enum a zod field mirrors: its options, or its `unit`'s options. */
function zodEnumOf(schema: z.ZodType): readonly string[] | undefined {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodEnum) return inner.options as string[];
  if (inner instanceof z.ZodObject && inner.shape.unit instanceof z.ZodEnum)
    return inner.shape.unit.options as string[];
  return undefined;
}

const measures = OMH_MEASURE_NAMES.flatMap((name) =>
  Object.entries(OMH_MEASURE_SCHEMAS[name] as Record<string, z.ZodObject>).map(([version, schema]) => ({
    name,
    version,
    schema,
  })),
);
// Heart-rate 1.0 and blood-pressure 3.0 have no schema file: they are read with the 1.1 / 3.1 rules.
const withFiles = measures.filter(
  (m) => !['heart-rate-1.0', 'blood-pressure-3.0'].includes(`${m.name}-${m.version}`),
);

describe('the zod mirrors of the measure schemas', () => {
  it('cover the 14 schema files of the seven measures', () => {
    expect(withFiles.map((m) => `${m.name}-${m.version}`)).toHaveLength(14);
  });

  it.each(withFiles.map((m) => [`${m.name}-${m.version}`, m]))(
    '%s: same properties and required ones',
    (file, m) => {
      const json = load(`${file}.json`);
      expect(Object.keys(m.schema.shape).sort()).toEqual(Object.keys(json.properties).sort());
      const required = Object.entries(m.schema.shape as Record<string, z.ZodType>)
        .filter(([, field]) => !field.safeParse(undefined).success)
        .map(([key]) => key);
      expect(required.sort()).toEqual([...json.required].sort());
    },
  );

  it.each(withFiles.map((m) => [`${m.name}-${m.version}`, m]))('%s: same enumerated values', (file, m) => {
    const json = load(`${file}.json`);
    let compared = 0;
    for (const [key, node] of Object.entries(json.properties as Record<string, Json>)) {
      const expected = enumOf(node, json);
      if (expected === undefined) continue; // a time frame, or an IEEE 1752.1 reference
      expect(zodEnumOf(m.schema.shape[key] as z.ZodType), key).toEqual(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('the zod mirrors of the building blocks', () => {
  it.each([
    ['descriptive-statistic-1.2.json', DescriptiveStatistic.options],
    ['temporal-relationship-to-physical-activity-1.0.json', TemporalRelationshipToPhysicalActivity.options],
    ['temporal-relationship-to-sleep-1.0.json', TemporalRelationshipToSleep.options],
    ['temporal-relationship-to-meal-1.2.json', TemporalRelationshipToMeal.options],
    ['body-posture-1.0.json', BodyPosture.options],
    ['body-location-1.1.json', BodyLocation.options],
    ['specimen-source-2.1.json', SpecimenSource.options],
    ['part-of-day-1.0.json', PartOfDay.options],
    ['duration-unit-value-1.0.json', DURATION_UNITS],
    ['mass-unit-value-1.0.json', MASS_UNITS],
    ['temperature-unit-value-1.0.json', TEMPERATURE_UNITS],
  ] as const)('%s', (file, options) => {
    const json = load(file);
    expect([...options]).toEqual(enumOf(json, json));
  });

  it('time-interval-1.0 has the four forms the mirror knows', () => {
    const json = load('time-interval-1.0.json');
    expect(json.oneOf.map((b: Json) => b.required)).toEqual([
      ['start_date_time', 'duration'],
      ['end_date_time', 'duration'],
      ['start_date_time', 'end_date_time'],
      ['date', 'part_of_day'],
    ]);
    expect(json.definitions.full_date.pattern).toBe('^[0-9]{4}-[0-9]{2}-[0-9]{2}$');
    expect(load('time-frame-1.0.json').oneOf.map((b: Json) => b.required)).toEqual([
      ['date_time'],
      ['time_interval'],
    ]);
    expect(load('unit-value-1.0.json').required).toEqual(['value', 'unit']);
  });
});
