import { type CommandStatus, deviceId, isHealthItError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { type ConfigChange, createConfigTwins } from './device-config.js';

const done = (commandId: string): CommandStatus => ({
  commandId,
  deviceId: deviceId('pump-3'),
  state: 'completed',
  at: 1,
});

describe('createConfigTwins (desired vs reported, versioned)', () => {
  it('the difference becomes a config.set command; the device’s completion makes it the reported state', () => {
    const twins = createConfigTwins({ clock: { now: () => 5 } });
    const changes: ConfigChange[] = [];
    twins.changes$.subscribe((c) => changes.push(c));
    twins.desire('pump-3', { sampleEveryS: 60, alarmVolume: 'high' }, 0, 'biomed:ana');
    const command = twins.command('pump-3', 'platform');
    expect(command).toMatchObject({
      id: 'config:pump-3:1',
      action: 'config.set',
      params: { version: 1, settings: { sampleEveryS: 60, alarmVolume: 'high' } },
    });
    expect(twins.acknowledge(done('config:pump-3:1'))).toBe(true);
    expect(twins.get('pump-3')).toMatchObject({
      reported: { sampleEveryS: 60, alarmVolume: 'high' },
      reportedVersion: 1,
      desiredVersion: 1,
    });
    expect(twins.delta('pump-3')).toEqual({});
    expect(twins.command('pump-3', 'platform')).toBeUndefined();
    expect(changes.map((c) => `${c.type}@${c.version}`)).toEqual(['desired@1', 'reported@1']);
  });

  it('attack: conflicting concurrent updates from the same version → the second is refused by version', () => {
    const twins = createConfigTwins();
    twins.desire('pump-3', { rateMlH: 10 }, 0, 'nurse:bo');
    let error: unknown;
    try {
      twins.desire('pump-3', { rateMlH: 99 }, 0, 'someone-else'); // also read version 0
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'state/invalid')).toBe(true);
    expect((error as { detail: { reason: string } }).detail.reason).toBe('version-conflict');
    expect(twins.get('pump-3')?.desired).toEqual({ rateMlH: 10 });
  });

  it('an acknowledgement confirms only what its command carried; later desired changes stay pending; stale or foreign acks change nothing', () => {
    const twins = createConfigTwins();
    twins.desire('pump-3', { a: 1 }, 0, 'x');
    twins.command('pump-3', 'platform'); // carries a: 1 at version 1
    twins.desire('pump-3', { b: 2 }, 1, 'x'); // desired moves on before the ack
    expect(twins.acknowledge(done('config:pump-3:1'))).toBe(true);
    expect(twins.get('pump-3')).toMatchObject({ reported: { a: 1 }, reportedVersion: 1, desiredVersion: 2 });
    expect(twins.delta('pump-3')).toEqual({ b: 2 });
    expect(twins.acknowledge(done('config:pump-3:1'))).toBe(false); // again: stale
    expect(twins.acknowledge(done('config:pump-3:7'))).toBe(false); // never sent
    expect(twins.acknowledge({ ...done('config:pump-3:2'), state: 'failed' })).toBe(false);
    expect(twins.acknowledge(done('other-command'))).toBe(false);
  });
});
