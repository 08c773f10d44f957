/**
 * Authenticated ingest (issue 6's figure): gateway acquisition of signed envelopes of 100 readings
 * each — registry lookup, one strict native Ed25519 verification per batch, the replay window —
 * beside the same acquisition without authentication, and beside the bare signature checks, in
 * alternating rounds (median per-round ratios).
 */
import { pathToFileURL } from 'node:url';
import {
  createIdentity,
  createInProcessTransport,
  type Envelope,
  envelopeJsonCodec,
  type Identity,
  signEnvelope,
  verifyEnvelopeSignature,
} from '@healthit/core';
import { createDeviceRegistry, createGateway, createMessageAuthenticator } from '@healthit/gateway';
import { against, type Figure, interleavedRates, printFigures } from './measure.js';
import { type Vital, vitalsMessage } from './vitals-message.js';

const DEVICES = 50;
const PER_BATCH = 100;
const BATCHES = 600;
const T0 = Date.now() - 600_000;
const VITALS: readonly Vital[] = [
  ['heart-rate', 72, '/min'],
  ['spo2', 97, '%'],
  ['respiratory-rate', 16, '/min'],
  ['body-temperature', 37.1, 'Cel'],
  ['bp-systolic', 120, 'mm[Hg]'],
  ['bp-diastolic', 80, 'mm[Hg]'],
];

export async function benchAuthenticatedIngest(): Promise<Figure[]> {
  const devices: Identity[] = Array.from({ length: DEVICES }, (_, d) =>
    createIdentity({ id: `monitor-${d}`, kind: 'device' }),
  );
  // several rounds of distinct envelopes (a fresh gateway and replay guard per run)
  const messages = Array.from({ length: BATCHES }, (_, b) => {
    const device = devices[b % DEVICES] as Identity;
    const m = vitalsMessage(
      device.id,
      `patient-${b % DEVICES}`,
      b * PER_BATCH,
      PER_BATCH,
      VITALS,
      (seq) => T0 + seq * 10,
    );
    const envelope = envelopeJsonCodec.decode(m.bytes);
    const signed = signEnvelope(
      { ...envelope, seq: Math.floor(b / DEVICES) + 1 },
      { keyId: device.keyId, secretKey: device.signing.secretKey },
    );
    return {
      topic: m.topic,
      plain: envelopeJsonCodec.encode({ ...envelope, seq: Math.floor(b / DEVICES) + 1 }),
      signed: envelopeJsonCodec.encode(signed),
      envelope: signed,
    };
  });
  const items = BATCHES * PER_BATCH;

  const run = async (authenticated: boolean): Promise<void> => {
    const registry = createDeviceRegistry();
    for (const d of devices)
      registry.register(
        { deviceId: d.id, publicKey: d.signing.publicKey, state: 'active' },
        { by: 'bench', reason: 'bench' },
      );
    const transport = createInProcessTransport();
    const gw = createGateway({
      transport,
      ...(authenticated
        ? { authenticate: createMessageAuthenticator({ registry, replay: { maxAgeMs: 3_600_000 } }) }
        : {}),
    });
    let n = 0;
    const sub = gw.readings$.subscribe(() => {
      n++;
    });
    for (const m of messages) await transport.publish(m.topic, authenticated ? m.signed : m.plain);
    sub.unsubscribe();
    await transport.close();
    if (n !== items) throw new Error(`bench: ${n} of ${items} readings accepted`);
  };
  const keys = new Map(devices.map((d) => [d.keyId, d.signing.publicKey]));
  const r = await interleavedRates(5, items, () => run(false), {
    authenticated: () => run(true),
    signaturesOnly: () => {
      for (const { envelope } of messages) {
        if (!verifyEnvelopeSignature(envelope as Envelope, (kid) => keys.get(kid)).ok)
          throw new Error('bench: bad signature');
      }
    },
  });
  return [
    {
      name: `gateway acquisition, authenticated (registry, Ed25519 per batch, replay window; ${PER_BATCH} readings per envelope)`,
      value: r.authenticated.median,
      unit: 'readings/s',
      runs: 5,
      ...against(
        r.authenticated.median,
        'readings/s',
        'the same acquisition unauthenticated, interleaved rounds',
        r.ceiling.median,
        r.authenticated.ratio,
      ),
    },
    {
      name: 'envelope signature checks alone (canonical JSON + native Ed25519), per reading',
      value: r.signaturesOnly.median,
      unit: 'readings/s',
      runs: 5,
      note: 'the part of the authenticated path spent on signatures',
    },
  ];
}

// `node --conditions=@healthit/source --import tsx bench/authenticated-ingest.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Authenticated ingest (one core)', await benchAuthenticatedIngest());
}
