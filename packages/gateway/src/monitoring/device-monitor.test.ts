import { deviceId, type Reading, readingId } from '@healthit/core';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type DeviceHeartbeat, type DeviceMonitorEvent, monitorDevices } from './device-monitor.js';

function reading(dev: string, seq: number): Reading {
  return {
    id: readingId(dev, seq),
    deviceId: deviceId(dev),
    metric: 'spo2',
    value: 97,
    unit: '%',
    ts: seq,
    seq,
  };
}
const heartbeat = (dev: string, batteryPercent: number): DeviceHeartbeat => ({
  kind: 'heartbeat',
  deviceId: dev,
  ts: 1,
  batteryPercent,
  firmware: '2.4.1',
});

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const label = (e: DeviceMonitorEvent): string =>
  e.type === 'offline'
    ? `off:${e.health.deviceId}@${e.health.lastSeen}`
    : e.type === 'online'
      ? `on:${e.health.deviceId}+${e.silentForMs}`
      : `hb:${e.health.deviceId}:${e.health.batteryPercent}%:${e.health.firmware}`;

describe('monitorDevices (marble)', () => {
  it('offline at the first check after offlineAfterMs of silence; online with the silence; heartbeats carry health', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('a 49ms h 249ms a', { a: reading('a', 1), h: heartbeat('a', 81) });
      const events = src.pipe(monitorDevices({ offlineAfterMs: 100, checkEveryMs: 10 }), map(label));
      // heard at 0 and 50 (heartbeat); silent from 50: offline at the check at 150; heard at 300
      expectObservable(events, '^ 380ms !').toBe('50ms h 99ms o 149ms n', {
        h: 'hb:a:81%:2.4.1',
        o: 'off:a@50',
        n: 'on:a+250',
      });
    });
  });

  it('a check walks only the silent devices: one busy device never goes offline, a quiet one does, each once', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const busy = 'b 19ms '.repeat(20);
      const src = hot(`q 9ms ${busy}`, { q: reading('quiet', 1), b: reading('busy', 1) });
      const events = src.pipe(monitorDevices({ offlineAfterMs: 100, checkEveryMs: 10 }), map(label));
      expectObservable(events, '^ 399ms !').toBe('100ms o', { o: 'off:quiet@0' });
    });
  });

  it('the offline alert names the device, the silence, and the last signal heard', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('a', { a: reading('a', 7) });
      const alerts = src.pipe(
        monitorDevices({ offlineAfterMs: 100, checkEveryMs: 50 }),
        map((e) =>
          e.type === 'offline'
            ? `${e.alert.rule} ${e.alert.severity} ${e.alert.readingIds[0]} ${e.alert.message}`
            : '',
        ),
      );
      expectObservable(alerts, '^ 200ms !').toBe('100ms x', {
        x: 'device-offline medium a:7 Device a has been silent for 100 ms (expected within 100 ms)',
      });
    });
  });

  it('rejects invalid options', () => {
    expect(() => monitorDevices({ offlineAfterMs: 0 })).toThrow(RangeError);
    expect(() => monitorDevices({ offlineAfterMs: 10, checkEveryMs: 1.5 })).toThrow(/checkEveryMs/);
  });
});
