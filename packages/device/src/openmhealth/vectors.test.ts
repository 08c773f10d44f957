import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { validateOmhBody } from './data-point.js';
import { type OmhToReadingsResult, omhToReadings } from './to-readings.js';

const ROOT = fileURLToPath(new URL('../../test/vectors/openmhealth/test-data/omh/', import.meta.url));

interface Sample {
  readonly schema: string;
  readonly label: 'shouldPass' | 'shouldFail';
  readonly file: string;
  readonly body: unknown;
}

const samples: Sample[] = readdirSync(ROOT).flatMap((name) =>
  readdirSync(join(ROOT, name)).flatMap((version) =>
    (['shouldPass', 'shouldFail'] as const).flatMap((label) => {
      let files: string[];
      try {
        files = readdirSync(join(ROOT, name, version, label));
      } catch {
        return [];
      }
      return files.map((file) => ({
        schema: `omh:${name}:${version}`,
        label,
        file,
        body: JSON.parse(readFileSync(join(ROOT, name, version, label, file), 'utf8')) as unknown,
      }));
    }),
  ),
);

describe('Open mHealth sample data points (openmhealth/schemas @36078a8)', () => {
  it('are all here', () => {
    expect(samples).toHaveLength(82);
    expect(samples.filter((s) => s.label === 'shouldPass')).toHaveLength(41);
  });

  it.each(samples.filter((s) => s.label === 'shouldPass').map((s) => [s.schema, s.file, s]))(
    '%s %s validates',
    (_schema, _file, sample) => {
      const result = validateOmhBody(sample.schema, sample.body);
      expect(`omh:${result.name}:${result.version}`).toBe(sample.schema);
    },
  );

  it.each(samples.filter((s) => s.label === 'shouldFail').map((s) => [s.schema, s.file, s]))(
    '%s %s is rejected',
    (_schema, _file, sample) => {
      expect(() => validateOmhBody(sample.schema, sample.body)).toThrow(ValidationError);
    },
  );
});

/** What each shouldPass sample maps to: `metric=value@time` per reading, or `skipped <reason>`. */
const EXPECTED: Record<string, string> = {
  'omh:blood-glucose:4.0/with-date-time-time-frame.json': 'glucose=95 mg/dL@2013-02-05T07:25:00.000Z',
  'omh:blood-glucose:4.0/with-descriptive-statistic.json': 'skipped descriptive-statistic',
  'omh:blood-glucose:4.0/with-everything.json': 'skipped descriptive-statistic',
  'omh:blood-glucose:4.0/with-temporal-relationship-to-meal.json':
    'glucose=95 mg/dL@2013-02-05T07:25:00.000Z',
  'omh:blood-glucose:4.0/with-temporal-relationship-to-sleep.json':
    'glucose=95 mg/dL@2013-02-05T20:25:00.000Z',
  'omh:blood-pressure:3.0/blood-pressure-only.json':
    'bp-systolic=115 mm[Hg]@2020-02-05T15:25:00.000Z, bp-diastolic=60 mm[Hg]@2020-02-05T15:25:00.000Z',
  'omh:blood-pressure:3.0/with-descriptive-statistic.json': 'skipped descriptive-statistic',
  'omh:blood-pressure:3.0/with-posture-and-location.json':
    'bp-systolic=140 mm[Hg]@2020-02-05T15:25:00.000Z, bp-diastolic=60 mm[Hg]@2020-02-05T15:25:00.000Z',
  'omh:blood-pressure:3.1/with-posture-location-pa-relation.json':
    'bp-systolic=125 mm[Hg]@2020-02-05T15:25:00.000Z, bp-diastolic=60 mm[Hg]@2020-02-05T15:25:00.000Z',
  'omh:blood-pressure:4.0/blood-pressure-only.json':
    'bp-systolic=115 mm[Hg]@2020-02-05T15:25:00.000Z, bp-diastolic=60 mm[Hg]@2020-02-05T15:25:00.000Z',
  'omh:blood-pressure:4.0/with-descriptive-statistic.json': 'skipped descriptive-statistic',
  'omh:blood-pressure:4.0/with-posture-and-location.json':
    'bp-systolic=140 mm[Hg]@2020-02-05T15:25:00.000Z, bp-diastolic=60 mm[Hg]@2020-02-05T15:25:00.000Z',
  'omh:blood-pressure:4.0/with-posture-location-relation.json':
    'bp-systolic=125 mm[Hg]@2020-02-05T15:25:00.000Z, bp-diastolic=60 mm[Hg]@2020-02-05T15:25:00.000Z',
  // 96.5 °F = (96.5 − 32) × 5/9 °C = 35.8333… °C; 97 °F = 36.1111… °C.
  'omh:body-temperature:3.0/basal-temperature.json': 'body-temperature=35.8333 Cel@2013-02-05T06:25:00.000Z',
  'omh:body-temperature:3.0/valid-temperature-with-statistic.json': 'skipped descriptive-statistic',
  'omh:body-temperature:3.0/valid-temperature.json': 'body-temperature=36.1111 Cel@2013-02-05T07:25:00.000Z',
  'omh:body-temperature:4.0/basal-temperature.json': 'body-temperature=35.8333 Cel@2023-02-05T06:25:00.000Z',
  // Its interval ends (2020) before it starts (2023): schema-valid, but a statistic, so skipped first.
  'omh:body-temperature:4.0/valid-temperature-with-statistic.json': 'skipped descriptive-statistic',
  'omh:body-temperature:4.0/valid-temperature.json': 'body-temperature=36.1111 Cel@2023-02-05T06:25:00.000Z',
  'omh:body-weight:3.0/body-weight-only.json': 'body-weight=50 kg@2020-02-05T17:45:00.000Z',
  'omh:body-weight:3.0/with-descriptive-statistic.json': 'skipped descriptive-statistic',
  'omh:heart-rate:1.0/heart-rate-only.json': 'skipped no-effective-time',
  'omh:heart-rate:1.0/with-everything.json': 'heart-rate=50 /min@2013-02-05T07:25:00.000Z',
  'omh:heart-rate:1.0/with-temporal-relationship-to-physical-activity.json':
    'heart-rate=50 /min@2013-02-05T07:25:00.000Z',
  'omh:heart-rate:1.0/with-time-frame.json': 'heart-rate=60 /min@2013-02-05T07:25:00.000Z',
  'omh:heart-rate:1.0/with-user-notes.json': 'heart-rate=50 /min@2013-02-05T07:25:00.000Z',
  'omh:heart-rate:1.1/with-temporal-relationship-to-sleep.json':
    'heart-rate=50 /min@2013-02-05T07:25:00.000Z',
  'omh:heart-rate:2.0/with-descriptive-statistic.json': 'skipped descriptive-statistic',
  'omh:heart-rate:2.0/with-temporal-relationship-to-sleep.json':
    'heart-rate=67.5 /min@2020-02-05T15:25:00.000Z',
  'omh:oxygen-saturation:1.0/saturation-only.json': 'spo2=95 %@2013-02-05T07:25:00.000Z',
  'omh:oxygen-saturation:1.0/with-oxygen.json': 'spo2=95 %@2013-02-05T07:25:00.000Z',
  'omh:oxygen-saturation:2.0/saturation-only.json': 'spo2=95 %@2013-02-05T15:25:00.000Z',
  'omh:oxygen-saturation:2.0/saturation-with-statistics.json': 'skipped descriptive-statistic',
  'omh:oxygen-saturation:2.0/with-oxygen.json': 'spo2=95 %@2013-02-05T07:25:00.000Z',
  'omh:respiratory-rate:1.0/respiratory-rate-only.json': 'skipped no-effective-time',
  'omh:respiratory-rate:1.0/with-statistic.json': 'skipped descriptive-statistic',
  'omh:respiratory-rate:1.0/with-temporal-relationship-to-physical-activity.json':
    'respiratory-rate=12 /min@2013-02-05T07:25:00.000Z',
  'omh:respiratory-rate:1.0/with-time-frame.json': 'respiratory-rate=12 /min@2013-02-05T07:25:00.000Z',
  'omh:respiratory-rate:2.0/respiratory-rate-only.json': 'respiratory-rate=12 /min@2020-02-05T15:25:00.000Z',
  'omh:respiratory-rate:2.0/with-statistic.json': 'skipped descriptive-statistic',
  'omh:respiratory-rate:2.0/with-temporal-relationship-to-physical-activity.json':
    'respiratory-rate=11 /min@2020-02-05T15:25:00.000Z',
};

function describeResult(result: OmhToReadingsResult): string {
  if (result.type === 'skipped') return `skipped ${result.reason}`;
  return result.readings
    .map((r) => `${r.metric}=${Number(r.value.toFixed(4))} ${r.unit}@${new Date(r.ts).toISOString()}`)
    .join(', ');
}

describe('mapping the samples to readings', () => {
  it('covers every shouldPass sample', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(
      samples
        .filter((s) => s.label === 'shouldPass')
        .map((s) => `${s.schema}/${s.file}`)
        .sort(),
    );
  });

  it.each(Object.entries(EXPECTED))('%s → %s', (key, expected) => {
    const sample = samples.find((s) => `${s.schema}/${s.file}` === key)!;
    const result = omhToReadings(sample.body, { seq: 10, deviceId: 'omh-dev', schema: sample.schema });
    expect(describeResult(result)).toBe(expected);
    if (result.type === 'readings') {
      expect(result.readings.map((r) => [r.id, r.seq])).toEqual(
        result.readings.map((_, i) => [`omh-dev:${10 + i}`, 10 + i]),
      );
    }
  });
});
