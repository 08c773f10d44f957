import { describe, expect, it } from 'vitest';
import { runExample } from '../../../test/support/run-example.js';
import { DEMO_DEVICE, DEMO_PATIENT, runCustomAdapterPipeline } from './pipeline.js';

describe('the custom-adapter pipeline over real TCP', () => {
  it('readings flow from the oximeter line to the gateway, the SpO2 rule fires once, refusals are events', async () => {
    const { readings, alerts, events } = await runCustomAdapterPipeline();
    // 12 lines: the first (pulse search) and the last (sensor off) make no readings.
    expect(readings).toHaveLength(20);
    expect(readings.every((r) => r.deviceId === DEMO_DEVICE && r.patientId === DEMO_PATIENT)).toBe(true);
    expect(readings.filter((r) => r.metric === 'spo2').map((r) => r.value)).toEqual([
      97, 96, 94, 91, 88, 86, 87, 90, 93, 95,
    ]);
    expect(readings.filter((r) => r.quality === 'questionable').map((r) => r.value)).toEqual([86, 101]);
    // seq strictly increasing, ts from the oximeter's clock (UTC offset 0)
    const seqs = readings.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Date(readings[0]?.ts ?? 0).toISOString()).toBe('2026-03-02T08:00:01.000Z');

    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'threshold:spo2-below-90',
      metric: 'spo2',
      value: 88,
      patientId: 'P-1',
    });

    const types = events.map((e) => (e.type === 'decoder-notice' ? `notice:${e.notice.type}` : e.type));
    expect(types).toEqual([
      'notice:no-value',
      'notice:sensor-fault',
      'reading-duplicate',
      'reading-duplicate',
      'message-rejected',
    ]);
  });

  it('the command prints the readings, the alert, the refusals and a summary, and exits 0', async () => {
    const { code, stdout, stderr } = await runExample('examples/custom-adapter/src/main.ts', []);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('ALERT    high');
    expect(stdout).toMatch(/readings 20 \(spo2 10, pulse-rate 10\)/);
    expect(stdout).toMatch(/notices {2}2, duplicates 2, refused messages 1/);
    expect(stdout).toContain('second must be two digits');
  });
});
