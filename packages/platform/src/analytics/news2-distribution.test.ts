import { ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { type News2Record, news2Distribution, news2RiskOf } from './news2-distribution.js';

describe('news2RiskOf', () => {
  it('follows Chart 3', () => {
    expect([0, 4, 5, 6, 7, 20].map((t) => news2RiskOf(t, false))).toEqual([
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
    ]);
    expect([3, 5, 7].map((t) => news2RiskOf(t, true))).toEqual(['low-medium', 'medium', 'high']);
  });
});

describe('news2Distribution', () => {
  const wardOf = new Map([
    ['a1', 'ward-a'],
    ['a2', 'ward-a'],
    ['a3', 'ward-a'],
    ['b1', 'ward-b'],
  ]);

  it('counts each patient once, by its latest record, per ward and risk', () => {
    const records: News2Record[] = [
      { patientId: 'a1', total: 8, ts: 1000 },
      { patientId: 'a1', total: 2, ts: 2000 }, // latest: low
      { patientId: 'a2', total: 3, redScore: true, ts: 1500 }, // low-medium
      { patientId: 'a3', clinicalRisk: 'high', ts: 3000 },
      { patientId: 'a3', total: 5, ts: 2500 }, // older
      { patientId: 'b1', total: 6 }, // no ts
      { patientId: 'b1', clinicalRisk: 'medium', total: 5 }, // later in input
      { patientId: 'z9', total: 0 },
    ];
    expect(news2Distribution(records, { wardOf })).toEqual({
      unassigned: 1,
      wards: [
        { ward: 'ward-a', patients: 3, counts: { low: 1, 'low-medium': 1, medium: 0, high: 1 } },
        { ward: 'ward-b', patients: 1, counts: { low: 0, 'low-medium': 0, medium: 1, high: 0 } },
      ],
    });
  });

  it('refuses bad records with a ValidationError naming each', () => {
    const bad = [
      { patientId: '', total: 1 },
      { patientId: 'a1', total: 21 },
      { patientId: 'a1', clinicalRisk: 'severe' },
      { patientId: 'a1', total: 7, clinicalRisk: 'low' },
      { patientId: 'a1' },
    ] as News2Record[];
    try {
      news2Distribution(bad, { wardOf });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues.map((i) => i.path)).toEqual([
        '0.patientId',
        '1.total',
        '2.clinicalRisk',
        '3.clinicalRisk',
        '4',
      ]);
    }
  });
});
