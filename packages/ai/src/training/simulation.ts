import {
  createSeriesBuilder,
  type PatientSeries,
  type ReadingCounts,
  type ReadingLike,
} from '../features/signal-series.js';

/**
 * The ground truth of one patient at one tick, as `@healthit/device`'s simulator reports it
 * (`PatientTruth`); declared here by shape so that `@healthit/ai` does not depend on the simulator.
 */
export interface TruthLike {
  /** The simulated patient's id. */
  readonly patientId: string;
  /** True vital signs, unrounded, canonical units. */
  readonly vitals: {
    readonly 'heart-rate': number;
    readonly 'respiratory-rate': number;
    readonly spo2: number;
    readonly 'body-temperature': number;
    readonly 'bp-systolic': number;
  };
  /** The NEWS2 SpO2 scale that applies: 1, or 2 for hypercapnic respiratory failure (target 88–92 %). */
  readonly spo2Scale: 1 | 2;
  /** True when on supplemental oxygen (NEWS2 scores 2 for it). */
  readonly onOxygen: boolean;
  /** ACVPU level of consciousness: Alert, new Confusion, Voice, Pain, Unresponsive. */
  readonly consciousness: 'A' | 'C' | 'V' | 'P' | 'U';
}

/** What one device measured at one tick (the simulator's `DeviceSample`), by shape. */
export interface SampleLike {
  /** The patient the device measured. */
  readonly patientId: string;
  /** The time the device stamped on its readings, epoch ms. */
  readonly ts: number;
  /** The faults that affected this measurement (ground truth). */
  readonly faults: readonly { readonly kind: string }[];
  /** The readings the device produced for this measurement (empty when it produced none). */
  readonly readings: readonly ReadingLike[];
}

/** One tick of the simulation (the simulator's `SimulationTick`), by shape. */
export interface TickLike {
  /** The tick's simulated time, epoch ms. */
  readonly ts: number;
  /** Every patient's ground truth at this tick. */
  readonly patients: readonly TruthLike[];
  /** What the devices measured this tick, as measured (before delivery). */
  readonly samples: readonly SampleLike[];
  /** What reached the wire this tick, in order (late, duplicated …). */
  readonly deliveries: readonly { readonly sample: SampleLike }[];
}

/**
 * A NEWS2 observation set at the chart's resolution — the shape of the gateway's `News2Input`, so
 * its scorer can be passed in: whole rates, SpO2 and pressure, temperature to 0.1 °C.
 */
export interface News2Observation {
  /** Respiratory rate, breaths per minute, whole. */
  readonly rr: number;
  /** Oxygen saturation, %, whole. */
  readonly spo2: number;
  /** The NEWS2 SpO2 scale that applies: 1, or 2 for hypercapnic respiratory failure. */
  readonly spo2Scale: 1 | 2;
  /** True when on supplemental oxygen. */
  readonly onOxygen: boolean;
  /** Systolic blood pressure, mm Hg, whole. */
  readonly sbp: number;
  /** Pulse (heart rate), beats per minute, whole. */
  readonly pulse: number;
  /** ACVPU level of consciousness: Alert, new Confusion, Voice, Pain, Unresponsive. */
  readonly consciousness: 'A' | 'C' | 'V' | 'P' | 'U';
  /** Body temperature, °C, to 0.1. */
  readonly temp: number;
}

/** The NEWS2 observation set of a patient's true state: values rounded as a chart records them. */
export function news2Observation(truth: TruthLike): News2Observation {
  const v = truth.vitals;
  return {
    rr: Math.round(v['respiratory-rate']),
    spo2: Math.round(v.spo2),
    spo2Scale: truth.spo2Scale,
    onOxygen: truth.onOxygen,
    sbp: Math.round(v['bp-systolic']),
    pulse: Math.round(v['heart-rate']),
    consciousness: truth.consciousness,
    temp: Math.round(v['body-temperature'] * 10) / 10,
  };
}

/** A patient's scores over time, ascending (e.g. NEWS2 totals, like the warehouse's `scores`). */
export interface ScoreTimeline {
  /** Times of the scores, epoch ms, ascending; as long as `total`. */
  readonly ts: Float64Array;
  /** The score at each time (e.g. a NEWS2 total, an integer 0–20). */
  readonly total: Float32Array;
}

/** A patient's measurements over time, ascending: whether a sensor fault spoiled each. */
export interface MeasurementTimeline {
  /** Times of the measurements, epoch ms, ascending and distinct; as long as `faulty`. */
  readonly ts: Float64Array;
  /** 1 when a sensor fault (of the fault kinds asked for) spoiled the measurement at that time, else 0. */
  readonly faulty: Uint8Array;
}

/** What {@link recordSimulation} keeps of a run. */
export interface SimulationRecord {
  /** Every patient's readings as delivered (faults, duplicates and late deliveries included). */
  readonly series: Map<string, PatientSeries>;
  /** Every patient's NEWS2 total from the ground truth at every tick. */
  readonly news2: Map<string, ScoreTimeline>;
  /** Every patient's measurements and whether a fault of `faultKinds` spoiled each. */
  readonly measurements: Map<string, MeasurementTimeline>;
  /** The readings delivered, by what feature extraction made of them. */
  readonly counts: Readonly<ReadingCounts>;
  /** Ticks consumed from the run. */
  readonly ticks: number;
}

/** Options of {@link recordSimulation}. */
export interface RecordSimulationOptions {
  /**
   * Scores a NEWS2 observation set (e.g. `(o) => scoreValidNews2(o).total` from
   * `@healthit/gateway`): passed in, so the RCP chart lives in one place.
   */
  readonly news2: (observation: News2Observation) => number;
  /** The fault kinds that make a measurement faulty (default `motion-artefact` and `stuck`). */
  readonly faultKinds?: readonly string[];
}

class Growing {
  ts: number[] = [];
  value: number[] = [];
}

/**
 * Records a simulation run compactly — readings as per-patient series, NEWS2 of the true state
 * per tick, and which measurements a sensor fault spoiled — without keeping the ticks (an 18-hour
 * run of a thousand patients fits in memory). Consumes `ticks` once.
 *
 * @throws {RangeError} when `news2` returns something other than an integer 0–20.
 * @example
 * ```ts
 * const ward = createWardSimulator({ patients: 100, seed: 1, periodMs: 60_000, startTs });
 * const record = recordSimulation(ward.simulate({ toMs: 12 * 3_600_000 }), {
 *   news2: (o) => scoreValidNews2(o).total,
 * });
 * ```
 */
export function recordSimulation(
  ticks: Iterable<TickLike>,
  options: RecordSimulationOptions,
): SimulationRecord {
  const faultKinds = new Set(options.faultKinds ?? ['motion-artefact', 'stuck']);
  const builder = createSeriesBuilder();
  const scores = new Map<string, Growing>();
  const measured = new Map<string, Growing>();
  let count = 0;
  for (const tick of ticks) {
    count++;
    for (const truth of tick.patients) {
      const total = options.news2(news2Observation(truth));
      if (!Number.isInteger(total) || total < 0 || total > 20) {
        throw new RangeError(`recordSimulation: news2 returned ${total}, expected an integer 0-20`);
      }
      let s = scores.get(truth.patientId);
      if (s === undefined) {
        s = new Growing();
        scores.set(truth.patientId, s);
      }
      s.ts.push(tick.ts);
      s.value.push(total);
    }
    for (const sample of tick.samples) {
      if (sample.readings.length === 0) continue;
      let m = measured.get(sample.patientId);
      if (m === undefined) {
        m = new Growing();
        measured.set(sample.patientId, m);
      }
      m.ts.push(sample.ts);
      m.value.push(sample.faults.some((f) => faultKinds.has(f.kind)) ? 1 : 0);
    }
    for (const { sample } of tick.deliveries) for (const r of sample.readings) builder.add(r);
  }
  const news2 = new Map<string, ScoreTimeline>();
  for (const [p, s] of scores)
    news2.set(p, { ts: Float64Array.from(s.ts), total: Float32Array.from(s.value) });
  const measurements = new Map<string, MeasurementTimeline>();
  for (const [p, m] of measured) {
    // Sorted by time; several devices measuring at one time make one measurement, faulty if any was.
    const order = m.ts.map((_, i) => i).sort((a, b) => (m.ts[a] as number) - (m.ts[b] as number));
    const ts: number[] = [];
    const faulty: number[] = [];
    for (const i of order) {
      const t = m.ts[i] as number;
      if (ts.length > 0 && ts[ts.length - 1] === t) {
        faulty[faulty.length - 1] = Math.max(faulty[faulty.length - 1] as number, m.value[i] as number);
      } else {
        ts.push(t);
        faulty.push(m.value[i] as number);
      }
    }
    measurements.set(p, { ts: Float64Array.from(ts), faulty: Uint8Array.from(faulty) });
  }
  return { series: builder.finish(), news2, measurements, counts: { ...builder.counts }, ticks: count };
}

/**
 * Score timelines from score records in any order — e.g. the warehouse's `scores` dataset
 * (`{ patientId, ts, total }`), so deterioration labels can come from stored NEWS2 scores.
 *
 * @throws {RangeError} for a record with a non-finite time or total.
 */
export function scoreTimelines(
  records: Iterable<{ readonly patientId: string; readonly ts: number; readonly total: number }>,
): Map<string, ScoreTimeline> {
  const grouped = new Map<string, Growing>();
  for (const r of records) {
    if (!Number.isFinite(r.ts) || !Number.isFinite(r.total)) {
      throw new RangeError(`scoreTimelines: record of ${r.patientId} has a non-finite ts or total`);
    }
    let g = grouped.get(r.patientId);
    if (g === undefined) {
      g = new Growing();
      grouped.set(r.patientId, g);
    }
    g.ts.push(r.ts);
    g.value.push(r.total);
  }
  const out = new Map<string, ScoreTimeline>();
  for (const [p, g] of grouped) {
    const order = g.ts
      .map((_, i) => i)
      .sort(
        (a, b) =>
          (g.ts[a] as number) - (g.ts[b] as number) || (g.value[a] as number) - (g.value[b] as number),
      );
    out.set(p, {
      ts: Float64Array.from(order, (i) => g.ts[i] as number),
      total: Float32Array.from(order, (i) => g.value[i] as number),
    });
  }
  return out;
}
