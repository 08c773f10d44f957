import { describe, expect, it } from 'vitest';
import { type LoopProgress, type LoopResult, RUN_START_TS, runEdgeAiLoop } from './loop.js';

const HOUR_MS = 3_600_000;

/**
 * The whole loop on a small ward (40 patients, 14 h, the shift at 4 h): every step must happen and
 * the numbers must move the right way. About 10 s.
 */
describe('the edge-AI loop end to end', () => {
  let result: LoopResult;
  const progress: LoopProgress[] = [];

  it('runs: train → deploy → monitor → shift → alarm → retrain → approve → redeploy → recover', async () => {
    result = await runEdgeAiLoop({
      seed: 7,
      patients: 40,
      hours: 14,
      shiftAtHours: 4,
      historyPatients: 80,
      historyHours: 24,
      tamper: true,
      onProgress: (p) => progress.push(p),
    });
    const [before, after, retrained] = result.phases;
    // Accuracy: high on the population the model was trained for, lower after the shift, recovered after the retrain.
    expect(before?.auroc).toBeGreaterThan(0.9);
    expect(after?.auroc).toBeLessThan((before?.auroc as number) - 0.15);
    expect(retrained?.auroc).toBeGreaterThan((after?.auroc as number) + 0.1);
    expect(retrained?.versions).toEqual(['1.1.0']);
    expect(after?.positives).toBeGreaterThan(100);
    expect(retrained?.positives).toBeGreaterThan(50);
  }, 180_000);

  it('detected the shift at the edge and asked the platform to retrain', () => {
    const shiftTs = RUN_START_TS + 4 * HOUR_MS;
    const alarm = result.alarms.find((a) => a.raised && a.ts >= shiftTs);
    expect(alarm?.version).toBe('1.0.0');
    expect(alarm?.ts).toBeLessThan(shiftTs + 3 * HOUR_MS);
    const kinds = new Set(
      result.alarms.filter((a) => a.raised && a.ts >= shiftTs && a.version === '1.0.0').map((a) => a.kind),
    );
    expect(kinds).toEqual(new Set(['input-drift', 'accuracy']));
    const request = result.requests.find((r) => r.ts >= shiftTs);
    expect(request).toMatchObject({
      modelId: 'deterioration-risk',
      version: '1.0.0',
      gatewayId: 'gw-ward-7',
    });
  });

  it('promoted a candidate only after it beat the current model on the same held-out patients, and recorded model.approve', () => {
    const promoted = result.retrains.filter((r) => r.outcome.type === 'promoted');
    expect(promoted).toHaveLength(1);
    const outcome = promoted[0]?.outcome;
    if (outcome?.type !== 'promoted') throw new Error('no promotion');
    const { current, candidate } = outcome.evaluation;
    expect(current.evaluation.n).toBe(candidate.evaluation.n);
    expect(candidate.evaluation.auroc).toBeGreaterThan(current.evaluation.auroc + 0.02);
    expect(candidate.evaluation.brier).toBeLessThanOrEqual(current.evaluation.brier);
    // Retrain attempts without enough fresh data waited instead of training on too little.
    expect(result.retrains.some((r) => r.outcome.type === 'insufficient-data')).toBe(true);
    expect(result.ledger).toMatchObject({ verified: true, approvals: ['1.0.0', '1.1.0'] });
  });

  it('redeployed through the verifier: a tampered copy was refused, the signed one ran in shadow, then was promoted', () => {
    const events = result.deployment.map(
      (e) => `${e.type}${'version' in e && e.version !== undefined ? ` ${e.version}` : ''}`,
    );
    const refused = events.indexOf('refused 1.1.0');
    expect(refused).toBeGreaterThan(-1);
    expect(result.deployment[refused]).toMatchObject({
      error: { subject: 'artifact', reason: 'digest-mismatch' },
    });
    expect(events.slice(refused)).toEqual(
      expect.arrayContaining(['verified 1.1.0', 'loaded 1.1.0', 'promoted 1.1.0']),
    );
    expect(events.indexOf('loaded 1.1.0')).toBeLessThan(events.indexOf('promoted 1.1.0'));
    expect(result.deployment.find((e) => e.type === 'promoted' && e.version === '1.1.0')).toMatchObject({
      trigger: 'auto',
      previous: '1.0.0',
    });
    // The first model went through shadow too.
    expect(events.slice(0, 3)).toEqual(['verified 1.0.0', 'loaded 1.0.0', 'promoted 1.0.0']);
    expect(result.finalVersion).toBe('1.1.0');
    expect(progress.some((p) => p.type === 'shift')).toBe(true);
  });
});
