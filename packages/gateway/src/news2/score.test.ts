import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHealthItError, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import type { News2Input } from './input.js';
import { news2, news2ClinicalRisk, news2Response, scoreValidNews2 } from './score.js';

/** Every parameter normal (all subscores 0). */
const NORMAL: News2Input = {
  rr: 16,
  spo2: 97,
  spo2Scale: 1,
  onOxygen: false,
  sbp: 120,
  pulse: 70,
  consciousness: 'A',
  temp: 37,
};

const obs = (patch: Partial<News2Input>): News2Input => ({ ...NORMAL, ...patch });

interface TableBand {
  min?: number;
  max?: number;
  on?: 'air' | 'oxygen';
  score: number;
}
const table = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/vectors/news2/news2-official-table.json'), 'utf8'),
) as { parameters: Record<string, TableBand[]> };

type Field = 'rr' | 'spo2' | 'sbp' | 'pulse' | 'temp';
/** Parameter name in the official table → input field, chart resolution, plausible range. */
const PARAMETERS: readonly {
  table: string;
  field: Field;
  step: number;
  lo: number;
  hi: number;
  spo2Scale?: 1 | 2;
}[] = [
  { table: 'respiration_rate_per_min', field: 'rr', step: 1, lo: 0, hi: 100 },
  { table: 'spo2_scale1_percent', field: 'spo2', step: 1, lo: 50, hi: 100, spo2Scale: 1 },
  { table: 'spo2_scale2_percent', field: 'spo2', step: 1, lo: 50, hi: 100, spo2Scale: 2 },
  { table: 'systolic_bp_mmHg', field: 'sbp', step: 1, lo: 40, hi: 300 },
  { table: 'pulse_per_min', field: 'pulse', step: 1, lo: 20, hi: 300 },
  { table: 'temperature_celsius', field: 'temp', step: 0.1, lo: 25, hi: 45 },
];

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Every band edge of every parameter on both SpO2 scales, from the official table: each edge scores
 * the band's score, and one step (1 unit, 0.1 °C) beyond it scores the neighbouring band's.
 */
function bandEdgeCases(): [string, News2Input, Field, number][] {
  const cases: [string, News2Input, Field, number][] = [];
  for (const p of PARAMETERS) {
    const bands = table.parameters[p.table] ?? [];
    for (const onOxygen of [false, true]) {
      const on = onOxygen ? 'oxygen' : 'air';
      const applicable = bands.filter((b) => b.on === undefined || b.on === on);
      const scoreAt = (v: number) =>
        applicable.find((b) => (b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max))
          ?.score;
      for (const band of applicable) {
        const edges = [band.min ?? p.lo, band.max ?? p.hi];
        const beyond = [round1(edges[0]! - p.step), round1(edges[1]! + p.step)].filter(
          (v) => v >= p.lo && v <= p.hi,
        );
        for (const v of [...edges, ...beyond]) {
          const expected = scoreAt(v);
          if (expected === undefined) throw new Error(`${p.table} ${v} on ${on} is in no band`);
          const input = obs({ [p.field]: v, onOxygen, ...(p.spo2Scale ? { spo2Scale: p.spo2Scale } : {}) });
          cases.push([`${p.table} ${v} on ${on}`, input, p.field, expected]);
        }
      }
    }
  }
  return cases;
}

describe('news2: every band edge (official table, both SpO2 scales, air and oxygen)', () => {
  const cases = bandEdgeCases();
  it('covers every edge', () => {
    expect(cases.length).toBeGreaterThan(150);
  });
  it.each(cases)('%s', (_name, input, field, expected) => {
    expect(news2(input).subscores[field]).toBe(expected);
  });
});

describe('news2: the chart, hand-checked', () => {
  it.each([
    // [patch, subscore field, expected]
    [{ rr: 8 }, 'rr', 3],
    [{ rr: 9 }, 'rr', 1],
    [{ rr: 11 }, 'rr', 1],
    [{ rr: 12 }, 'rr', 0],
    [{ rr: 20 }, 'rr', 0],
    [{ rr: 21 }, 'rr', 2],
    [{ rr: 24 }, 'rr', 2],
    [{ rr: 25 }, 'rr', 3],
    [{ spo2: 91 }, 'spo2', 3],
    [{ spo2: 92 }, 'spo2', 2],
    [{ spo2: 93 }, 'spo2', 2],
    [{ spo2: 94 }, 'spo2', 1],
    [{ spo2: 95 }, 'spo2', 1],
    [{ spo2: 96 }, 'spo2', 0],
    [{ spo2: 91, onOxygen: true }, 'spo2', 3],
    [{ spo2: 100, onOxygen: true }, 'spo2', 0],
    [{ spo2Scale: 2, spo2: 83 }, 'spo2', 3],
    [{ spo2Scale: 2, spo2: 84 }, 'spo2', 2],
    [{ spo2Scale: 2, spo2: 85 }, 'spo2', 2],
    [{ spo2Scale: 2, spo2: 86 }, 'spo2', 1],
    [{ spo2Scale: 2, spo2: 87 }, 'spo2', 1],
    [{ spo2Scale: 2, spo2: 88 }, 'spo2', 0],
    [{ spo2Scale: 2, spo2: 92 }, 'spo2', 0],
    [{ spo2Scale: 2, spo2: 93 }, 'spo2', 0],
    [{ spo2Scale: 2, spo2: 100 }, 'spo2', 0],
    [{ spo2Scale: 2, spo2: 87, onOxygen: true }, 'spo2', 1],
    [{ spo2Scale: 2, spo2: 92, onOxygen: true }, 'spo2', 0],
    [{ spo2Scale: 2, spo2: 93, onOxygen: true }, 'spo2', 1],
    [{ spo2Scale: 2, spo2: 94, onOxygen: true }, 'spo2', 1],
    [{ spo2Scale: 2, spo2: 95, onOxygen: true }, 'spo2', 2],
    [{ spo2Scale: 2, spo2: 96, onOxygen: true }, 'spo2', 2],
    [{ spo2Scale: 2, spo2: 97, onOxygen: true }, 'spo2', 3],
    [{ onOxygen: true }, 'airOrOxygen', 2],
    [{ spo2Scale: 2, onOxygen: true }, 'airOrOxygen', 2],
    [{ sbp: 90 }, 'sbp', 3],
    [{ sbp: 91 }, 'sbp', 2],
    [{ sbp: 100 }, 'sbp', 2],
    [{ sbp: 101 }, 'sbp', 1],
    [{ sbp: 110 }, 'sbp', 1],
    [{ sbp: 111 }, 'sbp', 0],
    [{ sbp: 219 }, 'sbp', 0],
    [{ sbp: 220 }, 'sbp', 3],
    [{ pulse: 40 }, 'pulse', 3],
    [{ pulse: 41 }, 'pulse', 1],
    [{ pulse: 50 }, 'pulse', 1],
    [{ pulse: 51 }, 'pulse', 0],
    [{ pulse: 90 }, 'pulse', 0],
    [{ pulse: 91 }, 'pulse', 1],
    [{ pulse: 110 }, 'pulse', 1],
    [{ pulse: 111 }, 'pulse', 2],
    [{ pulse: 130 }, 'pulse', 2],
    [{ pulse: 131 }, 'pulse', 3],
    [{ consciousness: 'A' }, 'consciousness', 0],
    [{ consciousness: 'C' }, 'consciousness', 3],
    [{ consciousness: 'V' }, 'consciousness', 3],
    [{ consciousness: 'P' }, 'consciousness', 3],
    [{ consciousness: 'U' }, 'consciousness', 3],
    [{ temp: 35 }, 'temp', 3],
    [{ temp: 35.1 }, 'temp', 1],
    [{ temp: 36 }, 'temp', 1],
    [{ temp: 36.1 }, 'temp', 0],
    [{ temp: 38 }, 'temp', 0],
    [{ temp: 38.1 }, 'temp', 1],
    [{ temp: 39 }, 'temp', 1],
    [{ temp: 39.1 }, 'temp', 2],
    // 0.1 + 0.2 style noise: 35.1 reached by arithmetic is still 35.1.
    [{ temp: 35 + 0.1 }, 'temp', 1],
    [{ temp: 36.2 - 0.1 }, 'temp', 0],
  ] as const)('%o → %s %i', (patch, field, expected) => {
    expect(news2(obs(patch as Partial<News2Input>)).subscores[field]).toBe(expected);
  });

  it('scores a normal set 0, low risk', () => {
    expect(news2(NORMAL)).toEqual({
      subscores: { rr: 0, spo2: 0, airOrOxygen: 0, sbp: 0, pulse: 0, consciousness: 0, temp: 0 },
      total: 0,
      redScore: false,
      clinicalRisk: 'low',
    });
  });

  it('Chart 3: 0-4 low, a red score low-medium, 5-6 medium, 7+ high', () => {
    expect(news2(obs({ rr: 22, temp: 38.5, pulse: 95 })).clinicalRisk).toBe('low'); // 2+1+1 = 4
    expect(news2(obs({ rr: 25 })).clinicalRisk).toBe('low-medium'); // 3, red
    expect(news2(obs({ rr: 25, pulse: 95 })).clinicalRisk).toBe('low-medium'); // 4, red
    expect(news2(obs({ rr: 22, spo2: 93, pulse: 95 })).clinicalRisk).toBe('medium'); // 5
    expect(news2(obs({ rr: 25, spo2: 93, pulse: 95 })).clinicalRisk).toBe('medium'); // 6, red
    expect(news2(obs({ rr: 25, spo2: 93, pulse: 115 })).clinicalRisk).toBe('high'); // 7
    const worst = news2({
      rr: 4,
      spo2: 80,
      spo2Scale: 1,
      onOxygen: true,
      sbp: 60,
      pulse: 150,
      consciousness: 'U',
      temp: 34,
    });
    expect(worst.total).toBe(20);
    expect(worst.clinicalRisk).toBe('high');
  });

  it('news2ClinicalRisk rejects totals the chart cannot produce', () => {
    expect(() => news2ClinicalRisk(21, false)).toThrow(RangeError);
    expect(() => news2ClinicalRisk(-1, false)).toThrow(RangeError);
    expect(() => news2ClinicalRisk(2.5, false)).toThrow(/0-20/);
  });

  it('news2Response gives the RCP response for each risk level', () => {
    expect(news2Response(news2(NORMAL)).monitoring).toBe('minimum 12-hourly');
    expect(news2Response(news2(obs({ rr: 22 }))).monitoring).toBe('minimum 4-6-hourly');
    expect(news2Response(news2(obs({ rr: 25 }))).clinicalResponse).toMatch(/^RN to inform medical team/);
    expect(news2Response(news2(obs({ rr: 22, spo2: 93, pulse: 95 }))).response).toBe(
      'key threshold for urgent response',
    );
    expect(news2Response(news2(obs({ rr: 25, spo2: 93, pulse: 115 }))).monitoring).toBe(
      'continuous monitoring of vital signs',
    );
  });

  it('scoreValidNews2 refuses a value between bands instead of guessing', () => {
    expect(() => scoreValidNews2(obs({ rr: 8.5 }))).toThrow(/rr 8.5 falls between the chart's bands/);
    expect(scoreValidNews2(obs({ rr: 8 })).subscores.rr).toBe(3);
  });
});

describe('news2: invalid input is a ValidationError naming the field', () => {
  const invalid = (input: unknown): ValidationError => {
    try {
      news2(input);
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect(isHealthItError(e, 'validation/invalid')).toBe(true);
      return e as ValidationError;
    }
    throw new Error('news2 accepted invalid input');
  };

  it.each([
    ['rr', { rr: 18.5 }, /whole number/],
    ['spo2', { spo2: 95.5 }, /whole number/],
    ['sbp', { sbp: 120.2 }, /whole number/],
    ['pulse', { pulse: 80.5 }, /whole number/],
    ['temp', { temp: 36.15 }, /at most one decimal/],
    ['temp', { temp: 37.25 }, /at most one decimal/],
    ['temp', { temp: 35.05 }, /at most one decimal/],
    ['rr', { rr: -1 }, /at least 0/],
    ['rr', { rr: 101 }, /at most 100/],
    ['spo2', { spo2: 101 }, /at most 100 %/],
    ['spo2', { spo2: 49 }, /at least 50 %/],
    ['sbp', { sbp: 39 }, /at least 40 mmHg/],
    ['sbp', { sbp: 301 }, /at most 300 mmHg/],
    ['pulse', { pulse: 19 }, /at least 20/],
    ['pulse', { pulse: 301 }, /at most 300/],
    ['temp', { temp: 24.9 }, /at least 25/],
    ['temp', { temp: 45.1 }, /at most 45/],
    ['temp', { temp: 98.6 }, /at most 45 °C/],
    ['rr', { rr: Number.NaN }, /number/],
    ['pulse', { pulse: Number.POSITIVE_INFINITY }, /./],
    ['sbp', { sbp: '120' }, /must be a number/],
    ['spo2Scale', { spo2Scale: 3 }, /must be 1 \(default\) or 2/],
    ['onOxygen', { onOxygen: 'yes' }, /true \(supplemental oxygen\)/],
    ['consciousness', { consciousness: 'a' }, /ACVPU/],
    ['consciousness', { consciousness: 'X' }, /ACVPU/],
  ] as const)('%s %o', (field, patch, message) => {
    const e = invalid({ ...NORMAL, ...patch });
    expect(e.schema).toBe('News2Input');
    expect(e.issues.map((i) => i.path)).toContain(field);
    expect(e.message).toContain(`${field}: `);
    expect(e.issues.find((i) => i.path === field)?.message).toMatch(message);
  });

  it('names every missing field', () => {
    const { temp: _t, consciousness: _c, ...partial } = NORMAL;
    const e = invalid(partial);
    expect(e.issues.map((i) => i.path).sort()).toEqual(['consciousness', 'temp']);
  });

  it('rejects unknown fields (a misspelt field would go unscored)', () => {
    const e = invalid({ ...NORMAL, heartRate: 80 });
    expect(e.message).toMatch(/heartRate/);
  });

  it('rejects what is not an object', () => {
    for (const v of [null, undefined, 42, 'news2', []]) invalid(v);
  });
});
