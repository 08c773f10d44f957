import {
  type CommandStatus,
  commandJsonCodec,
  commandStatusJsonCodec,
  createInProcessTransport,
  deviceId,
  Topics,
  utf8Encode,
} from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { createOxygenConcentrator } from './oxygen-concentrator.js';
import { type ServeCommandsEvent, serveCommands } from './serve-commands.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('serveCommands', () => {
  it('executes JSON commands from the device command topic and publishes every status', async () => {
    const transport = createInProcessTransport();
    const concentrator = createOxygenConcentrator({ deviceId: 'o2-001' });
    const statuses: CommandStatus[] = [];
    transport
      .subscribe(Topics.deviceCommandStatus('o2-001'))
      .subscribe((m) => statuses.push(commandStatusJsonCodec.decode(m.payload)));
    const events: ServeCommandsEvent[] = [];
    const serving = serveCommands(concentrator, transport).subscribe((e) => events.push(e));
    await settle();
    await transport.publish(
      Topics.deviceCommands('o2-001'),
      commandJsonCodec.encode({
        id: 'c-1',
        deviceId: deviceId('o2-001'),
        action: 'oxygen.set-flow',
        params: { flowLpm: 2 },
        issuedBy: 'test',
        issuedAt: Date.now(),
      }),
    );
    await new Promise((r) => setTimeout(r, 3_500));
    expect(statuses.map((s) => s.state)).toEqual(['accepted', 'running', 'completed']);
    expect(events.filter((e) => e.type === 'status-published')).toHaveLength(3);
    serving.unsubscribe();
    concentrator.close();
    await transport.close();
  });

  it('turns a message that is not a command into an event and serves the next one', async () => {
    const transport = createInProcessTransport();
    const concentrator = createOxygenConcentrator({ deviceId: 'o2-002' });
    const events: ServeCommandsEvent[] = [];
    const serving = serveCommands(concentrator, transport).subscribe((e) => events.push(e));
    await settle();
    await transport.publish(Topics.deviceCommands('o2-002'), utf8Encode('{"id": 5}'));
    await transport.publish(
      Topics.deviceCommands('o2-002'),
      commandJsonCodec.encode({
        id: 'c-2',
        deviceId: deviceId('o2-002'),
        action: 'oxygen.set-flow',
        params: { flowLpm: 99 },
        issuedBy: 'test',
        issuedAt: Date.now(),
      }),
    );
    await settle();
    const refused = events.find((e) => e.type === 'command-refused');
    expect(refused?.type === 'command-refused' && refused.error.code).toBe('validation/invalid');
    const published = events.flatMap((e) => (e.type === 'status-published' ? [e.status] : []));
    expect(published.map((s) => [s.commandId, s.state])).toEqual([['c-2', 'rejected']]);
    serving.unsubscribe();
    concentrator.close();
    await transport.close();
  });
});
