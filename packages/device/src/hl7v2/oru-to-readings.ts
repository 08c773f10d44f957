import {
  type DeviceId,
  DeviceId as DeviceIdSchema,
  isKnownUnit,
  isUnitForMetric,
  METRIC_IDS,
  METRICS,
  type MetricId,
  PatientId as PatientIdSchema,
  type Reading,
  type ReadingQuality,
  readingId,
  toCanonicalUnit,
} from '@healthit/core';
import { firstRawPiece, rawPiece } from './access.js';
import { checkOffset, type Hl7DateTime, readHl7DateTime } from './datetime.js';
import { DEFAULT_HL7_DELIMITERS, type Hl7Delimiters, sameDelimiters } from './delimiters.js';
import { type Hl7ErrorCode, Hl7ParseError, Hl7UnsupportedMessageError } from './errors.js';
import { unescapeHl7 } from './escape.js';
import { MDC_METRICS, MDC_UNITS } from './mdc.js';
import type { Hl7Message, Hl7Segment } from './message.js';
import { rawField } from './segment.js';

/** Options of {@link oruToReadings}. */
export interface OruToReadingsOptions {
  /**
   * The UTC offset (minutes) of times sent without one: HL7 says such times are in the sender's
   * local time zone. Default: the offset of MSH-7 when it has one, else 0 (UTC).
   */
  readonly defaultUtcOffsetMinutes?: number;
  /** The device of observations whose OBX-18 (and whose ancestors' OBX-18) is empty. */
  readonly deviceId?: string;
  /** The patient of every reading, instead of PID-3. */
  readonly patientId?: string;
  /**
   * Gives the `seq` of a reading whose OBX-21 does not carry one. Must return a safe integer
   * >= 0, strictly increasing per device. Default: derived from the time and metric,
   * `ts × 32 + index of the metric in METRIC_IDS`, so a retransmitted message yields the same
   * reading ids (and de-duplicates downstream).
   */
  readonly assignSeq?: (deviceId: DeviceId, metric: MetricId, ts: number) => number;
  /**
   * Read observations with an empty OBX-11 (HL7 requires it) as readings of no stated quality.
   * Default false: they are rejected with an `observation-rejected` event.
   */
  readonly acceptMissingResultStatus?: boolean;
  /** More MDC observation codes (OBX-3.1 with coding system `MDC`) → metric; these win. */
  readonly mdcMetrics?: Readonly<Record<string, MetricId>>;
  /** More MDC dimension codes (OBX-6.1 with coding system `MDC`) → UCUM unit; these win. */
  readonly mdcUnits?: Readonly<Record<string, string>>;
}

/** An OBX as it was sent (raw, still escaped field text), carried by every {@link OruEvent}. */
export interface OruObservation {
  /** 0-based position of the OBX in the message. */
  readonly segmentIndex: number;
  /** OBX-1. */
  readonly setId: string;
  /** OBX-2. */
  readonly valueType: string;
  /** OBX-3.1, the observation identifier, e.g. `150456`. */
  readonly code: string;
  /** OBX-3.2, the observation's text, e.g. `MDC_PULS_OXIM_SAT_O2`. */
  readonly text: string;
  /** OBX-3.3, the coding system of `code`, e.g. `MDC` or `LN`. */
  readonly codingSystem: string;
  /** OBX-4. */
  readonly subId: string;
  /** OBX-5. */
  readonly value: string;
  /** OBX-6. */
  readonly units: string;
  /** OBX-8. */
  readonly abnormalFlags: string;
  /** OBX-11. */
  readonly status: string;
  /** OBX-14. */
  readonly observationTime: string;
  /** OBX-18. */
  readonly equipment: string;
}

/** Why an OBX did not become a reading (never silence). */
export type OruEvent =
  /** OBX-3 is not a mapped vital sign (containers such as MDS/VMD/channel rows land here too). */
  | {
      /** Discriminates the event. */
      readonly type: 'observation-unmapped';
      /** The OBX as sent. */
      readonly observation: OruObservation;
    }
  /**
   * A mapped vital sign that is not a measurement to use: OBX-11 is X, N, I, O, C, D or W, or
   * OBX-8 says `test-data`, `demo-data`, `not-available` or `msmt-ongoing`. `reason` says which.
   */
  | {
      /** Discriminates the event. */
      readonly type: 'observation-not-a-reading';
      /** The OBX as sent. */
      readonly observation: OruObservation;
      /** Which OBX-11 or OBX-8 code ruled it out and what it means, e.g. `OBX-11 I: result pending`. */
      readonly reason: string;
    }
  /** A mapped vital sign with a malformed value, unit, time, device or status. */
  | {
      /** Discriminates the event. */
      readonly type: 'observation-rejected';
      /** The OBX as sent. */
      readonly observation: OruObservation;
      /** What is malformed, with its location and the table 0357 code for an acknowledgement. */
      readonly error: Hl7ParseError;
    }
  /** A second OBX for the same reading id (same device, metric and time) in the message. */
  | {
      /** Discriminates the event. */
      readonly type: 'observation-duplicate';
      /** The later OBX as sent; the first one became the reading. */
      readonly observation: OruObservation;
      /** The reading id both OBX map to, `deviceId:seq`. */
      readonly readingId: string;
    }
  /** PID-3 is not a valid patient id; the readings of that patient carry none. */
  | {
      /** Discriminates the event. */
      readonly type: 'patient-id-invalid';
      /** 0-based position of the PID segment in the message. */
      readonly segmentIndex: number;
      /** PID-3.1 as received (unescaped). */
      readonly value: string;
      /** The parse error (table 0357 code 102, located at PID-3) for an acknowledgement. */
      readonly error: Hl7ParseError;
    };

/** What {@link oruToReadings} read from MSH. */
export interface OruHeader {
  /** MSH-10. */
  readonly controlId: string;
  /** MSH-9 as `ORU^R01`. */
  readonly messageType: string;
  /** MSH-12. */
  readonly version: string;
  /** MSH-11 (`P` production, `D` debugging, `T` training). */
  readonly processingId: string;
  /** MSH-3.1, the sending application's namespace id. */
  readonly sendingApplication: string;
  /** MSH-4.1, the sending facility's namespace id. */
  readonly sendingFacility: string;
  /** MSH-7 in epoch ms, when present and well-formed. */
  readonly messageTs: number | undefined;
  /** The offset applied to times without one (see `defaultUtcOffsetMinutes`). */
  readonly defaultUtcOffsetMinutes: number;
}

/** The result of {@link oruToReadings}. */
export interface OruReadings {
  /**
   * The readings, in the metric's canonical UCUM unit, in message order (sorted by seq where that
   * would put a device's seq out of order).
   */
  readonly readings: Reading[];
  /** Every OBX that did not become a reading and every unusable PID-3, with why, in message order. */
  readonly events: OruEvent[];
  /** What was read from MSH. */
  readonly header: OruHeader;
}

const SUPPORTED_TYPES = ['ORU^R01'];

/** OBX-11 (HL7 table 0085) → the reading's quality, or why it is not a reading. */
const RESULT_STATUS: Readonly<
  Record<string, { quality: ReadingQuality | undefined } | { notReading: string }>
> = {
  F: { quality: 'good' },
  U: { quality: 'good' },
  R: { quality: undefined },
  P: { quality: undefined },
  S: { quality: undefined },
  C: {
    notReading:
      'OBX-11 C: corrects a result sent earlier; readings are immutable, so it is reported, not applied',
  },
  D: { notReading: 'OBX-11 D: deletes a result sent earlier' },
  W: { notReading: 'OBX-11 W: a result sent earlier was wrong' },
  X: { notReading: 'OBX-11 X: results cannot be obtained for this observation' },
  N: { notReading: 'OBX-11 N: not asked' },
  I: { notReading: 'OBX-11 I: result pending' },
  O: { notReading: 'OBX-11 O: order detail only, no result' },
};

/** {@link RESULT_STATUS} as a Map: looked up for every observation. */
const RESULT_STATUS_RULES = new Map(Object.entries(RESULT_STATUS));

/** IEEE 11073 measurement status as IHE PCD sends it in OBX-8 → quality or why it is not a reading. */
const MEASUREMENT_STATUS: Readonly<Record<string, { quality: ReadingQuality } | { notReading: string }>> = {
  invalid: { quality: 'bad' },
  questionable: { quality: 'questionable' },
  'calibration-ongoing': { quality: 'questionable' },
  'early-indication': { quality: 'questionable' },
  'not-available': { notReading: 'OBX-8 not-available: the device has no value' },
  'msmt-ongoing': { notReading: 'OBX-8 msmt-ongoing: the measurement is still in progress' },
  'test-data': { notReading: 'OBX-8 test-data: not patient data' },
  'demo-data': { notReading: 'OBX-8 demo-data: not patient data' },
};

const NM = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
/** True when `text` is digits separated by single dots (`1.0.0.5`), without a regex. */
function isDottedNumber(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (c === 0x2e /* . */ && digits > 0) digits = 0;
    else return false;
  }
  return digits > 0;
}

/** LOINC code → metric, from the core catalogue (the first metric that lists a code wins). */
const LOINC_METRICS: ReadonlyMap<string, MetricId> = new Map(
  METRIC_IDS.flatMap((id) => METRICS[id].loinc.map((l) => [l.code, id] as const)).reverse(),
);

/** The hierarchy key of an OBX-4 in IHE PCD dotted notation (`1.1.1.5`): trailing `.0` parts dropped. */
function hierarchyKey(subId: string): string | undefined {
  if (!isDottedNumber(subId)) return undefined;
  let key = subId;
  while (key.endsWith('.0')) key = key.slice(0, -2);
  return key;
}

/** The OBX last recorded for `key` in the containment tree, or undefined. */
function treeNode(keys: readonly string[], segs: readonly Hl7Segment[], key: string): Hl7Segment | undefined {
  for (let i = keys.length - 1; i >= 0; i--) if (keys[i] === key) return segs[i];
  return undefined;
}

function ancestors(key: string): string[] {
  const parts = key.split('.');
  const out: string[] = [];
  for (let len = parts.length - 1; len >= 1; len--) {
    const candidate = hierarchyKey(parts.slice(0, len).join('.')) as string;
    if (out[out.length - 1] !== candidate) out.push(candidate);
  }
  return out;
}

/** A reason plus the field it concerns and its table 0357 code, for an Hl7ParseError. */
type Problem = readonly [field: number, reason: string, code: Hl7ErrorCode];

/**
 * Metric slots per millisecond in the default seq. The catalogue must stay within it (a test
 * checks); ts × 32 stays a safe integer up to year 9999.
 */
export const SEQ_SLOTS_PER_MS = 32;

function defaultSeq(metric: MetricId, ts: number): number {
  return ts * SEQ_SLOTS_PER_MS + METRIC_IDS.indexOf(metric);
}

/**
 * Turns an ORU^R01 message (IHE PCD-01, "Communicate PCD Data") into core `Reading`s.
 *
 * For each OBX whose OBX-3 is a mapped MDC code ({@link MDC_METRICS}; also LOINC codes of the core
 * catalogue with coding system `LN`; OBX-3.4–3.6 are tried when 3.1–3.3 do not map):
 * - OBX-11 decides whether it is a reading: F and U → quality `good`; R, P, S → no stated
 *   quality; X, N, I, O, C, D, W → no reading (an `observation-not-a-reading` event); empty →
 *   rejected unless `acceptMissingResultStatus`. OBX-8 measurement status (`invalid` → `bad`,
 *   `questionable`, `calibration-ongoing`, `early-indication` → `questionable`; `test-data`,
 *   `demo-data`, `not-available`, `msmt-ongoing` → no reading) overrides the quality.
 * - OBX-2 must be NM (or SN with no comparator or range); OBX-5 is the value.
 * - OBX-6 is an MDC dimension ({@link MDC_UNITS}) or a UCUM code (annotations like `{beat}` are
 *   ignored, as UCUM defines); the value is converted to the metric's canonical unit.
 * - The time is OBX-14, else the OBX-14 of the nearest ancestor in the OBX-4 containment tree
 *   (`1.1.1.5` → `1.1.1` → `1.1` → `1`), else OBR-7, else MSH-7; at least minute precision;
 *   times without an offset use `defaultUtcOffsetMinutes`.
 * - The device is OBX-18 (the first repetition's EI.1, else EI.3), else the nearest ancestor's,
 *   else `options.deviceId`. The patient is PID-3 (first repetition's CX.1) of the PID before it.
 * - The reading id is `deviceId:seq`; seq comes from OBX-21 when it holds exactly such an id for
 *   the same device (the ORU builder writes it), else from `assignSeq`.
 *
 * Every other OBX becomes an event: nothing is dropped silently. Readings come in message order;
 * if that would put a device's seq out of order they are sorted by seq.
 *
 * @throws {Hl7UnsupportedMessageError} when MSH-9 is not ORU^R01.
 * @throws {RangeError} for an option out of range, or when `assignSeq` returns a bad seq.
 * @example
 * ```ts
 * const { readings, events } = oruToReadings(parseHl7(text), { defaultUtcOffsetMinutes: 60 });
 * ```
 */
export function oruToReadings(message: Hl7Message, options: OruToReadingsOptions = {}): OruReadings {
  const h = message.header;
  if (h.messageType !== 'ORU^R01') {
    throw new Hl7UnsupportedMessageError(
      [h.messageCode, h.triggerEvent, h.messageStructure].filter((p) => p !== '').join('^'),
      SUPPORTED_TYPES,
      h.messageCode === 'ORU' ? 201 : 200,
    );
  }
  if (options.defaultUtcOffsetMinutes !== undefined) {
    checkOffset(options.defaultUtcOffsetMinutes, 'defaultUtcOffsetMinutes');
  }
  const d = message.delimiters;
  const charset = message.charset;

  const mshTime =
    h.dateTime === '' ? undefined : readHl7DateTime(h.dateTime, options.defaultUtcOffsetMinutes ?? 0);
  const defaultOffset =
    options.defaultUtcOffsetMinutes ??
    (mshTime !== undefined && typeof mshTime !== 'string' && mshTime.zoned ? mshTime.utcOffsetMinutes : 0);
  const header: OruHeader = {
    controlId: h.controlId,
    messageType: h.messageType,
    version: h.version,
    processingId: h.processingId,
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
    messageTs: mshTime !== undefined && typeof mshTime !== 'string' ? mshTime.epochMs : undefined,
    defaultUtcOffsetMinutes: defaultOffset,
  };

  const readings: Reading[] = [];
  const events: OruEvent[] = [];
  // Reading ids seen so far: a linear scan of `readings` while there are few, then a Set.
  let ids: Set<string> | undefined;
  let times: Map<string, Hl7DateTime | string> | undefined;
  // Monitors stamp every OBX of a message with the same time: remember the last one.
  let lastTimeText = '';
  let lastTime: Hl7DateTime | string | undefined;
  const fixedPatient = options.patientId;
  if (fixedPatient !== undefined && !PatientIdSchema.safeParse(fixedPatient).success) {
    throw new RangeError(`patientId ${JSON.stringify(fixedPatient)} is not a valid patient id`);
  }
  if (options.deviceId !== undefined && !DeviceIdSchema.safeParse(options.deviceId).success) {
    throw new RangeError(`deviceId ${JSON.stringify(options.deviceId)} is not a valid device id`);
  }

  let patient: string | undefined = fixedPatient;
  let obrSeen = false;
  let obrTime = '';
  // The containment tree: keys and their OBX in message order (the last one for a key wins).
  // Looked up only when an OBX inherits, so a backward scan beats hashing every key.
  let treeKeys: string[] = [];
  let treeSegs: Hl7Segment[] = [];
  let obxSequence = 0;

  for (const seg of message.segments) {
    if (seg.id === 'PID') {
      treeKeys = [];
      treeSegs = [];
      obrSeen = false;
      obrTime = '';
      if (fixedPatient !== undefined) continue;
      const id = fieldValue(seg, 3, 1, d, charset);
      if (validPatientId(id)) {
        patient = id;
      } else {
        patient = undefined;
        events.push({
          type: 'patient-id-invalid',
          segmentIndex: seg.index,
          value: id,
          error: new Hl7ParseError(
            `PID-3.1 ${JSON.stringify(id)} is not a valid patient id (1-128 letters, digits, ".", "_", "-", ":"); the readings carry no patient — pass options.patientId or fix the sender`,
            { segmentIndex: seg.index, segmentId: 'PID', field: 3, hl7ErrorCode: 102 },
          ),
        });
      }
      continue;
    }
    if (seg.id === 'OBR') {
      obrSeen = true;
      obrTime = fieldValue(seg, 7, 1, d, charset);
      treeKeys = [];
      treeSegs = [];
      continue;
    }
    if (seg.id !== 'OBX') continue;
    obxSequence++;

    // The containment tree (OBX-4) carries device and time down to the metrics.
    // (OBX-4 in dotted notation has no escapes: the raw field is the value.)
    const key = hierarchyKey(rawField(seg, 4));
    if (key !== undefined) {
      treeKeys.push(key);
      treeSegs.push(seg);
    }

    const metric = metricOfField(rawField(seg, 3), d, charset, options.mdcMetrics);
    if (metric === undefined) {
      events.push({ type: 'observation-unmapped', observation: observationOf(seg, d) });
      continue;
    }
    if (!obrSeen) {
      events.push(
        rejected(seg, d, obxSequence, [
          0,
          'OBX before any OBR: an ORU^R01 observation belongs to an OBR (order observation)',
          100,
        ]),
      );
      continue;
    }

    // OBX-11 result status and OBX-8 measurement status.
    const status = fieldValue(seg, 11, 1, d, charset);
    let quality: ReadingQuality | undefined;
    if (status === '') {
      if (options.acceptMissingResultStatus !== true) {
        events.push(
          rejected(seg, d, obxSequence, [
            11,
            'required field missing: OBX-11 result status (F, R, X …); set acceptMissingResultStatus to read such observations',
            101,
          ]),
        );
        continue;
      }
    } else {
      const rule = RESULT_STATUS_RULES.get(status);
      if (rule === undefined) {
        events.push(
          rejected(seg, d, obxSequence, [
            11,
            `OBX-11 result status ${JSON.stringify(status)} is not in HL7 table 0085`,
            103,
          ]),
        );
        continue;
      }
      if ('notReading' in rule) {
        events.push({
          type: 'observation-not-a-reading',
          observation: observationOf(seg, d),
          reason: rule.notReading,
        });
        continue;
      }
      quality = rule.quality;
    }
    const flags = rawField(seg, 8);
    if (flags !== '') {
      let notReading: string | undefined;
      for (const flag of flags.split(d.repetition)) {
        const name = rawPiece(flag, d, 1, 1, 1);
        const rule = Object.hasOwn(MEASUREMENT_STATUS, name) ? MEASUREMENT_STATUS[name] : undefined;
        if (rule === undefined) continue;
        if ('notReading' in rule) notReading ??= rule.notReading;
        else if (quality !== 'bad') quality = rule.quality;
      }
      if (notReading !== undefined) {
        events.push({
          type: 'observation-not-a-reading',
          observation: observationOf(seg, d),
          reason: notReading,
        });
        continue;
      }
    }

    // Value and unit.
    const parsed = numericValue(seg, d, charset);
    if (typeof parsed !== 'number') {
      events.push(rejected(seg, d, obxSequence, parsed));
      continue;
    }
    const unit = unitOfField(rawField(seg, 6), d, charset, options.mdcUnits);
    if (unit === undefined || !unitFits(metric, unit)) {
      const units = rawField(seg, 6);
      events.push(
        rejected(seg, d, obxSequence, [
          6,
          units === ''
            ? `required field missing: OBX-6 units of ${metric}`
            : `OBX-6 ${JSON.stringify(units)} is ${unit === undefined ? 'not a known MDC or UCUM unit' : `not a unit of ${metric}`} (canonical unit ${METRICS[metric].unit})`,
          units === '' ? 101 : 103,
        ]),
      );
      continue;
    }
    const canonical = unit === METRICS[metric].unit ? parsed : toCanonicalUnit(metric, parsed, unit);

    // Device and time, inherited down the containment tree.
    let device = equipmentId(seg, d, charset);
    let timeText = fieldValue(seg, 14, 1, d, charset);
    if (key !== undefined && (device === '' || timeText === '')) {
      for (const parent of ancestors(key)) {
        const node = treeNode(treeKeys, treeSegs, parent);
        if (node === undefined) continue;
        if (device === '') device = equipmentId(node, d, charset);
        if (timeText === '') timeText = fieldValue(node, 14, 1, d, charset);
        if (device !== '' && timeText !== '') break;
      }
    }
    if (device === '') device = options.deviceId ?? '';
    if (device === '') {
      events.push(
        rejected(seg, d, obxSequence, [
          18,
          'no device: OBX-18 is empty here and in the containing OBX; pass options.deviceId',
          101,
        ]),
      );
      continue;
    }
    if (!validDeviceId(device)) {
      events.push(
        rejected(seg, d, obxSequence, [
          18,
          `OBX-18 ${JSON.stringify(device)} is not a valid device id (1-128 letters, digits, ".", "_", "-", ":")`,
          102,
        ]),
      );
      continue;
    }
    let timeField = 14;
    if (timeText === '') {
      timeText = obrTime;
      timeField = 7;
    }
    let time: Hl7DateTime | string | undefined;
    if (timeText !== '') {
      if (timeText === lastTimeText && lastTime !== undefined) time = lastTime;
      else {
        time = times?.get(timeText);
        if (time === undefined) {
          time = readHl7DateTime(timeText, defaultOffset);
          if (lastTime !== undefined) {
            times ??= new Map([[lastTimeText, lastTime]]);
            times.set(timeText, time);
          }
        }
        lastTimeText = timeText;
        lastTime = time;
      }
    } else if (mshTime !== undefined) time = mshTime;
    if (time === undefined) {
      events.push(rejected(seg, d, obxSequence, [14, 'no time: OBX-14, OBR-7 and MSH-7 are all empty', 101]));
      continue;
    }
    if (typeof time === 'string') {
      events.push(rejected(seg, d, obxSequence, [timeField, time, 102]));
      continue;
    }
    if (
      time.precision === 'year' ||
      time.precision === 'month' ||
      time.precision === 'day' ||
      time.precision === 'hour'
    ) {
      const reason = `observation time ${JSON.stringify(timeText)} is only precise to the ${time.precision}; a reading needs at least minutes`;
      events.push(rejected(seg, d, obxSequence, [timeField, reason, 102]));
      continue;
    }
    if (time.epochMs < 0) {
      events.push(
        rejected(seg, d, obxSequence, [
          timeField,
          `observation time ${JSON.stringify(timeText)} is before 1970`,
          102,
        ]),
      );
      continue;
    }

    const deviceId = device as DeviceId;
    const ts = time.epochMs;
    let seq = seqFromInstanceId(fieldValue(seg, 21, 1, d, charset), deviceId);
    if (seq === undefined) {
      seq =
        options.assignSeq === undefined ? defaultSeq(metric, ts) : options.assignSeq(deviceId, metric, ts);
      if (!Number.isSafeInteger(seq) || seq < 0) {
        throw new RangeError(`assignSeq must return a safe integer >= 0, got ${seq}`);
      }
    }
    const id = readingId(deviceId, seq);
    if (isDuplicate(readings, ids, deviceId, seq, id)) {
      events.push({ type: 'observation-duplicate', observation: observationOf(seg, d), readingId: id });
      continue;
    }
    if (ids === undefined && readings.length >= LINEAR_DUPLICATE_SCAN)
      ids = new Set(readings.map((r) => r.id));
    ids?.add(id);
    readings.push(newReading(id, deviceId, patient, metric, canonical, ts, seq, quality));
  }
  return { readings: inDeviceOrder(readings), events, header };
}

/**
 * A reading with its keys in schema order and no `undefined` members, built by one object literal
 * (adding properties one by one would grow the object several times).
 */
function newReading(
  id: string,
  deviceId: DeviceId,
  patientId: string | undefined,
  metric: MetricId,
  value: number,
  ts: number,
  seq: number,
  quality: ReadingQuality | undefined,
): Reading {
  const unit = METRICS[metric].unit;
  const reading =
    patientId === undefined
      ? quality === undefined
        ? { id, deviceId, metric, value, unit, ts, seq }
        : { id, deviceId, metric, value, unit, ts, seq, quality }
      : quality === undefined
        ? { id, deviceId, patientId, metric, value, unit, ts, seq }
        : { id, deviceId, patientId, metric, value, unit, ts, seq, quality };
  return reading as Reading;
}

/** Below this many readings, duplicates are found by scanning them (no hashing). */
const LINEAR_DUPLICATE_SCAN = 16;

/** True when a reading with this device and seq (so this id) is already in `readings`. */
function isDuplicate(
  readings: readonly Reading[],
  ids: ReadonlySet<string> | undefined,
  deviceId: string,
  seq: number,
  id: string,
): boolean {
  if (ids !== undefined) return ids.has(id);
  for (const r of readings) if (r.seq === seq && r.deviceId === deviceId) return true;
  return false;
}

function observationOf(seg: Hl7Segment, d: Hl7Delimiters): OruObservation {
  const f = seg.fields;
  const code = f[3] ?? '';
  return {
    segmentIndex: seg.index,
    setId: f[1] ?? '',
    valueType: f[2] ?? '',
    code: rawPiece(code, d, 1, 1, 1),
    text: rawPiece(code, d, 1, 2, 1),
    codingSystem: rawPiece(code, d, 1, 3, 1),
    subId: f[4] ?? '',
    value: f[5] ?? '',
    units: f[6] ?? '',
    abnormalFlags: f[8] ?? '',
    status: f[11] ?? '',
    observationTime: f[14] ?? '',
    equipment: f[18] ?? '',
  };
}

function rejected(
  seg: Hl7Segment,
  d: Hl7Delimiters,
  obxSequence: number,
  [field, reason, code]: Problem,
): OruEvent {
  return {
    type: 'observation-rejected',
    observation: observationOf(seg, d),
    error: new Hl7ParseError(reason, {
      segmentIndex: seg.index,
      segmentId: 'OBX',
      segmentSequence: obxSequence,
      field,
      hl7ErrorCode: code,
    }),
  };
}

function metricOf(
  code: string,
  system: string,
  extra: Readonly<Record<string, MetricId>> | undefined,
): MetricId | undefined {
  if (code === '') return undefined;
  if (system === 'MDC') {
    if (extra !== undefined && Object.hasOwn(extra, code)) return extra[code];
    return Object.hasOwn(MDC_METRICS, code) ? MDC_METRICS[code]?.metric : undefined;
  }
  if (system === 'LN') return LOINC_METRICS.get(code);
  return undefined;
}

/** EI.1 of the first OBX-18 repetition that has an id (EI.3 when EI.1 is empty). */
function equipmentId(seg: Hl7Segment, d: Hl7Delimiters, charset: string): string {
  const raw = rawField(seg, 18);
  if (raw === '') return '';
  const reps = raw.includes(d.repetition) ? raw.split(d.repetition) : [raw];
  for (const rep of reps) {
    const id = rawPiece(rep, d, 1, 1, 1) || rawPiece(rep, d, 1, 3, 1);
    if (id !== '') return unescapeHl7(id, d, charset);
  }
  return '';
}

/** The decoded first sub-component of component `comp` of a field's first repetition. */
function fieldValue(seg: Hl7Segment, field: number, comp: number, d: Hl7Delimiters, charset: string): string {
  const raw = rawField(seg, field);
  return unescapeHl7(comp === 1 ? firstRawPiece(raw, d) : rawPiece(raw, d, 1, comp, 1), d, charset);
}

function numericValue(seg: Hl7Segment, d: Hl7Delimiters, charset: string): number | Problem {
  const type = rawField(seg, 2);
  const raw = rawField(seg, 5);
  if (raw === '') return [5, 'OBX-5 is empty: no value to read', 101];
  if (raw.includes(d.repetition)) return [5, 'OBX-5 repeats: a numeric observation has one value', 102];
  let text: string;
  if (type === 'NM') {
    text = fieldValue(seg, 5, 1, d, charset);
  } else if (type === 'SN') {
    const comparator = fieldValue(seg, 5, 1, d, charset);
    const separator = fieldValue(seg, 5, 3, d, charset);
    const second = fieldValue(seg, 5, 4, d, charset);
    if ((comparator !== '' && comparator !== '=') || separator !== '' || second !== '') {
      return [5, `structured numeric ${JSON.stringify(raw)} has a comparator or range: not one reading`, 102];
    }
    text = fieldValue(seg, 5, 2, d, charset);
  } else {
    return [
      2,
      `OBX-2 value type ${JSON.stringify(type)} cannot carry a vital-sign reading: expected NM or SN`,
      102,
    ];
  }
  if (!NM.test(text)) return [5, `OBX-5 ${JSON.stringify(text)} is not an HL7 NM number`, 102];
  return Number(text);
}

/**
 * Remembers what an OBX-3 or OBX-6 field means, by its raw text: monitors send the same few codes
 * in every message. Only for the standard delimiters, without escapes or extra code tables;
 * bounded (cleared when full).
 */
const FIELD_CACHE_SIZE = 1024;
const metricCache = new Map<string, MetricId | null>();
const unitCache = new Map<string, string | null>();

function cacheable(raw: string, d: Hl7Delimiters, extra: object | undefined): boolean {
  return (
    extra === undefined &&
    raw.indexOf(d.escape) === -1 &&
    (d === DEFAULT_HL7_DELIMITERS || sameDelimiters(d, DEFAULT_HL7_DELIMITERS))
  );
}

function remember<V>(cache: Map<string, V | null>, raw: string, value: V | undefined): V | undefined {
  if (cache.size >= FIELD_CACHE_SIZE) cache.clear();
  cache.set(raw, value ?? null);
  return value;
}

/** The metric of OBX-3 (3.1 with coding system 3.3, else the alternate 3.4 / 3.6). */
function metricOfField(
  raw: string,
  d: Hl7Delimiters,
  charset: string,
  extra: Readonly<Record<string, MetricId>> | undefined,
): MetricId | undefined {
  const useCache = cacheable(raw, d, extra);
  if (useCache) {
    const hit = metricCache.get(raw);
    if (hit !== undefined) return hit ?? undefined;
  }
  const c = firstComponents(raw, d, charset);
  const metric = metricOf(c[0] ?? '', c[2] ?? '', extra) ?? metricOf(c[3] ?? '', c[5] ?? '', extra);
  return useCache ? remember(metricCache, raw, metric) : metric;
}

/** The UCUM unit of OBX-6 (see {@link ucumUnit}). */
function unitOfField(
  raw: string,
  d: Hl7Delimiters,
  charset: string,
  extra: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const useCache = cacheable(raw, d, extra);
  if (useCache) {
    const hit = unitCache.get(raw);
    if (hit !== undefined) return hit ?? undefined;
  }
  const unit = ucumUnit(firstComponents(raw, d, charset), extra);
  return useCache ? remember(unitCache, raw, unit) : unit;
}

/** The UCUM unit of OBX-6 (6.1–6.3, else the alternate 6.4–6.6), or undefined. */
function ucumUnit(
  units: readonly string[],
  extra: Readonly<Record<string, string>> | undefined,
): string | undefined {
  return ucumOf(units[0] ?? '', units[2] ?? '', extra) ?? ucumOf(units[3] ?? '', units[5] ?? '', extra);
}

/** The components of a field's first repetition (first sub-component each), decoded. */
function firstComponents(raw: string, d: Hl7Delimiters, charset: string): string[] {
  if (raw === '') return [];
  let rep = raw;
  const r = rep.indexOf(d.repetition);
  if (r !== -1) rep = rep.slice(0, r);
  const parts = rep.split(d.component);
  const escaped = rep.includes(d.escape);
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i] as string;
    const sub = part.indexOf(d.subComponent);
    if (sub !== -1) part = part.slice(0, sub);
    parts[i] = escaped ? unescapeHl7(part, d, charset) : part;
  }
  return parts;
}

/** `isUnitForMetric`, remembered: metrics × known units is a small, fixed set. */
const UNIT_FITS = new Map<MetricId, Map<string, boolean>>();
function unitFits(metric: MetricId, unit: string): boolean {
  let byUnit = UNIT_FITS.get(metric);
  if (byUnit === undefined) {
    byUnit = new Map();
    UNIT_FITS.set(metric, byUnit);
  }
  let fits = byUnit.get(unit);
  if (fits === undefined) {
    fits = isUnitForMetric(metric, unit);
    byUnit.set(unit, fits);
  }
  return fits;
}

function ucumOf(
  code: string,
  system: string,
  extra: Readonly<Record<string, string>> | undefined,
): string | undefined {
  if (code === '') return undefined;
  if (system === 'MDC' || (system === '' && allDigits(code))) {
    if (extra !== undefined && Object.hasOwn(extra, code)) return extra[code];
    return Object.hasOwn(MDC_UNITS, code) ? MDC_UNITS[code]?.ucum : undefined;
  }
  if (system !== 'UCUM' && system !== '') return undefined;
  if (isKnownUnit(code)) return code;
  // UCUM annotations ({beat}, {breaths}) are equal to 1: "{beat}/min" is "/min".
  const stripped = code.replace(/\{[^{}]*\}/g, '');
  const unit = stripped === '' ? '1' : stripped;
  return isKnownUnit(unit) ? unit : undefined;
}

/** Patient ids already checked against the core schema (bounded: cleared when full). */
const patientIdChecks = new Map<string, boolean>();
function validPatientId(id: string): boolean {
  let ok = patientIdChecks.get(id);
  if (ok === undefined) {
    ok = PatientIdSchema.safeParse(id).success;
    if (patientIdChecks.size >= FIELD_CACHE_SIZE) patientIdChecks.clear();
    patientIdChecks.set(id, ok);
  }
  return ok;
}

/** Device ids already checked against the core schema (bounded: cleared when full). */
const deviceIdChecks = new Map<string, boolean>();
function validDeviceId(id: string): boolean {
  let ok = deviceIdChecks.get(id);
  if (ok === undefined) {
    ok = DeviceIdSchema.safeParse(id).success;
    if (deviceIdChecks.size >= FIELD_CACHE_SIZE) deviceIdChecks.clear();
    deviceIdChecks.set(id, ok);
  }
  return ok;
}

/** True when `text` is one or more ASCII digits (`/^\d+$/`, without a regex). */
function allDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function seqFromInstanceId(instanceId: string, deviceId: string): number | undefined {
  const n = deviceId.length;
  if (instanceId.length <= n + 1 || instanceId.charCodeAt(n) !== 0x3a /* : */) return undefined;
  for (let i = 0; i < n; i++) if (instanceId.charCodeAt(i) !== deviceId.charCodeAt(i)) return undefined;
  // The digits after `deviceId:`, read in place: exact while the value stays a safe integer.
  let seq = 0;
  for (let i = n + 1; i < instanceId.length; i++) {
    const c = instanceId.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    seq = seq * 10 + (c - 0x30);
    if (seq > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return seq;
}

/** Message order, unless a device's seq would go backwards: then sorted by seq (a stable sort). */
function inDeviceOrder(readings: Reading[]): Reading[] {
  if (readings.length <= LINEAR_DUPLICATE_SCAN) {
    // Few readings: compare each with the previous reading of its device, without a Map.
    for (let i = 1; i < readings.length; i++) {
      const r = readings[i] as Reading;
      for (let j = i - 1; j >= 0; j--) {
        const p = readings[j] as Reading;
        if (p.deviceId !== r.deviceId) continue;
        if (r.seq <= p.seq) return [...readings].sort((a, b) => a.seq - b.seq);
        break;
      }
    }
    return readings;
  }
  const last = new Map<string, number>();
  for (const r of readings) {
    const prev = last.get(r.deviceId);
    if (prev !== undefined && r.seq <= prev) {
      return [...readings].sort((a, b) => a.seq - b.seq);
    }
    last.set(r.deviceId, r.seq);
  }
  return readings;
}
