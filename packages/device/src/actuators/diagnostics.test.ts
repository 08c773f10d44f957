/**
 * A diagnostics command runs a self-test on a (simulated) actuator over a transport and returns its
 * report in the `completed` status — also while a fault is active, when other commands are refused.
 * The concentrator and the infusion pump build the same report ({@link selfTestReport}).
 */
import {
  type CommandStatus,
  commandJsonCodec,
  commandStatusJsonCodec,
  createInProcessTransport,
  deviceId,
  Topics,
} from '@healthit/core';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Actuator } from './actuator.js';
import { createInfusionPump, INFUSION_START } from './infusion-pump.js';
import { createOxygenConcentrator } from './oxygen-concentrator.js';
import { checkFailed, checkOk, DIAGNOSTICS_SELF_TEST, SELF_TEST_MS, selfTestReport } from './self-test.js';
import { serveCommands } from './serve-commands.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

/** Serves `actuator` on an in-process transport; `send` publishes a command, `final` reads its last status. */
async function overTransport(id: string, actuator: Actuator<unknown>, scheduler: VirtualTimeScheduler) {
  const transport = createInProcessTransport();
  const statuses: CommandStatus[] = [];
  transport
    .subscribe(Topics.deviceCommandStatus(id))
    .subscribe((m) => statuses.push(commandStatusJsonCodec.decode(m.payload)));
  const serving = serveCommands(actuator, transport).subscribe();
  await settle();
  return {
    async send(commandId: string, action: string, params: Record<string, number> = {}) {
      await transport.publish(
        Topics.deviceCommands(id),
        commandJsonCodec.encode({
          id: commandId,
          deviceId: deviceId(id),
          action,
          params,
          issuedBy: 'biomed:ana',
          issuedAt: 0,
        }),
      );
      await settle();
    },
    /** Runs the virtual time (a self-test takes SELF_TEST_MS of it) and lets the statuses arrive. */
    async elapse() {
      scheduler.flush();
      await settle();
    },
    final: (commandId: string) => statuses.filter((s) => s.commandId === commandId).at(-1),
    /** Virtual ms from `running` to the final status of a command. */
    runMs(commandId: string) {
      const running = statuses.find((s) => s.commandId === commandId && s.state === 'running');
      return (statuses.filter((s) => s.commandId === commandId).at(-1)?.at ?? 0) - (running?.at ?? 0);
    },
    async close() {
      serving.unsubscribe();
      actuator.close();
      await transport.close();
    },
  };
}

describe('selfTestReport', () => {
  it('passes only when every check is ok, names the failed checks in order, and keeps the details', () => {
    expect(selfTestReport({ a: checkOk('fine'), b: checkOk('fine') }, { flowLpm: 2 })).toEqual({
      passed: true,
      failed: [],
      checks: { a: { status: 'ok', reason: 'fine' }, b: { status: 'ok', reason: 'fine' } },
      flowLpm: 2,
    });
    const report = selfTestReport({ a: checkFailed('broken'), b: checkOk('fine'), c: checkFailed('gone') });
    expect(report.passed).toBe(false);
    expect(report.failed).toEqual(['a', 'c']);
  });

  it('a test that checked nothing does not pass', () => {
    expect(selfTestReport({})).toMatchObject({ passed: false, failed: [] });
  });
});

describe('diagnostics.self-test: oxygen concentrator', () => {
  it('returns its report in the completed status: passed when healthy; the failed check during a no-flow fault, when set-flow is refused', async () => {
    const scheduler = new VirtualTimeScheduler();
    const concentrator = createOxygenConcentrator({ deviceId: 'o2-201', scheduler });
    const t = await overTransport('o2-201', concentrator, scheduler);

    await t.send('diag-1', DIAGNOSTICS_SELF_TEST);
    await t.elapse();
    concentrator.injectFault('no-flow');
    await t.send('flow-1', 'oxygen.set-flow', { flowLpm: 2 });
    await t.send('diag-2', DIAGNOSTICS_SELF_TEST);
    await t.elapse();

    expect(t.final('diag-1')).toMatchObject({
      state: 'completed',
      result: {
        passed: true,
        failed: [],
        checks: { power: { status: 'ok' }, flow: { status: 'ok', reason: 'outlet flow as set (0 L/min)' } },
        flowLpm: 0,
        limits: { minFlowLpm: 0, maxFlowLpm: 15, maxStepLpm: 2 },
      },
    });
    expect(t.runMs('diag-1')).toBe(SELF_TEST_MS);
    expect(t.final('flow-1')?.state).toBe('rejected');
    expect(t.final('diag-2')).toMatchObject({
      state: 'completed',
      result: {
        passed: false,
        failed: ['flow'],
        checks: { power: { status: 'ok' }, flow: { status: 'failed' } },
      },
    });
    expect(t.final('diag-2')?.result).toHaveProperty(
      'checks.flow.reason',
      expect.stringContaining('kinked or disconnected tubing'),
    );
    await t.close();
  });
});

describe('diagnostics.self-test: infusion pump', () => {
  const checks = ['power', 'motor', 'occlusion', 'airInLine', 'door'];

  it('healthy: every check ok and the pump idle, after SELF_TEST_MS; it waits behind a running infusion', async () => {
    const scheduler = new VirtualTimeScheduler();
    const pump = createInfusionPump({ deviceId: 'pump-201', scheduler });
    const t = await overTransport('pump-201', pump, scheduler);

    await t.send('diag-1', DIAGNOSTICS_SELF_TEST);
    await t.elapse();
    // 10 mL at 360 mL/h = 100 s: the self-test sent meanwhile queues and runs after it.
    await t.send('inf-1', INFUSION_START, { rateMlPerH: 360, volumeMl: 10 });
    await t.send('diag-2', DIAGNOSTICS_SELF_TEST);
    expect(t.final('diag-2')?.state).toBe('accepted');
    await t.elapse();

    const report = t.final('diag-1')?.result;
    expect(t.final('diag-1')?.state).toBe('completed');
    expect(report).toMatchObject({
      passed: true,
      failed: [],
      rateMlPerH: 0,
      totalDeliveredMl: 0,
      limits: { minRateMlPerH: 0.1, maxRateMlPerH: 999, minVolumeMl: 0.1, maxVolumeMl: 9_999 },
    });
    expect(Object.keys((report as { checks: object }).checks)).toEqual(checks);
    for (const name of checks) expect(report).toHaveProperty(`checks.${name}.status`, 'ok');
    expect(t.runMs('diag-1')).toBe(SELF_TEST_MS);
    expect(t.final('inf-1')?.state).toBe('completed');
    expect(t.final('diag-2')).toMatchObject({
      state: 'completed',
      result: { passed: true, rateMlPerH: 0, totalDeliveredMl: 10 },
    });
    await t.close();
  });

  it('during an occlusion: the infusion failed, a new start is refused, the self-test runs and fails the occlusion check', async () => {
    const scheduler = new VirtualTimeScheduler();
    const pump = createInfusionPump({ deviceId: 'pump-202', scheduler });
    const t = await overTransport('pump-202', pump, scheduler);

    await t.send('inf-1', INFUSION_START, { rateMlPerH: 100, volumeMl: 50 });
    pump.injectFault('occlusion');
    await settle();
    await t.send('inf-2', INFUSION_START, { rateMlPerH: 100, volumeMl: 50 });
    await t.send('diag-1', DIAGNOSTICS_SELF_TEST);
    await t.elapse();

    expect(t.final('inf-1')).toMatchObject({ state: 'failed', reason: expect.stringContaining('occlusion') });
    expect(t.final('inf-2')?.state).toBe('rejected');
    expect(t.final('diag-1')).toMatchObject({
      state: 'completed',
      result: {
        passed: false,
        failed: ['occlusion'],
        checks: {
          power: { status: 'ok' },
          motor: { status: 'ok' },
          occlusion: { status: 'failed', reason: expect.stringContaining('downstream occlusion') },
          airInLine: { status: 'ok' },
          door: { status: 'ok' },
        },
        rateMlPerH: 0,
      },
    });
    expect(t.runMs('diag-1')).toBe(SELF_TEST_MS);

    // Clearing the alarm (a clinician acknowledging it) makes the next self-test pass.
    pump.clearFault('occlusion');
    await t.send('diag-2', DIAGNOSTICS_SELF_TEST);
    await t.elapse();
    expect(t.final('diag-2')).toMatchObject({ state: 'completed', result: { passed: true, failed: [] } });
    await t.close();
  });

  it('with air in the line and an occlusion together, both checks fail', async () => {
    const scheduler = new VirtualTimeScheduler();
    const pump = createInfusionPump({ deviceId: 'pump-203', scheduler });
    const t = await overTransport('pump-203', pump, scheduler);
    pump.injectFault('air-in-line');
    pump.injectFault('occlusion');
    await t.send('diag-1', DIAGNOSTICS_SELF_TEST);
    await t.elapse();
    expect(t.final('diag-1')).toMatchObject({
      state: 'completed',
      result: {
        passed: false,
        failed: ['occlusion', 'airInLine'],
        checks: { airInLine: { status: 'failed', reason: expect.stringContaining('air-in-line detector') } },
      },
    });
    await t.close();
  });
});
