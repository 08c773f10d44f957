import { deviceId, HealthItError, isHealthItError, type Reading, readingId } from '@healthit/core';
import * as fc from 'fast-check';
import { catchError, map, of, Subject, VirtualTimeScheduler } from 'rxjs';
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
const declaring = (dev: string, offlineAfterMs: number): DeviceHeartbeat => ({
  kind: 'heartbeat',
  deviceId: dev,
  ts: 1,
  offlineAfterMs,
});

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const label = (e: DeviceMonitorEvent): string =>
  e.type === 'offline'
    ? `off:${e.health.deviceId}@${e.health.lastSeen}`
    : e.type === 'online'
      ? `on:${e.health.deviceId}+${e.silentForMs}`
      : e.type === 'heartbeat'
        ? `hb:${e.health.deviceId}:${e.health.batteryPercent}%:${e.health.firmware}`
        : `rejected:${e.health.deviceId}:${String(e.declaredOfflineAfterMs)}`;
/** The offline alerts only, as `device@lastSeen/interval`. */
const offline = (e: DeviceMonitorEvent): string[] =>
  e.type === 'offline' ? [`${e.health.deviceId}@${e.health.lastSeen}/${e.health.offlineAfterMs}`] : [];

describe('monitorDevices (marble)', () => {
  it('offline at offlineAfterMs of silence; online with the silence; heartbeats carry health', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('a 49ms h 249ms a', { a: reading('a', 1), h: heartbeat('a', 81) });
      const events = src.pipe(monitorDevices({ offlineAfterMs: 100, checkEveryMs: 10 }), map(label));
      // heard at 0 and 50 (heartbeat); silent from 50: offline at 150; heard at 300
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

  it('per-device intervals: each device goes offline after its own interval (monitor 30 ms, scale 300 ms, others the default)', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const perDevice = new Map([
        ['monitor', 30],
        ['scale', 300],
      ]);
      // all heard at 0; the monitor again at 20 and 40, then silent
      const src = hot('(msx) 15ms m 19ms m', {
        m: reading('monitor', 1),
        s: reading('scale', 1),
        x: reading('other', 1),
      });
      const events = src.pipe(
        monitorDevices({ offlineAfterMs: 100, offlineAfterMsOf: (id) => perDevice.get(id) }),
        map((e) => (e.type === 'offline' ? `${e.alert.message}` : '')),
      );
      expectObservable(events, '^ 400ms !').toBe('70ms m 29ms x 199ms s', {
        m: 'Device monitor has been silent for 30 ms (expected within 30 ms)',
        x: 'Device other has been silent for 100 ms (expected within 100 ms)',
        s: 'Device scale has been silent for 300 ms (expected within 300 ms)',
      });
    });
  });

  it('never offline within its own interval: a scale heard every 250 ms with a 300 ms interval stays online past the default', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('s 249ms s 249ms s', { s: reading('scale', 1) });
      const events = src.pipe(
        monitorDevices({ offlineAfterMs: 100, offlineAfterMsOf: () => 300 }),
        map(label),
      );
      expectObservable(events, '^ 900ms !').toBe('800ms o', { o: 'off:scale@500' });
    });
  });

  it('a heartbeat may declare a shorter interval, which applies from then on; a longer one needs offlineAfterMsOf to apply', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // a declares 20 ms at 0; b declares 500 ms (longer than the default 100): ignored by default
      const src = hot('(ab)', { a: declaring('a', 20), b: declaring('b', 500) });
      expectObservable(src.pipe(monitorDevices({ offlineAfterMs: 100 }), map(offline)), '^ 600ms !').toBe(
        '(ab) 16ms x 79ms y',
        { a: [], b: [], x: ['a@0/20'], y: ['b@0/100'] },
      );
      // an integrator who trusts the devices' declarations up to 1 s
      const trusting = monitorDevices({
        offlineAfterMs: 100,
        offlineAfterMsOf: (_id, health) =>
          health.declaredOfflineAfterMs === undefined
            ? undefined
            : Math.min(health.declaredOfflineAfterMs, 1_000),
      });
      expectObservable(src.pipe(trusting, map(offline)), '^ 600ms !').toBe('(ab) 16ms x 479ms y', {
        a: [],
        b: [],
        x: ['a@0/20'],
        y: ['b@0/500'],
      });
    });
  });

  it('a declared interval stays until another is declared; health says where the interval comes from', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('d 9ms r 9ms h', { d: declaring('a', 50), r: reading('a', 2), h: heartbeat('a', 70) });
      const events = src.pipe(
        monitorDevices({ offlineAfterMs: 100 }),
        map((e) => `${e.type}:${e.health.offlineAfterMs}:${e.health.offlineAfterFrom}`),
      );
      expectObservable(events, '^ 200ms !').toBe('d 19ms h 49ms o', {
        d: 'heartbeat:50:declared',
        h: 'heartbeat:50:declared',
        o: 'offline:50:declared',
      });
    });
  });

  it('an invalid declared interval is ignored and reported (the device keeps its interval; the rest of the heartbeat applies)', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('a 9ms b', {
        a: declaring('a', 40),
        b: { ...heartbeat('a', 55), offlineAfterMs: Number.NaN },
      });
      expectObservable(src.pipe(monitorDevices({ offlineAfterMs: 100 }), map(label)), '^ 200ms !').toBe(
        'h 9ms (rb) 36ms o',
        { h: 'hb:a:undefined%:undefined', r: 'rejected:a:NaN', b: 'hb:a:55%:2.4.1', o: 'off:a@10' },
      );
    });
  });

  it('checkEveryMs batches the checks: an alert comes at most checkEveryMs after the deadline', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // a silent from 0 (deadline 100), b from 15 (deadline 115): the check at 100 covers a only;
      // the next may run no sooner than 100 + 40
      const src = hot('a 14ms b', { a: reading('a', 1), b: reading('b', 1) });
      const events = src.pipe(monitorDevices({ offlineAfterMs: 100, checkEveryMs: 40 }), map(label));
      expectObservable(events, '^ 300ms !').toBe('100ms a 39ms b', { a: 'off:a@0', b: 'off:b@15' });
    });
  });

  it('intervals longer than the longest timer (2³¹ − 1 ms) still fire at their deadline, not at once', () => {
    const thirtyDaysMs = 30 * 24 * 3_600_000;
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('a', { a: reading('a', 1) });
      const events = src.pipe(monitorDevices({ offlineAfterMs: thirtyDaysMs }), map(label));
      expectObservable(events, `^ ${thirtyDaysMs + 10}ms !`).toBe(`${thirtyDaysMs}ms o`, { o: 'off:a@0' });
    });
  });

  it('a forgotten device (maxDevices) raises no offline alert', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('a 9ms b', { a: reading('a', 1), b: reading('b', 1) });
      const events = src.pipe(monitorDevices({ offlineAfterMs: 100, maxDevices: 1 }), map(label));
      expectObservable(events, '^ 300ms !').toBe('110ms o', { o: 'off:b@10' });
    });
  });

  it('an invalid interval from offlineAfterMsOf errors the stream with config/invalid, naming the device', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const src = hot('a 9ms b', { a: reading('a', 1), b: reading('bad', 1) });
      for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const events = src.pipe(
          monitorDevices({ offlineAfterMs: 100, offlineAfterMsOf: (id) => (id === 'bad' ? bad : undefined) }),
          map(() => 'event'),
          catchError((e: unknown) =>
            of(isHealthItError(e, 'config/invalid') ? e.message : `unexpected ${String(e)}`),
          ),
        );
        expectObservable(events, '^ 50ms !').toBe('10ms (x|)', {
          x: `monitorDevices: offlineAfterMsOf("bad") must be a finite number of ms > 0 (or undefined), got ${bad}`,
        });
      }
      const throwing = src.pipe(
        monitorDevices({
          offlineAfterMs: 100,
          offlineAfterMsOf: () => {
            throw new Error('registry down');
          },
        }),
        catchError((e: unknown) => of(e instanceof HealthItError && (e.cause as Error).message)),
      );
      expectObservable(throwing, '^ 50ms !').toBe('(x|)', { x: 'registry down' });
    });
  });
});

describe('monitorDevices: options', () => {
  it('rejects a bad configuration with a typed HealthItError config/invalid naming the option', () => {
    const cases: [Parameters<typeof monitorDevices>[0], RegExp][] = [
      [{ offlineAfterMs: 0 }, /offlineAfterMs must be a finite number of ms > 0, got 0/],
      [{ offlineAfterMs: -1 }, /offlineAfterMs.*got -1/],
      [{ offlineAfterMs: Number.NaN }, /offlineAfterMs.*got NaN/],
      [{ offlineAfterMs: Number.POSITIVE_INFINITY }, /offlineAfterMs.*got Infinity/],
      [{ offlineAfterMs: '60000' as unknown as number }, /offlineAfterMs.*got string/],
      [{ offlineAfterMs: 10, checkEveryMs: 1.5 }, /checkEveryMs must be an integer ≥ 1/],
      [{ offlineAfterMs: 10, maxDevices: 0 }, /maxDevices/],
      [{ offlineAfterMs: 10, offlineAfterMsOf: new Map() as never }, /offlineAfterMsOf must be a function/],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        monitorDevices(options);
      } catch (e) {
        error = e;
      }
      expect(isHealthItError(error, 'config/invalid'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});

/** One input of the property: device `device` heard at `atMs`. */
interface Heard {
  readonly device: number;
  readonly atMs: number;
}

describe('monitorDevices (property)', () => {
  it('each device goes offline exactly when silent for its own interval (to the ms, or within checkEveryMs), never sooner, once per silence', () => {
    const DEFAULT_MS = 100;
    fc.assert(
      fc.property(
        // per device: its interval and how it gets it (configured, declared by heartbeats, default)
        fc.array(
          fc.record({
            intervalMs: fc.integer({ min: 1, max: 300 }),
            from: fc.constantFrom('configured', 'declared', 'default'),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(fc.record({ device: fc.nat(3), atMs: fc.integer({ min: 0, max: 1_000 }) }), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 20 }),
        (devices, inputs, checkEveryMs) => {
          const intervalOf = (d: number): number => {
            const spec = devices[d];
            if (spec === undefined || spec.from === 'default') return DEFAULT_MS;
            return spec.from === 'declared' ? Math.min(spec.intervalMs, DEFAULT_MS) : spec.intervalMs;
          };
          const heard: Heard[] = inputs
            .filter((h) => h.device < devices.length)
            .sort((a, b) => a.atMs - b.atMs);
          const vts = new VirtualTimeScheduler();
          const source = new Subject<Reading | DeviceHeartbeat>();
          const events: { atMs: number; event: DeviceMonitorEvent }[] = [];
          source
            .pipe(
              monitorDevices({
                offlineAfterMs: DEFAULT_MS,
                checkEveryMs,
                scheduler: vts,
                offlineAfterMsOf: (id) => {
                  const spec = devices[Number(id.slice(1))];
                  return spec?.from === 'configured' ? spec.intervalMs : undefined;
                },
              }),
            )
            .subscribe((event) => events.push({ atMs: vts.now(), event }));
          for (const [i, h] of heard.entries()) {
            const id = `d${h.device}`;
            const input =
              devices[h.device]?.from === 'declared'
                ? declaring(id, devices[h.device]?.intervalMs ?? 1)
                : reading(id, i + 1);
            vts.schedule(() => source.next(input), h.atMs);
          }
          vts.flush();

          for (let d = 0; d < devices.length; d++) {
            const intervalMs = intervalOf(d);
            const times = heard.filter((h) => h.device === d).map((h) => h.atMs);
            const mine = events.filter(
              (e) => e.event.health.deviceId === `d${d}` && e.event.type !== 'heartbeat',
            );
            // offline and online alternate, starting with offline
            mine.forEach((e, i) => {
              expect(e.event.type).toBe(i % 2 === 0 ? 'offline' : 'online');
            });
            for (const { atMs, event } of mine) {
              if (event.type !== 'offline') continue;
              const { lastSeen } = event.health;
              expect(event.health.offlineAfterMs).toBe(intervalMs);
              // never sooner than its interval, never later than its interval + checkEveryMs
              expect(atMs - lastSeen).toBeGreaterThanOrEqual(intervalMs);
              expect(atMs - lastSeen).toBeLessThanOrEqual(intervalMs + checkEveryMs);
              // and it was really silent since lastSeen (a hearing at the same ms may come either side)
              expect(times.some((t) => t > lastSeen && t < atMs)).toBe(false);
            }
            // every silence of more than interval + checkEveryMs (and the final one) raised one alert
            const gaps = times.map((t, i) => [t, times[i + 1] ?? Number.POSITIVE_INFINITY] as const);
            for (const [from, to] of gaps) {
              if (to - from <= intervalMs + checkEveryMs) continue;
              const alerts = mine.filter(
                (e) => e.event.type === 'offline' && e.event.health.lastSeen === from,
              );
              expect(alerts).toHaveLength(1);
              if (checkEveryMs === 1) expect(alerts[0]?.atMs).toBe(from + intervalMs);
            }
            const offlines = mine.filter((e) => e.event.type === 'offline').length;
            expect(offlines).toBeLessThanOrEqual(new Set(times).size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
