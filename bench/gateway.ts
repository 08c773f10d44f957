import { createInProcessTransport, Reading, utf8Decode } from '@healthit/core';
import { createGateway } from '@healthit/gateway';
import { z } from 'zod';
import { against, type Figure, medianRate } from './measure.js';
import { type Vital, vitalsMessage } from './vitals-message.js';

const DEVICES = 100;
const ENVELOPES = 2_000; // × 6 readings
const T0 = Date.UTC(2025, 0, 1);

const VITALS: readonly Vital[] = [
  ['heart-rate', 72, '/min'],
  ['spo2', 97, '%'],
  ['respiratory-rate', 16, '/min'],
  ['body-temperature', 98.6, '[degF]'],
  ['bp-systolic', 120, 'mm[Hg]'],
  ['bp-diastolic', 80, 'mm[Hg]'],
];

function envelopes(round: number): { topic: string; bytes: Uint8Array }[] {
  return Array.from({ length: ENVELOPES }, (_, e) =>
    vitalsMessage(
      `monitor-${e % DEVICES}`,
      `patient-${e % DEVICES}`,
      (round * ENVELOPES + e) * 6,
      6,
      VITALS,
      (seq) => T0 + seq,
    ),
  );
}

/** Gateway acquisition throughput against the ceiling of its own building blocks. */
export async function benchGateway(): Promise<Figure[]> {
  const items = ENVELOPES * 6;
  let round = 0;
  const prepared = Array.from({ length: 6 }, () => envelopes(round++));

  // Ceiling: JSON.parse of envelope and payload + zod validation of each reading, nothing else.
  const batch = z.array(Reading);
  let i = 0;
  const ceiling = await medianRate(5, items, () => {
    for (const { bytes } of prepared[i++ % prepared.length] ?? []) {
      const env = JSON.parse(utf8Decode(bytes)) as { payload: string };
      const payload = Buffer.from(env.payload, 'base64url');
      batch.parse(JSON.parse(utf8Decode(payload)));
    }
  });

  let r = 0;
  let accepted = 0;
  const gateway = await medianRate(5, items, async () => {
    const transport = createInProcessTransport();
    const gw = createGateway({
      transport,
      rules: [{ id: 'spo2', metric: 'spo2', below: 92, severity: 'low-medium' }],
    });
    const sub = gw.readings$.subscribe(() => {
      accepted += 1;
    });
    const alerts = gw.alerts$.subscribe();
    for (const { topic, bytes } of prepared[r++ % prepared.length] ?? [])
      await transport.publish(topic, bytes);
    sub.unsubscribe();
    alerts.unsubscribe();
    await transport.close();
  });
  if (accepted === 0) throw new Error('gateway bench accepted nothing');
  return [
    {
      name: 'gateway: envelope → codec → normalise → dedup → rule',
      value: gateway,
      unit: 'readings/s',
      ...against(
        gateway,
        'readings/s',
        'JSON.parse ×2 + zod Reading validation of the same envelopes',
        ceiling,
      ),
    },
  ];
}
