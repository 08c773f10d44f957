/**
 * The local oxygen loop with every hop over a transport, as separate processes would run it: the
 * simulated monitor publishes device envelopes, the gateway (`createGateway({ control })`) decodes
 * them, runs the control rule and publishes commands, the concentrator serves them
 * (`serveCommands`) and publishes its statuses, which close the loop at the gateway. Virtual time,
 * advanced one second at a time, with the in-process transport's deliveries settled between steps.
 */
import { type Alert, type Command, type CommandStatus, createInProcessTransport } from '@healthit/core';
import { publishReadings, serveCommands } from '@healthit/device';
import { createGateway } from '@healthit/gateway';
import { takeUntil, tap, timer, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createOxygenDemoDevices, OXYGEN_DEMO_CONCENTRATOR, OXYGEN_DEMO_RULES } from './oxygen-loop.js';

const MINUTE_MS = 60_000;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the oxygen loop over the in-process transport (device → gateway → actuator → gateway)', () => {
  it('a hypoxic patient’s SpO2 readings, published as envelopes, make the gateway command oxygen; the concentrator delivers it over the transport; SpO2 recovers and the loop steps down', async () => {
    const durationMs = 40 * MINUTE_MS;
    const scheduler = new VirtualTimeScheduler(undefined, 0);
    const clock = { now: () => scheduler.now() };
    const transport = createInProcessTransport();
    const { concentrator, ward } = createOxygenDemoDevices(scheduler);
    const gateway = createGateway({
      transport,
      clock,
      control: { rules: OXYGEN_DEMO_RULES, scheduler },
    });

    const spo2: { ts: number; value: number }[] = [];
    const commands: Command[] = [];
    const statuses: CommandStatus[] = [];
    const alerts: Alert[] = [];
    const flow: { ts: number; flowLpm: number }[] = [];
    const subs = [
      gateway.readings$.subscribe((r) => {
        if (r.metric === 'spo2') spo2.push({ ts: r.ts, value: r.value });
      }),
      gateway.commands$.subscribe((c) => commands.push(c)),
      gateway.alerts$.subscribe((a) => alerts.push(a)),
      serveCommands(concentrator, transport).subscribe((e) => {
        if (e.type === 'status-published') statuses.push(e.status);
      }),
      concentrator.flow$.subscribe((f) => flow.push({ ts: f.ts, flowLpm: f.flowLpm })),
    ];
    await settle(); // subscriptions on the transport are in place
    let sent = 0;
    subs.push(
      ward.readings$
        .pipe(
          takeUntil(timer(durationMs, scheduler)),
          tap((r) => {
            if (r.metric === 'spo2') sent++;
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

    // every SpO2 reading the monitor sent reached the gateway, in order
    expect(sent).toBeGreaterThanOrEqual(durationMs / 5_000 - 1);
    expect(spo2.length).toBe(sent);
    expect(spo2.every((p, i) => i === 0 || p.ts > (spo2[i - 1] as { ts: number }).ts)).toBe(true);
    const first = commands[0];
    expect(first).toMatchObject({
      deviceId: OXYGEN_DEMO_CONCENTRATOR,
      action: 'oxygen.set-flow',
      params: { flowLpm: 2 },
      issuedBy: 'rule:spo2-oxygen',
    });
    // the concentrator received it over the transport, ran it, and its statuses came back
    expect(statuses.filter((s) => s.commandId === first?.id).map((s) => s.state)).toEqual([
      'accepted',
      'running',
      'completed',
    ]);
    expect(flow.some((f) => f.flowLpm === 2)).toBe(true);
    // SpO2 recovered to ≥ 92 % after the oxygen started, and the loop stepped the flow down
    expect(spo2.some((p) => p.ts > (first?.issuedAt ?? 0) && p.value >= 92)).toBe(true);
    expect(commands.some((c) => c.params.flowLpm === 1)).toBe(true);
    // no command failed or timed out (a lost status would raise a timeout alert)
    expect(alerts).toEqual([]);
    for (const s of subs) s.unsubscribe();
    concentrator.close();
    await transport.close();
  });
});
