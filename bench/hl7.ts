/**
 * HL7 v2 from bedside monitors: ORU^R01 messages parsed per second, ORU^R01 → Readings per
 * second, and the MLLP frame decoder, beside a ceiling: splitting the text into segments and
 * fields, which a parser that maps the fields must at least do. (`parseHl7` alone splits a
 * segment's fields only when they are read, so it may beat the ceiling; parse + map may not.)
 * One core, the median of several runs, each beside its same-run ceiling: the same text split into
 * segments and fields with `String.split`, or the same byte stream scanned for MLLP frame ends.
 *
 * The parsed messages of "oruToReadings on a parsed …" are kept for the whole run, as a queue
 * would keep them: the figures after it show that holding parsed messages does not slow parsing
 * down (V8 would pretenure the parser's object literals, see packages/device/src/hl7v2/parse.ts).
 */
import { readFileSync } from 'node:fs';
import { METRICS, Reading, readingId } from '@healthit/core';
import { buildOruR01, encodeHl7Text, oruToReadings, parseHl7 } from '@healthit/device';
import { createMllpFrameDecoder, encodeMllpFrame } from '@healthit/device/mllp';
import { against, type Figure, medianRate } from './measure.js';

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

  const ceiling = await medianRate(7, MESSAGES, () => {
    for (const text of monitor) for (const line of text.split('\r')) sink += line.split('|').length;
  });
  const parseMonitor = await medianRate(7, MESSAGES, () => {
    for (const text of monitor) sink += parseHl7(text).segments.length;
  });
  const ceilingIhe = await medianRate(7, MESSAGES, () => {
    for (const text of iheMessages) for (const line of text.split('\r')) sink += line.split('|').length;
  });
  const parseIhe = await medianRate(7, MESSAGES, () => {
    for (const text of iheMessages) sink += parseHl7(text).segments.length;
  });
  const mapOnly = await medianRate(7, MESSAGES, () => {
    for (const message of parsed) sink += oruToReadings(message).readings.length;
  });
  const toReadings = await medianRate(7, MESSAGES, () => {
    for (const text of monitor) sink += oruToReadings(parseHl7(text)).readings.length;
  });
  const stream = new Uint8Array(monitor.reduce((n, t) => n + t.length + 3, 0));
  let at = 0;
  for (const text of monitor) {
    const framed = encodeMllpFrame(encodeHl7Text(text));
    stream.set(framed, at);
    at += framed.length;
  }
  const scan = await medianRate(7, MESSAGES, () => {
    // The bare scan for frame ends (0x1C 0x0D) and a copy of each payload.
    let start = 0;
    for (let i = stream.indexOf(0x1c); i !== -1; i = stream.indexOf(0x1c, i + 2)) {
      if (stream[i + 1] === 0x0d) sink += stream.slice(start + 1, i).length;
      start = i + 2;
    }
  });
  const frames = await medianRate(7, MESSAGES, () => {
    const decoder = createMllpFrameDecoder();
    for (let i = 0; i < stream.length; i += 16_384)
      sink += decoder.push(stream.subarray(i, i + 16_384)).length;
  });
  if (sink === 0) throw new Error('hl7 bench produced nothing');
  const split = 'the same text split into segments and fields (String.split)';
  return [
    {
      name: 'parseHl7: 6-vital ORU^R01 (9 segments, 1.3 KB)',
      value: parseMonitor,
      unit: 'msgs/s',
      ...against(parseMonitor, 'msgs/s', split, ceiling),
    },
    {
      name: 'parseHl7: IHE PCD TF-2 E.1.1 monitor (21 segments, 1.8 KB)',
      value: parseIhe,
      unit: 'msgs/s',
      ...against(parseIhe, 'msgs/s', split, ceilingIhe),
    },
    {
      name: 'oruToReadings on a parsed 6-vital ORU^R01',
      value: mapOnly,
      unit: 'msgs/s',
      ...against(mapOnly, 'msgs/s', `${split}, then parsed`, ceiling),
    },
    {
      name: 'ORU^R01 text → 6 Readings (parse + map)',
      value: toReadings,
      unit: 'msgs/s',
      note: `${Math.round(toReadings * 6).toLocaleString('en-US')} readings/s`,
      ...against(toReadings, 'msgs/s', split, ceiling),
    },
    {
      name: 'MLLP frame decoder, 16 KiB chunks',
      value: frames,
      unit: 'frames/s',
      ...against(frames, 'frames/s', 'indexOf scan for 0x1C 0x0D and a copy of each payload', scan),
    },
  ];
}
