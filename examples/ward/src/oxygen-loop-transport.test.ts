/**
 * The local oxygen loop with every hop over a transport, as separate processes would run it: the
 * simulated monitor publishes device envelopes, the gateway (`createGateway({ control })`) decodes
 * them, runs the control rule and publishes commands, the concentrator serves them
 * (`serveCommands`) and publishes its statuses, which close the loop at the gateway. Virtual time,
 * advanced one second at a time, with the in-process transport's deliveries settled between steps.
 */
import {
  type Alert,
  type Command,
  type CommandStatus,
  createIdentity,
  createInProcessTransport,
  issueRoleClaim,
  issueStandingOrder,
  toBase64Url,
  verifyCommandAuthorisation,
} from '@healthit/core';
import { publishReadings, type ServeCommandsOptions, serveCommands } from '@healthit/device';
import { createGateway, type GatewayControlOptions } from '@healthit/gateway';
import { takeUntil, tap, timer, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createOxygenDemoDevices, OXYGEN_DEMO_CONCENTRATOR, OXYGEN_DEMO_RULES } from './oxygen-loop.js';

const MINUTE_MS = 60_000;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a run over the transport gave. */
interface TransportRun {
  readonly sent: number;
  readonly spo2: { ts: number; value: number }[];
  readonly commands: Command[];
  readonly statuses: CommandStatus[];
  readonly alerts: Alert[];
  readonly flow: { ts: number; flowLpm: number }[];
}

/**
 * Runs the demo with every hop over the in-process transport for `durationMs` of virtual time;
 * `secure` adds standing-order signing at the gateway and the authorisation check at the actuator.
 */
async function runOverTransport(
  durationMs: number,
  secure?: {
    standingOrders: GatewayControlOptions['standingOrders'];
    authorise: ServeCommandsOptions['authorise'];
  },
): Promise<TransportRun> {
  const scheduler = new VirtualTimeScheduler(undefined, 0);
  const clock = { now: () => scheduler.now() };
  const transport = createInProcessTransport();
  const { concentrator, ward } = createOxygenDemoDevices(scheduler);
  const gateway = createGateway({
    transport,
    clock,
    control: {
      rules: OXYGEN_DEMO_RULES,
      scheduler,
      ...(secure?.standingOrders ? { standingOrders: secure.standingOrders } : {}),
    },
  });
  const run: TransportRun = { sent: 0, spo2: [], commands: [], statuses: [], alerts: [], flow: [] };
  const subs = [
    gateway.readings$.subscribe((r) => {
      if (r.metric === 'spo2') run.spo2.push({ ts: r.ts, value: r.value });
    }),
    gateway.commands$.subscribe((c) => run.commands.push(c)),
    gateway.alerts$.subscribe((a) => run.alerts.push(a)),
    serveCommands(
      concentrator,
      transport,
      secure?.authorise ? { authorise: secure.authorise, clock } : {},
    ).subscribe((e) => {
      if (e.type === 'status-published') run.statuses.push(e.status);
    }),
    concentrator.flow$.subscribe((f) => run.flow.push({ ts: f.ts, flowLpm: f.flowLpm })),
  ];
  await settle(); // subscriptions on the transport are in place
  subs.push(
    ward.readings$
      .pipe(
        takeUntil(timer(durationMs, scheduler)),
        tap((r) => {
          if (r.metric === 'spo2') (run as { sent: number }).sent++;
        }),
        publishReadings(transport, { clock, scheduler }),
      )
      .subscribe(),
  );
  for (let t = 0; t <= durationMs + 5_000; t += 1_000) {
    scheduler.maxFrames = t;
    scheduler.flush();
    await settle();
  }
  for (const s of subs) s.unsubscribe();
  concentrator.close();
  await transport.close();
  return run;
}

describe('the oxygen loop over the in-process transport (device → gateway → actuator → gateway)', () => {
  it('a hypoxic patient’s SpO2 readings, published as envelopes, make the gateway command oxygen; the concentrator delivers it over the transport; SpO2 recovers and the loop steps down', async () => {
    const durationMs = 40 * MINUTE_MS;
    const run = await runOverTransport(durationMs);
    // every SpO2 reading the monitor sent reached the gateway, in order
    expect(run.sent).toBeGreaterThanOrEqual(durationMs / 5_000 - 1);
    expect(run.spo2.length).toBe(run.sent);
    expect(run.spo2.every((p, i) => i === 0 || p.ts > (run.spo2[i - 1] as { ts: number }).ts)).toBe(true);
    const first = run.commands[0];
    expect(first).toMatchObject({
      deviceId: OXYGEN_DEMO_CONCENTRATOR,
      action: 'oxygen.set-flow',
      params: { flowLpm: 2 },
      issuedBy: 'rule:spo2-oxygen',
    });
    // the concentrator received it over the transport, ran it, and its statuses came back
    expect(run.statuses.filter((s) => s.commandId === first?.id).map((s) => s.state)).toEqual([
      'accepted',
      'running',
      'completed',
    ]);
    expect(run.flow.some((f) => f.flowLpm === 2)).toBe(true);
    // SpO2 recovered to ≥ 92 % after the oxygen started, and the loop stepped the flow down
    expect(run.spo2.some((p) => p.ts > (first?.issuedAt ?? 0) && p.value >= 92)).toBe(true);
    expect(run.commands.some((c) => c.params.flowLpm === 1)).toBe(true);
    // no command failed or timed out (a lost status would raise a timeout alert)
    expect(run.alerts).toEqual([]);
  });
});

describe('the oxygen loop under a clinician’s standing order (signed commands checked by the concentrator)', () => {
  const idp = createIdentity({ id: 'hospital-idp', kind: 'service' });
  const gatewayKey = createIdentity({ id: 'gateway-1', kind: 'gateway' });
  const clinician = createIdentity({ id: 'dr:kim', kind: 'person' });
  const claim = issueRoleClaim(
    {
      subject: 'dr:kim',
      roles: ['clinician'],
      wards: ['ward-3'],
      patients: [],
      expiresAt: 10 * 3_600_000,
      key: toBase64Url(clinician.signing.publicKey),
    },
    { id: 'hospital-idp', secretKey: idp.signing.secretKey },
  );
  const order = (max: number, signer = clinician) =>
    issueStandingOrder(
      {
        id: `so-${max}`,
        deviceId: OXYGEN_DEMO_CONCENTRATOR,
        action: 'oxygen.set-flow',
        param: 'flowLpm',
        min: 0,
        max,
        gatewayId: 'gateway-1',
        gatewayKey: toBase64Url(gatewayKey.signing.publicKey),
        expiresAt: 10 * 3_600_000,
      },
      { claim, secretKey: signer.signing.secretKey },
    );
  const authorise: ServeCommandsOptions['authorise'] = (c) =>
    verifyCommandAuthorisation(c, {
      issuers: (i) => (i === 'hospital-idp' ? idp.signing.publicKey : undefined),
      resource: { ward: 'ward-3', deviceId: c.deviceId },
      clock: { now: () => 0 },
    });

  it('every loop command is signed under the order, the concentrator checks the chain and runs it; SpO2 recovers', async () => {
    const run = await runOverTransport(30 * MINUTE_MS, {
      standingOrders: { orders: [order(4)], gatewaySecretKey: gatewayKey.signing.secretKey },
      authorise,
    });
    const first = run.commands[0];
    expect(first?.auth !== undefined && 'order' in first.auth).toBe(true);
    expect(run.statuses.filter((s) => s.commandId === first?.id).map((s) => s.state)).toEqual([
      'accepted',
      'running',
      'completed',
    ]);
    expect(run.spo2.some((p) => p.ts > (first?.issuedAt ?? 0) && p.value >= 92)).toBe(true);
    expect(run.alerts).toEqual([]);
  });

  it('attack: a loop command beyond the order, or an order not signed by the clinician → rejected by the concentrator, and the loop raises the alert', async () => {
    const beyond = await runOverTransport(10 * MINUTE_MS, {
      standingOrders: { orders: [order(1)], gatewaySecretKey: gatewayKey.signing.secretKey },
      authorise,
    });
    expect(beyond.statuses[0]).toMatchObject({ state: 'rejected', reason: 'unauthorised: outside-order' });
    expect(beyond.flow.every((f) => f.flowLpm === 0)).toBe(true);
    expect(beyond.alerts.length).toBeGreaterThan(0);
    const forged = await runOverTransport(10 * MINUTE_MS, {
      standingOrders: { orders: [order(4, gatewayKey)], gatewaySecretKey: gatewayKey.signing.secretKey },
      authorise,
    });
    expect(forged.statuses[0]).toMatchObject({ state: 'rejected', reason: 'unauthorised: order-invalid' });
  });
});
