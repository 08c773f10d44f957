/**
 * A simulated bedside monitor sends its vitals the way legacy monitors do: ORU^R01 over MLLP to a
 * receiver on real TCP, which acknowledges each message and turns it back into readings.
 */
import type { Reading } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { oruToReadings } from '../src/hl7v2/oru-to-readings.js';
import { createMllpClient } from '../src/mllp/client.js';
import { createMllpServer } from '../src/mllp/server.js';
import { encodeDeviceSample } from '../src/simulated-devices/encode-sample.js';
import { createWardSimulator } from '../src/simulator/ward-simulator.js';

describe('simulated monitor → ORU^R01 over MLLP → readings', () => {
  it('delivers every reading of every sample, each message acknowledged AA', async () => {
    const received: Reading[] = [];
    const server = createMllpServer({
      port: 0,
      host: '127.0.0.1',
      onMessage: (message) => {
        received.push(...oruToReadings(message).readings);
        return undefined;
      },
    });
    const { port } = await server.listen();
    const client = createMllpClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
    try {
      const ward = createWardSimulator({
        patients: 2,
        seed: 5,
        periodMs: 60_000,
        startTs: Date.UTC(2025, 0, 1),
      });
      const sent: Reading[] = [];
      for (const tick of ward.simulate({ toMs: 20 * 60_000 })) {
        for (const { sample } of tick.deliveries) {
          const frame = encodeDeviceSample(sample);
          if (frame?.encoding !== 'hl7v2') throw new Error(`expected HL7 from ${sample.kind}`);
          const ack = await client.send(frame.message);
          expect(ack.code).toBe('AA');
          sent.push(...sample.readings);
        }
      }
      expect(sent.length).toBe(2 * 20 * 6);
      expect(received).toEqual(sent);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
