/**
 * HL7 v2 from bedside monitors: ORU^R01 messages parsed per second, ORU^R01 → Readings per
 * second, and the MLLP frame decoder, beside a ceiling: splitting the text into segments and
 * fields, which a parser that maps the fields must at least do. (`parseHl7` alone splits a
 * segment's fields only when they are read, so it may beat the ceiling; parse + map may not.)
 * One core, best of several runs.
 *
 * The parsed messages of "oruToReadings on a parsed …" are kept for the whole run, as a queue
 * would keep them: the figures after it show that holding parsed messages does not slow parsing
 * down (V8 would pretenure the parser's object literals, see packages/device/src/hl7v2/parse.ts).
 */
import { readFileSync } from 'node:fs';
import { METRICS, Reading, readingId } from '@healthit/core';
import { buildOruR01, encodeHl7Text, oruToReadings, parseHl7 } from '@healthit/device';
import { createMllpFrameDecoder, encodeMllpFrame } from '@healthit/device/mllp';
import { bestRate, type Figure } from './measure.js';

const MESSAGES = 5_000;
const T0 = Date.UTC(2025, 0, 1);
const VITALS = [
  ['heart-rate', 72],
  ['spo2', 97],
  ['respiratory-rate', 16],
  ['body-temperature', 37.2],
  ['bp-systolic', 121],
  ['bp-diastolic', 79],
] as const;

/** What a bedside monitor sends every minute: six vital signs of one patient (≈ 1.3 KB). */
function monitorMessages(count: number): string[] {
  return Array.from({ length: count }, (_, m) => {
    const deviceId = `monitor-${m % 100}`;
    const readings = VITALS.map(([metric, value], i) =>
      Reading.parse({
        id: readingId(deviceId, m * 6 + i + 1),
        deviceId,
        patientId: `patient-${m % 100}`,
        metric,
        value: value + (m % 7),
        unit: METRICS[metric].unit,
        ts: T0 + m * 60_000,
        seq: m * 6 + i + 1,
        quality: 'good',
      }),
    );
    return buildOruR01(readings, { controlId: `MSG-${m}`, timestamp: T0 + m * 60_000 });
  });
}

export async function benchHl7(): Promise<Figure[]> {
  const monitor = monitorMessages(MESSAGES);
  const ihe = readFileSync(
    new URL(
      '../packages/device/test/vectors/hl7v2/ihe-pcd-tf2-E.1.1-physio-monitor-oru-r01.hl7',
      import.meta.url,
    ),
    'latin1',
  );
  const iheMessages = Array.from({ length: MESSAGES }, () => ihe);
  const parsed = monitor.map((text) => parseHl7(text));
  let sink = 0;

  const ceiling = await bestRate(7, MESSAGES, () => {
    for (const text of monitor) for (const line of text.split('\r')) sink += line.split('|').length;
  });
  const parseMonitor = await bestRate(7, MESSAGES, () => {
    for (const text of monitor) sink += parseHl7(text).segments.length;
  });
  const parseIhe = await bestRate(7, MESSAGES, () => {
    for (const text of iheMessages) sink += parseHl7(text).segments.length;
  });
  const mapOnly = await bestRate(7, MESSAGES, () => {
    for (const message of parsed) sink += oruToReadings(message).readings.length;
  });
  const toReadings = await bestRate(7, MESSAGES, () => {
    for (const text of monitor) sink += oruToReadings(parseHl7(text)).readings.length;
  });
  const stream = new Uint8Array(monitor.reduce((n, t) => n + t.length + 3, 0));
  let at = 0;
  for (const text of monitor) {
    const framed = encodeMllpFrame(encodeHl7Text(text));
    stream.set(framed, at);
    at += framed.length;
  }
  const frames = await bestRate(7, MESSAGES, () => {
    const decoder = createMllpFrameDecoder();
    for (let i = 0; i < stream.length; i += 16_384)
      sink += decoder.push(stream.subarray(i, i + 16_384)).length;
  });
  if (sink === 0) throw new Error('hl7 bench produced nothing');
  const pct = (v: number): string => `${Math.round((100 * v) / ceiling)} % of ceiling`;
  return [
    { name: 'ceiling: split into segments and fields (6-vital ORU^R01)', value: ceiling, unit: 'msgs/s' },
    {
      name: 'parseHl7: 6-vital ORU^R01 (9 segments, 1.3 KB)',
      value: parseMonitor,
      unit: 'msgs/s',
      note: pct(parseMonitor),
    },
    { name: 'parseHl7: IHE PCD TF-2 E.1.1 monitor (21 segments, 1.8 KB)', value: parseIhe, unit: 'msgs/s' },
    { name: 'oruToReadings on a parsed 6-vital ORU^R01', value: mapOnly, unit: 'msgs/s' },
    {
      name: 'ORU^R01 text → 6 Readings (parse + map)',
      value: toReadings,
      unit: 'msgs/s',
      note: `${Math.round(toReadings * 6).toLocaleString('en-US')} readings/s, ${pct(toReadings)}`,
    },
    { name: 'MLLP frame decoder, 16 KiB chunks', value: frames, unit: 'frames/s' },
  ];
}
