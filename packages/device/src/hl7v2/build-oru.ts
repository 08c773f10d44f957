import { HealthItError, METRICS, type Reading, toCanonicalUnit } from '@healthit/core';
import { formatHl7DateTime } from './datetime.js';
import { DEFAULT_HL7_DELIMITERS } from './delimiters.js';
import { components, fieldText, formatNm, segment } from './encode.js';
import { escapeHl7 } from './escape.js';
import { METRIC_TO_MDC } from './mdc.js';

/** Options of {@link buildOruR01}. */
export interface BuildOruOptions {
  /** MSH-10: unique per message from this sender (the acknowledgement echoes it). */
  readonly controlId: string;
  /** MSH-7, epoch ms: when the message was made. */
  readonly timestamp: number;
  /** The UTC offset written with every time. Default 0 (`+0000`). */
  readonly utcOffsetMinutes?: number;
  /** MSH-3 as text or HD components (`['MONITOR_GW', '0123456789ABCDEF', 'EUI-64']`). Default `HEALTHIT_SDK`. */
  readonly sendingApplication?: string | readonly string[];
  /** MSH-4. */
  readonly sendingFacility?: string | readonly string[];
  /** MSH-5. */
  readonly receivingApplication?: string | readonly string[];
  /** MSH-6. */
  readonly receivingFacility?: string | readonly string[];
  /** MSH-11: `P` production (default), `D` debugging, `T` training. */
  readonly processingId?: 'P' | 'D' | 'T';
}

/** IHE PCD-01's MSH-21 message profile. */
const PCD01_PROFILE = ['IHE_PCD_001', 'IHE PCD', '1.3.6.1.4.1.19376.1.6.1.1.1', 'ISO'];
/** OBR-4 of IHE PCD-01 observation reports: SNOMED CT 182777000 "monitoring of patient". */
const MONITORING_OF_PATIENT = ['182777000', 'monitoring of patient', 'SCT'];

/**
 * Builds an ORU^R01 (IHE PCD-01 "Communicate PCD Data", HL7 v2.6) carrying `readings`, as a
 * bedside monitor or its gateway sends them: MSH, PID (when the readings have a patient), one OBR
 * (OBR-7 = the earliest reading), and one OBX per reading with
 * - OBX-2 `NM`, OBX-3 the MDC code (`150456^MDC_PULS_OXIM_SAT_O2^MDC`), OBX-4 `<device>.0.0.<n>`;
 * - OBX-5 the value in the metric's canonical unit, OBX-6 the MDC unit (`262688^MDC_DIM_PERCENT^MDC`);
 * - OBX-8 `questionable` / `invalid` for quality questionable / bad, OBX-11 `F` for quality good
 *   and `R` otherwise (so `oruToReadings` gives the quality back);
 * - OBX-14 the reading's time, OBX-18 the device id, OBX-21 the reading id.
 *
 * `oruToReadings(parseHl7(buildOruR01(readings, o)))` returns the same readings when they are
 * in canonical units with ids `deviceId:seq` (values in other units come back converted).
 *
 * @throws {HealthItError} `codec/encode` when a metric has no MDC code here (see
 *   `METRIC_TO_MDC`), a value is not finite, or the readings belong to different patients (one
 *   patient per message: build one message per patient).
 * @throws {RangeError} when `readings` is empty, `controlId` is empty or a time is out of range.
 * @example
 * ```ts
 * const text = buildOruR01(readings, { controlId: 'MSG-1', timestamp: Date.now() });
 * await client.send(text);
 * ```
 */
export function buildOruR01(readings: readonly Reading[], options: BuildOruOptions): string {
  if (readings.length === 0) throw new RangeError('an ORU^R01 needs at least one reading');
  if (options.controlId === '') throw new RangeError('controlId (MSH-10) must not be empty');
  const d = DEFAULT_HL7_DELIMITERS;
  const offset = options.utcOffsetMinutes ?? 0;
  const first = readings[0] as Reading;
  const patientId = first.patientId;
  let earliest = first.ts;
  for (const r of readings) {
    if (r.patientId !== patientId) {
      throw new HealthItError(
        'codec/encode',
        `ORU^R01: readings of different patients (${patientId ?? 'none'}, ${r.patientId ?? 'none'}) in one message; build one message per patient`,
        { detail: { patientIds: [patientId ?? null, r.patientId ?? null] } },
      );
    }
    earliest = Math.min(earliest, r.ts);
  }
  const app = options.sendingApplication ?? 'HEALTHIT_SDK';
  const controlId = escapeHl7(options.controlId, d);
  const lines = [
    `MSH${d.field}${segment(
      '',
      [
        d.component + d.repetition + d.escape + d.subComponent,
        fieldText(app, d),
        fieldText(options.sendingFacility, d),
        fieldText(options.receivingApplication, d),
        fieldText(options.receivingFacility, d),
        formatHl7DateTime(options.timestamp, offset),
        '',
        components(['ORU', 'R01', 'ORU_R01'], d),
        controlId,
        options.processingId ?? 'P',
        '2.6',
        '',
        '',
        'AL',
        'NE',
        '',
        'UNICODE UTF-8',
        '',
        '',
        components(PCD01_PROFILE, d),
      ],
      d,
    ).slice(1)}`,
  ];
  if (patientId !== undefined) lines.push(segment('PID', ['', '', escapeHl7(patientId, d)], d));
  const order = components([options.controlId, typeof app === 'string' ? app : (app[0] ?? '')], d);
  lines.push(
    segment(
      'OBR',
      ['1', order, order, components(MONITORING_OF_PATIENT, d), '', '', formatHl7DateTime(earliest, offset)],
      d,
    ),
  );
  const deviceIndex = new Map<string, { index: number; count: number }>();
  readings.forEach((r, i) => {
    const coding = METRIC_TO_MDC[r.metric];
    if (coding === undefined) {
      throw new HealthItError(
        'codec/encode',
        `ORU^R01: metric ${r.metric} (reading ${r.id}) has no MDC code in METRIC_TO_MDC; supported: ${Object.keys(METRIC_TO_MDC).join(', ')}`,
        { detail: { readingId: r.id, metric: r.metric } },
      );
    }
    if (!Number.isFinite(r.value)) {
      throw new HealthItError('codec/encode', `ORU^R01: reading ${r.id} has a non-finite value ${r.value}`, {
        detail: { readingId: r.id, value: String(r.value) },
      });
    }
    let device = deviceIndex.get(r.deviceId);
    if (device === undefined) {
      device = { index: deviceIndex.size + 1, count: 0 };
      deviceIndex.set(r.deviceId, device);
    }
    device.count++;
    const value = r.unit === METRICS[r.metric].unit ? r.value : toCanonicalUnit(r.metric, r.value, r.unit);
    const { observation, unit } = coding;
    lines.push(
      segment(
        'OBX',
        [
          String(i + 1),
          'NM',
          components([observation.code, observation.refId, 'MDC'], d),
          `${device.index}.0.0.${device.count}`,
          formatNm(value),
          components([unit.code, unit.refId, 'MDC'], d),
          '',
          r.quality === 'questionable' ? 'questionable' : r.quality === 'bad' ? 'invalid' : '',
          '',
          '',
          r.quality === 'good' ? 'F' : 'R',
          '',
          '',
          formatHl7DateTime(r.ts, offset),
          '',
          '',
          '',
          escapeHl7(r.deviceId, d),
          '',
          '',
          escapeHl7(r.id, d),
        ],
        d,
      ),
    );
  });
  return `${lines.join('\r')}\r`;
}
