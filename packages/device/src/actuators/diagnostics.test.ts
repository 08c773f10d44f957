/**
 * A diagnostics command runs a self-test on the (simulated) concentrator over a transport and
 * returns its report in the `completed` status — also while a fault is active, when other commands
 * are refused.
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
import { createOxygenConcentrator, DIAGNOSTICS_SELF_TEST, SELF_TEST_MS } from './oxygen-concentrator.js';
import { serveCommands } from './serve-commands.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('diagnostics.self-test', () => {
  it('returns its report in the completed status: passed when healthy; the failed check during a no-flow fault, when set-flow is refused', async () => {
    const scheduler = new VirtualTimeScheduler();
    const transport = createInProcessTransport();
    const concentrator = createOxygenConcentrator({ deviceId: 'o2-201', scheduler });
    const statuses: CommandStatus[] = [];
    transport
      .subscribe(Topics.deviceCommandStatus('o2-201'))
      .subscribe((m) => statuses.push(commandStatusJsonCodec.decode(m.payload)));
    const serving = serveCommands(concentrator, transport).subscribe();
    await settle();
    const send = (id: string, action: string, params: Record<string, number> = {}) =>
      transport.publish(
        Topics.deviceCommands('o2-201'),
        commandJsonCodec.encode({
          id,
          deviceId: deviceId('o2-201'),
          action,
          params,
          issuedBy: 'biomed:ana',
          issuedAt: 0,
        }),
      );

    await send('diag-1', DIAGNOSTICS_SELF_TEST);
    await settle();
    scheduler.flush(); // the self-test takes SELF_TEST_MS of virtual time
    await settle();
    concentrator.injectFault('no-flow');
    await send('flow-1', 'oxygen.set-flow', { flowLpm: 2 });
    await send('diag-2', DIAGNOSTICS_SELF_TEST);
    await settle();
    scheduler.flush();
    await settle();

    const final = (id: string) => statuses.filter((s) => s.commandId === id).at(-1);
    expect(final('diag-1')).toMatchObject({
      state: 'completed',
      result: { passed: true, checks: { power: 'ok', flowSensor: 'ok' }, flowLpm: 0 },
    });
    expect(final('flow-1')?.state).toBe('rejected');
    expect(final('diag-2')).toMatchObject({
      state: 'completed',
      result: { passed: false, checks: { power: 'ok', flowSensor: 'failed' } },
    });
    const running = statuses.find((s) => s.commandId === 'diag-1' && s.state === 'running');
    expect((final('diag-1')?.at ?? 0) - (running?.at ?? 0)).toBe(SELF_TEST_MS);
    serving.unsubscribe();
    concentrator.close();
    await transport.close();
  });
});
