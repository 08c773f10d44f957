/**
 * The actuator and the patient close the loop: a simulated oxygen concentrator's flow feeds the
 * simulated hypoxic patient's SpO2, in virtual time.
 */
import { type Command, deviceId } from '@healthit/core';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createOxygenConcentrator } from '../src/actuators/oxygen-concentrator.js';
import { oxygenDelivery } from '../src/actuators/oxygen-delivery.js';
import { createWardSimulator } from '../src/simulator/ward-simulator.js';

const MINUTE = 60_000;

function runHypoxic(withOxygen: boolean): { before: number; after: number; states: string[] } {
  const scheduler = new VirtualTimeScheduler(undefined, 3 * 3_600_000);
  const concentrator = createOxygenConcentrator({ deviceId: 'o2-001', scheduler });
  const ward = createWardSimulator({
    patients: 1,
    seed: 3,
    periodMs: MINUTE,
    startTs: 0,
    scheduler,
    scenarios: ['hypoxic'],
    scenarioTiming: { startAfterMs: 0, rampMs: 10 * MINUTE },
    oxygen$: concentrator.flow$.pipe(oxygenDelivery('patient-001')),
  });
  const spo2: { ts: number; value: number }[] = [];
  ward.readings$.subscribe((r) => {
    if (r.metric === 'spo2') spo2.push({ ts: r.ts, value: r.value });
  });
  const states: string[] = [];
  const command = (id: string, flowLpm: number, at: number): void => {
    scheduler.schedule(() => {
      const c: Command = {
        id,
        deviceId: deviceId('o2-001'),
        action: 'oxygen.set-flow',
        params: { flowLpm },
        issuedBy: 'test:clinician',
        issuedAt: at,
      };
      concentrator.execute(c).subscribe((s) => states.push(`${id}:${s.state}`));
    }, at);
  };
  if (withOxygen) {
    command('o2-a', 2, 30 * MINUTE);
    command('o2-b', 4, 32 * MINUTE);
  }
  scheduler.schedule(() => concentrator.close(), 90 * MINUTE);
  scheduler.flush();
  const mean = (from: number, to: number) => {
    const xs = spo2.filter((p) => p.ts > from && p.ts <= to).map((p) => p.value);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  return { before: mean(20 * MINUTE, 30 * MINUTE), after: mean(70 * MINUTE, 90 * MINUTE), states };
}

describe('oxygen concentrator → simulated patient', () => {
  it('SpO2 of a hypoxic patient recovers on oxygen from the concentrator', () => {
    const { before, after, states } = runHypoxic(true);
    expect(states).toContain('o2-a:completed');
    expect(states).toContain('o2-b:completed');
    expect(before).toBeLessThanOrEqual(91);
    expect(after).toBeGreaterThanOrEqual(before + 4);
  });

  it('without oxygen it does not', () => {
    const { before, after } = runHypoxic(false);
    expect(after).toBeLessThan(before + 2);
  });
});
