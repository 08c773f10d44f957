import { Checks } from './validate.js';
import type { WardOf } from './ward-cohort.js';

/** NEWS2 clinical risk (RCP 2017, Chart 3), as the gateway's `news2()` reports it. */
export type News2Risk = 'low' | 'low-medium' | 'medium' | 'high';

/** Every {@link News2Risk}, lowest first. */
export const NEWS2_RISKS = ['low', 'low-medium', 'medium', 'high'] as const satisfies readonly News2Risk[];

/**
 * One NEWS2 score of one patient: the gateway's `News2Result` with the patient and time added
 * fits. Give `clinicalRisk`, or `total` (and `redScore`) to derive it.
 */
export interface News2Record {
  /** The patient scored; joins the record to its ward through `wardOf`. */
  readonly patientId: string;
  /** Aggregate score, an integer 0–20. */
  readonly total?: number;
  /** True when a single parameter scored 3. */
  readonly redScore?: boolean;
  /**
   * The RCP clinical-risk band; derived from `total` and `redScore` when absent, and must agree
   * with `total` when both are given.
   */
  readonly clinicalRisk?: News2Risk;
  /** When it was scored, epoch ms: with several records of a patient, the latest counts. */
  readonly ts?: number;
}

/** Counts per clinical risk on one ward. */
export interface WardNews2Distribution {
  /** The ward's name, as `wardOf` gives it. */
  readonly ward: string;
  /** Patients counted (one record each). */
  readonly patients: number;
  /** Patients per clinical risk; every band is present (0 when none), and they sum to `patients`. */
  readonly counts: Readonly<Record<News2Risk, number>>;
}

/** What {@link news2Distribution} found. */
export interface News2Distribution {
  /** In code-point order of the ward. */
  readonly wards: readonly WardNews2Distribution[];
  /** Patients on no ward. */
  readonly unassigned: number;
}

/**
 * Chart 3: aggregate ≥ 7 high, 5–6 medium, otherwise low-medium when a single parameter scores 3,
 * otherwise low (the same rule as the gateway's `news2ClinicalRisk`).
 */
export function news2RiskOf(total: number, redScore: boolean): News2Risk {
  if (total >= 7) return 'high';
  if (total >= 5) return 'medium';
  return redScore ? 'low-medium' : 'low';
}

/**
 * Per ward, how many patients are at each NEWS2 clinical risk, from NEWS2 records (e.g. the
 * gateway's scores with patient and time). Each patient counts once, by its latest record (the
 * greatest `ts`; the later in `records` on a tie or without `ts`).
 *
 * @throws {ValidationError} (`validation/invalid`, schema `News2Records`) naming every bad record:
 * no patient, a total outside 0–20, an unknown risk, or a risk that contradicts its total.
 * @example
 * ```ts
 * const { wards } = news2Distribution(scores, { wardOf: (p) => admissions.get(p)?.ward });
 * // wards[0].counts → { low: 12, 'low-medium': 1, medium: 2, high: 0 }
 * ```
 */
export function news2Distribution(
  records: Iterable<News2Record>,
  options: { readonly wardOf: WardOf },
): News2Distribution {
  const c = new Checks('News2Records');
  const wardOf = options?.wardOf;
  if (typeof wardOf !== 'function' && !(wardOf instanceof Map)) {
    c.fail('wardOf', 'expected a function (patientId) => ward | undefined or a Map', 'invalid_type');
  }
  const latest = new Map<string, { ts: number; risk: News2Risk }>();
  let i = -1;
  for (const r of records) {
    i += 1;
    const path = `${i}`;
    if (!c.object(r)) continue;
    const ok = c.id(`${path}.patientId`, r.patientId);
    let risk: News2Risk | undefined;
    if (r.total !== undefined) {
      if (typeof r.total !== 'number' || !Number.isInteger(r.total) || r.total < 0 || r.total > 20) {
        c.fail(`${path}.total`, `expected an integer 0-20, received ${String(r.total)}`);
        continue;
      }
      risk = news2RiskOf(r.total, r.redScore === true);
    }
    if (r.clinicalRisk !== undefined) {
      if (!(NEWS2_RISKS as readonly unknown[]).includes(r.clinicalRisk)) {
        c.fail(
          `${path}.clinicalRisk`,
          `unknown risk "${String(r.clinicalRisk)}": use ${NEWS2_RISKS.join(', ')}`,
        );
        continue;
      }
      if (risk !== undefined && risk !== r.clinicalRisk) {
        c.fail(`${path}.clinicalRisk`, `"${r.clinicalRisk}" contradicts total ${r.total} (${risk})`);
        continue;
      }
      risk = r.clinicalRisk;
    }
    if (risk === undefined) {
      c.fail(path, 'needs clinicalRisk or total', 'invalid_type');
      continue;
    }
    if (r.ts !== undefined && !c.epochMs(`${path}.ts`, r.ts)) continue;
    if (!ok) continue;
    const ts = r.ts ?? Number.NEGATIVE_INFINITY;
    const seen = latest.get(r.patientId);
    if (seen === undefined || ts >= seen.ts) latest.set(r.patientId, { ts, risk });
  }
  c.throwIfAny();

  const ward = (p: string): string | undefined => (typeof wardOf === 'function' ? wardOf(p) : wardOf.get(p));
  const byWard = new Map<string, { patients: number; counts: Record<News2Risk, number> }>();
  let unassigned = 0;
  for (const [patientId, { risk }] of latest) {
    const w = ward(patientId);
    if (typeof w !== 'string') {
      unassigned += 1;
      continue;
    }
    let entry = byWard.get(w);
    if (entry === undefined) {
      entry = { patients: 0, counts: { low: 0, 'low-medium': 0, medium: 0, high: 0 } };
      byWard.set(w, entry);
    }
    entry.patients += 1;
    entry.counts[risk] += 1;
  }
  const wards = [...byWard]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, e]) => ({ ward: name, patients: e.patients, counts: e.counts }));
  return { wards, unassigned };
}
