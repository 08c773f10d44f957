/**
 * The control loop inside `createGateway`: commands go out on the actuator's command topic as
 * JSON, statuses come back on its status topic, failures become alerts, bad statuses events.
 * The actuator here is a scripted responder on the transport (the device package's real
 * concentrator is wired the same way in test/gateway-oxygen-loop.test.ts).
 */
import {
  type Alert,
  type Command,
  type CommandState,
  commandJsonCodec,
  commandStatusJsonCodec,
  createInProcessTransport,
  Topics,
  type Transport,
  utf8Encode,
} from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { envelopeBytes, reading } from '../test/fixtures.js';
import type { GatewayEvent } from './events.js';
import { createGateway } from './gateway.js';

const RULES = [
  {
    id: 'spo2-oxygen',
    metric: 'spo2',
    scope: { patientIds: ['patient-1'] },
    actuator: { deviceId: 'o2-001', action: 'oxygen.set-flow', param: 'flowLpm' },
    steps: [{ when: { below: 88, forMs: 30_000 }, set: 2 }],
    stepDown: { when: { atLeast: 92, forMs: 60_000 }, by: 1, min: 0 },
    limits: { min: 0, max: 6, maxChangePerMinute: 2 },
  },
];

/** Answers every command on o2-001's topic with the given states. */
function respond(transport: Transport, states: readonly CommandState[]): Command[] {
  const received: Command[] = [];
  transport.subscribe(Topics.deviceCommands('o2-001')).subscribe((m) => {
    const command = commandJsonCodec.decode(m.payload);
    received.push(command);
    for (const state of states) {
      void transport.publish(
        Topics.deviceCommandStatus('o2-001'),
        commandStatusJsonCodec.encode({
          commandId: command.id,
          deviceId: command.deviceId,
          state,
          at: Date.now(),
        }),
      );
    }
  });
  return received;
}

async function run(states: readonly CommandState[], extra?: (t: Transport) => Promise<void>) {
  const transport = createInProcessTransport();
  const received = respond(transport, states);
  // One patient's pulse oximeter, SpO2 84 % every 10 s for 40 s.
  const gw = createGateway({ transport, control: { rules: RULES } });
  const commands: Command[] = [];
  const alerts: Alert[] = [];
  const events: GatewayEvent[] = [];
  const subs = [
    gw.commands$.subscribe((c) => commands.push(c)),
    gw.alerts$.subscribe((a) => alerts.push(a)),
    gw.events$.subscribe((e) => events.push(e)),
  ];
  await extra?.(transport);
  for (let i = 0; i <= 4; i++) {
    const r = { ...reading('spo2-1', i * 10, 'spo2', 84, '%'), patientId: 'patient-1' } as ReturnType<
      typeof reading
    >;
    await transport.publish(Topics.deviceReadings('spo2-1'), envelopeBytes('spo2-1', i, [r]));
  }
  await new Promise((r) => setTimeout(r, 20));
  for (const s of subs) s.unsubscribe();
  await transport.close();
  return { received, commands, alerts, events };
}

describe('createGateway with a control loop', () => {
  it('publishes the command to the actuator after 30 s below 88 % and settles on its statuses', async () => {
    const { received, commands, alerts, events } = await run(['accepted', 'running', 'completed']);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({
      deviceId: 'o2-001',
      action: 'oxygen.set-flow',
      params: { flowLpm: 2 },
      issuedBy: 'rule:spo2-oxygen',
    });
    expect(received).toEqual(commands);
    expect(alerts).toEqual([]);
    expect(events.some((e) => e.type === 'command-settled')).toBe(true);
  });

  it('raises an alert when the actuator reports the command failed', async () => {
    const { commands, alerts } = await run(['accepted', 'failed']);
    expect(commands).toHaveLength(1);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.rule).toContain('spo2-oxygen');
  });

  it('turns an undecodable status message into an event and keeps the loop running', async () => {
    const { commands, events } = await run(['accepted', 'completed'], async (t) => {
      await t.publish(Topics.deviceCommandStatus('o2-001'), utf8Encode('{"commandId": 1}'));
    });
    expect(events.filter((e) => e.type === 'command-status-rejected')).toHaveLength(1);
    expect(commands).toHaveLength(1);
  });

  it('refuses invalid control rules when the gateway is created', () => {
    expect(() =>
      createGateway({ transport: createInProcessTransport(), control: { rules: [{ id: 'x' }] } }),
    ).toThrow(/rules/);
  });
});
