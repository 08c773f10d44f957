/**
 * Fuzzing the core JSON codecs (readings, command, command status, alert) with mutated valid
 * messages, random JSON and random bytes: each decodes to a valid value or throws a
 * `HealthItError` (`codec/decode` or `validation/invalid`).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { byteInputs, deepJsonText, jsonBytes, jsonInputs } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import type { Codec } from '../ports/codec.js';
import {
  alertJsonCodec,
  commandJsonCodec,
  commandStatusJsonCodec,
  readingsJsonCodec,
} from './json-codecs.js';

const T = Date.UTC(2025, 0, 1);
const reading = {
  id: 'mon-1:1',
  deviceId: 'mon-1',
  metric: 'spo2',
  value: 97,
  unit: '%',
  ts: T,
  seq: 1,
  quality: 'good',
};
const command = {
  id: 'ctl:spo2-low:sensor-1:9',
  deviceId: 'o2-001',
  action: 'oxygen.set-flow',
  params: { flowLpm: 2 },
  issuedBy: 'rule:spo2-low',
  issuedAt: T,
  causedBy: ['sensor-1:9'],
};
const status = { commandId: command.id, deviceId: 'o2-001', state: 'completed', at: T };
const alert = {
  id: 'a-1',
  rule: 'threshold:spo2',
  severity: 'high',
  message: 'SpO2 80 %',
  ts: T,
  readingIds: ['sensor-1:9'],
};

const CODECS: [string, Codec<unknown>, unknown[]][] = [
  [
    'readings',
    readingsJsonCodec as Codec<unknown>,
    [[reading, { ...reading, id: 'mon-1:2', seq: 2, patientId: 'p-1' }], []],
  ],
  ['command', commandJsonCodec as Codec<unknown>, [command]],
  [
    'command status',
    commandStatusJsonCodec as Codec<unknown>,
    [status, { ...status, state: 'failed', reason: 'x' }],
  ],
  ['alert', alertJsonCodec as Codec<unknown>, [alert]],
];

describe('core JSON codec fuzzing', () => {
  it.each(CODECS)(
    '%s codec: a valid value or a HealthItError',
    (name, codec, templates) => {
      fuzz({
        name: `core ${name} JSON codec (bytes)`,
        inputs: fc.oneof(
          { arbitrary: jsonInputs(templates).map(jsonBytes), weight: 6 },
          { arbitrary: byteInputs(templates.map(jsonBytes), 64), weight: 2 },
          { arbitrary: deepJsonText, weight: 1 },
        ),
        runs: fuzzRuns(1_000),
        run: (bytes) => {
          codec.decode(bytes);
          return 'decoded';
        },
      });
    },
    fuzzTimeout(1_500),
  );
});
