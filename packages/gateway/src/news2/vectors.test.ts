import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEWS2_BANDS, NEWS2_RESPONSES } from './chart.js';
import type { News2Input } from './input.js';
import { type News2Result, news2, news2Response } from './score.js';

const VECTORS = join(import.meta.dirname, '../../test/vectors/news2');

interface Case {
  readonly id: string;
  readonly kind: 'parameter' | 'aggregate';
  readonly parameter?: keyof News2Result['subscores'];
  readonly inputs: News2Input;
  readonly source_expected: Record<string, unknown> | null;
  readonly official_rcp2017: News2Result & { readonly response: string };
  /** The file's name for "agrees with the RCP chart"; null when the source asserts nothing comparable. */
  readonly agrees_with_official: boolean | null;
  readonly discrepancy?: readonly string[];
}

const file = JSON.parse(readFileSync(join(VECTORS, 'news2-cases.json'), 'utf8')) as {
  summary: { total: number; agree: number; disagree: number; no_source_expected: number };
  cases: Case[];
};

interface TableBand {
  min?: number;
  max?: number;
  on?: 'air' | 'oxygen';
  score: number;
}
const table = JSON.parse(readFileSync(join(VECTORS, 'news2-official-table.json'), 'utf8')) as {
  parameters: Record<string, TableBand[] | string>;
  aggregate_thresholds_chart3: { condition: string; clinical_risk: string; response: string }[];
  clinical_response_chart4: { score: string; monitoring: string; response: string }[];
};

describe('news2 against the public cases (news2-cases.json)', () => {
  it('holds 167 cases: 148 agreeing with the RCP chart, 17 disagreeing, 2 with nothing to compare', () => {
    const count = (v: boolean | null) => file.cases.filter((c) => c.agrees_with_official === v).length;
    expect(file.cases).toHaveLength(167);
    expect([count(true), count(false), count(null)]).toEqual([148, 17, 2]);
    expect(file.summary).toEqual({ total: 167, agree: 148, disagree: 17, no_source_expected: 2 });
  });

  it.each(file.cases.map((c) => [c.id, c] as const))('%s scores as the RCP chart says', (_id, c) => {
    const { response: _response, ...rcp } = c.official_rcp2017;
    expect(news2(c.inputs)).toEqual(rcp);
  });

  it('agrees with the source wherever the source agrees with the RCP chart', () => {
    let checked = 0;
    for (const c of file.cases.filter((x) => x.agrees_with_official === true)) {
      const result = news2(c.inputs);
      const expected = c.source_expected ?? {};
      if (typeof expected.subscore === 'number' && c.parameter !== undefined) {
        expect(result.subscores[c.parameter], c.id).toBe(expected.subscore);
        checked++;
      }
      if (typeof expected.total === 'number') {
        expect(result.total, c.id).toBe(expected.total);
        checked++;
      }
      if (typeof expected.clinicalRisk === 'string') {
        expect(result.clinicalRisk, c.id).toBe(expected.clinicalRisk);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(148);
  });

  it('departs from the source, in the way the case records, wherever the source departs from the chart', () => {
    const disagreeing = file.cases.filter((c) => c.agrees_with_official === false);
    let subscoreDiffs = 0;
    let riskDiffs = 0;
    for (const c of disagreeing) {
      const result = news2(c.inputs);
      const expected = c.source_expected ?? {};
      expect(c.discrepancy?.length, c.id).toBeGreaterThan(0);
      if (typeof expected.subscore === 'number' && c.parameter !== undefined) {
        expect(result.subscores[c.parameter], c.id).not.toBe(expected.subscore);
        subscoreDiffs++;
      } else {
        expect(result.clinicalRisk, c.id).not.toBe(expected.clinicalRisk);
        riskDiffs++;
      }
    }
    // 8 sources score SpO2 Scale 2 at >= 93 % on air (the chart scores 0); 9 classify the risk
    // otherwise than Chart 3 (a red score is low-medium; 3 or 4 without one is low).
    expect([subscoreDiffs, riskDiffs]).toEqual([8, 9]);
  });
});

describe('the chart data matches the official table (news2-official-table.json)', () => {
  it.each([
    ['respiration_rate_per_min', NEWS2_BANDS.rr],
    ['spo2_scale1_percent', NEWS2_BANDS.spo2Scale1],
    ['spo2_scale2_percent', NEWS2_BANDS.spo2Scale2],
    ['systolic_bp_mmHg', NEWS2_BANDS.sbp],
    ['pulse_per_min', NEWS2_BANDS.pulse],
    ['temperature_celsius', NEWS2_BANDS.temp],
  ] as const)('%s', (name, bands) => {
    expect(bands).toEqual(table.parameters[name]);
  });

  it('Chart 3 and Chart 4 text is carried verbatim', () => {
    const chart3 = table.aggregate_thresholds_chart3;
    const chart4 = table.clinical_response_chart4;
    const rows = [
      [NEWS2_RESPONSES.zero, chart3[0], chart4[0]],
      [NEWS2_RESPONSES.low, chart3[0], chart4[1]],
      [NEWS2_RESPONSES['low-medium'], chart3[1], chart4[2]],
      [NEWS2_RESPONSES.medium, chart3[2], chart4[3]],
      [NEWS2_RESPONSES.high, chart3[3], chart4[4]],
    ] as const;
    for (const [ours, c3, c4] of rows) {
      expect(ours.clinicalRisk).toBe(c3?.clinical_risk.toLowerCase());
      expect(ours.response).toBe(c3?.response);
      expect(ours.trigger).toBe(c4?.score);
      expect(ours.monitoring).toBe(c4?.monitoring);
      expect(ours.clinicalResponse).toBe(c4?.response);
    }
  });

  it('news2Response picks the Chart 4 row the case file names', () => {
    for (const c of file.cases) {
      const r = news2Response(news2(c.inputs));
      // The case file abbreviates e.g. "ward-based response (min 12-hourly)".
      const hours = /\((?:min )?([^)]*)\)/.exec(c.official_rcp2017.response)?.[1] ?? '';
      expect(r.monitoring, c.id).toContain(hours.replace(' monitoring', ''));
    }
  });
});
