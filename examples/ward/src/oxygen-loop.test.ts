import { Alert } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { OXYGEN_DEMO_CONCENTRATOR, runOxygenLoopDemo } from './oxygen-loop.js';

/** The first time SpO2 has stayed below 88 % for 30 s, and when that dip began. */
function firstSustainedDip(spo2: readonly { ts: number; value: number }[]): { start: number; at: number } {
  let start: number | undefined;
  for (const p of spo2) {
    if (p.value >= 88) start = undefined;
    else {
      start ??= p.ts;
      if (p.ts - start >= 30_000) return { start, at: p.ts };
    }
  }
  throw new Error('SpO2 never stayed below 88 % for 30 s');
}

describe('runOxygenLoopDemo: the local SpO2 → oxygen loop on a simulated hypoxic patient', () => {
  it('commands oxygen 30 s into a sustained dip, the concentrator delivers it, SpO2 recovers, the loop steps down', () => {
    const run = runOxygenLoopDemo({ seed: 3 });
    expect(Math.min(...run.spo2.map((p) => p.value))).toBeLessThan(88);

    const dip = firstSustainedDip(run.spo2);
    const [first, ...later] = run.commands;
    expect(first).toMatchObject({
      deviceId: OXYGEN_DEMO_CONCENTRATOR,
      action: 'oxygen.set-flow',
      params: { flowLpm: 2 },
      issuedBy: 'rule:spo2-oxygen',
      issuedAt: dip.at,
    });
    expect(dip.at - dip.start).toBe(30_000);
    expect(first?.causedBy).toHaveLength(7); // the readings of the 30 s episode, every 5 s
    expect(run.statuses.filter((s) => s.commandId === first?.id).map((s) => s.state)).toEqual([
      'accepted',
      'running',
      'completed',
    ]);
    expect(run.flow).toContainEqual({ ts: dip.at, flowLpm: 2 });

    const recovered = run.spo2.find((p) => p.ts > dip.at && p.value >= 92);
    expect(recovered).toBeDefined();
    const stepDown = later.find((c) => c.params.flowLpm === 1);
    expect(stepDown).toBeDefined();
    const before = run.spo2.filter(
      (p) => p.ts >= (stepDown?.issuedAt ?? 0) - 60_000 && p.ts <= (stepDown?.issuedAt ?? 0),
    );
    expect(before.length).toBeGreaterThanOrEqual(12);
    expect(before.every((p) => p.value >= 92)).toBe(true);
    expect(run.statuses.find((s) => s.commandId === stepDown?.id && s.state === 'completed')).toBeDefined();

    expect(run.alerts).toEqual([]);
    // Every command the loop sent completed; every change stayed within 0–6 L/min.
    const settled = run.events.filter((e) => e.type === 'command-settled');
    expect(settled.map((e) => e.outcome)).toEqual(run.commands.map(() => 'completed'));
    expect(
      run.commands.every((c) => (c.params.flowLpm as number) >= 0 && (c.params.flowLpm as number) <= 6),
    ).toBe(true);
  });

  it('raises an alert when the concentrator has a fault and refuses the command', () => {
    const run = runOxygenLoopDemo({ seed: 3, durationMs: 20 * 60_000, fault: { atMs: 0, fault: 'no-flow' } });
    const dip = firstSustainedDip(run.spo2);
    const [first] = run.commands;
    expect(first).toMatchObject({ params: { flowLpm: 2 }, issuedAt: dip.at });
    expect(run.statuses.find((s) => s.commandId === first?.id)).toMatchObject({ state: 'rejected' });

    const [alert] = run.alerts;
    expect(Alert.parse(alert)).toMatchObject({
      id: `${first?.id}:rejected`,
      rule: 'rule:spo2-oxygen',
      severity: 'high',
      patientId: 'patient-001',
      deviceId: OXYGEN_DEMO_CONCENTRATOR,
      ts: dip.at,
      readingIds: first?.causedBy,
    });
    expect(alert?.message).toMatch(
      /oxygen\.set-flow flowLpm=2 to o2-001 for patient-001 was rejected: fault "no-flow"/,
    );
    // Each retry (after retryAfterMs) is refused and alerted again; no oxygen is ever delivered.
    expect(run.alerts).toHaveLength(run.commands.length);
    expect(run.flow.every((f) => f.flowLpm === 0)).toBe(true);
  });
});
