/**
 * The two new adapters in a gateway: a serial-to-network bridge reads Masimo ASCII 1 lines from an
 * oximeter and publishes each on `serial/<deviceId>` over the TCP transport; the gateway listens on
 * the same transport, decodes the lines with the Masimo channel decoder, and its usual pipeline
 * (schema, unit normalisation, plausibility, de-duplication, threshold rules) does the rest.
 * @packageDocumentation
 */
import { type Alert, type Reading, utf8Encode } from '@healthit/core';
import { createGateway, type GatewayEvent } from '@healthit/gateway';
import { firstValueFrom, merge, type Subscription } from 'rxjs';
import { encodeMasimoAscii, MASIMO_EXCEPTIONS, type MasimoAsciiFrame } from './masimo-ascii.js';
import { masimoChannelDecoder } from './masimo-readings.js';
import { connectTcpTransport, listenTcpTransport } from './tcp-transport.js';

/** The oximeter of the demo and its patient. */
export const DEMO_DEVICE = 'rad7-0070986';
export const DEMO_PATIENT = 'P-1';

/** One line of the scripted session: SpO2 and pulse rate (undefined: dashes) and the `EXC` bits. */
interface Step {
  readonly spo2?: number;
  readonly bpm?: number;
  readonly exc?: number;
}

const { pulseSearch, masimoSet, lowPerfusion, sensorOff } = MASIMO_EXCEPTIONS;

/**
 * A minute of a patient desaturating, one line a second, as the oximeter would print it: the
 * sensor searches, finds a pulse, SpO2 falls below 90 % for a while (low perfusion on one line)
 * and recovers, then the probe comes off.
 */
export const DEMO_SESSION: readonly Step[] = [
  { exc: pulseSearch },
  { spo2: 97, bpm: 82, exc: masimoSet },
  { spo2: 96, bpm: 84, exc: masimoSet },
  { spo2: 94, bpm: 88, exc: masimoSet },
  { spo2: 91, bpm: 93, exc: masimoSet },
  { spo2: 88, bpm: 97, exc: masimoSet },
  { spo2: 86, bpm: 101, exc: masimoSet | lowPerfusion },
  { spo2: 87, bpm: 99, exc: masimoSet },
  { spo2: 90, bpm: 95, exc: masimoSet },
  { spo2: 93, bpm: 90, exc: masimoSet },
  { spo2: 95, bpm: 86, exc: masimoSet },
  { exc: sensorOff },
];

/** The demo's lines, one a second from 2026-03-02 08:00:00 on the oximeter's clock. */
export function demoLines(session: readonly Step[] = DEMO_SESSION): Uint8Array[] {
  return session.map((step, i) => {
    const frame: MasimoAsciiFrame = {
      year: 2026,
      month: 3,
      day: 2,
      hour: 8,
      minute: 0,
      second: i,
      serialNumber: '0000070986',
      spo2Percent: step.spo2,
      pulseRatePerMin: step.bpm,
      perfusionIndexPercent: step.spo2 === undefined ? undefined : 1.25,
      alarm: 0,
      exceptions: step.exc ?? 0,
      exceptions1: undefined,
      other: {},
    };
    return encodeMasimoAscii(frame);
  });
}

/** What {@link runCustomAdapterPipeline} saw. */
export interface PipelineResult {
  readonly readings: readonly Reading[];
  readonly alerts: readonly Alert[];
  readonly events: readonly GatewayEvent[];
}

/** Options of {@link runCustomAdapterPipeline}. */
export interface PipelineOptions {
  /** Lines to send (default {@link demoLines}); the bridge also resends the second and sends one corrupt line. */
  readonly lines?: readonly Uint8Array[];
  /** Called for each reading, alert and event as it happens. */
  readonly onReading?: (r: Reading) => void;
  readonly onAlert?: (a: Alert) => void;
  readonly onEvent?: (e: GatewayEvent) => void;
}

const END_TOPIC = 'bridge/end';

/**
 * Runs the pipeline once over real TCP on 127.0.0.1 and returns what came out.
 *
 * @example
 * ```ts
 * const { readings, alerts } = await runCustomAdapterPipeline();
 * ```
 */
export async function runCustomAdapterPipeline(options: PipelineOptions = {}): Promise<PipelineResult> {
  const readings: Reading[] = [];
  const alerts: Alert[] = [];
  const events: GatewayEvent[] = [];

  // 1. The gateway side: a TCP server that is a Transport, and the gateway reading from it.
  const tcp = await listenTcpTransport({ host: '127.0.0.1', port: 0 });
  const gateway = createGateway({
    transports: { tcp },
    decoders: {
      masimo: masimoChannelDecoder({ patients: { [DEMO_DEVICE]: DEMO_PATIENT }, utcOffsetMinutes: 0 }),
    },
    inputs: [{ name: 'oximeters', transport: 'tcp', topicFilter: 'serial/{deviceId}', decoder: 'masimo' }],
    rules: [{ id: 'spo2-below-90', metric: 'spo2', below: 90, severity: 'high' }],
  });
  const subs: Subscription[] = [
    gateway.readings$.subscribe((r) => {
      readings.push(r);
      options.onReading?.(r);
    }),
    gateway.alerts$.subscribe((a) => {
      alerts.push(a);
      options.onAlert?.(a);
    }),
    gateway.events$.subscribe((e) => {
      events.push(e);
      options.onEvent?.(e);
    }),
  ];
  // The bridge says when it is done; the server delivers one connection's messages in order.
  const ended = firstValueFrom(merge(tcp.subscribe(END_TOPIC)));

  // 2. The device side: a serial-to-network bridge connected over TCP.
  const bridge = await connectTcpTransport({ host: '127.0.0.1', port: tcp.port });
  try {
    const lines = options.lines ?? demoLines();
    const topic = `serial/${DEMO_DEVICE}`;
    for (const line of lines) await bridge.publish(topic, line);
    // A line sent twice (the bridge retried): same ids, refused as a duplicate.
    if (lines[1] !== undefined) await bridge.publish(topic, lines[1]);
    // Line noise: refused with a typed error, and nothing stops.
    await bridge.publish(topic, utf8Encode('03/02/26 08:00:1? SN=0000070986 SPO2=095% BPM=086\r\n'));
    await bridge.publish(END_TOPIC, new Uint8Array([1]));
    await ended;
  } finally {
    for (const s of subs) s.unsubscribe();
    await bridge.close();
    await tcp.close();
  }
  return { readings, alerts, events };
}
