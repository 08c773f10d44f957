import { describe, expect, it } from 'vitest';
import { runExample } from '../../../test/support/run-example.js';
import { parseArgs, UsageError } from './cli-args.js';
import { runOtaSimulation } from './simulation.js';

const MAIN = 'examples/ota-rollout/src/main.ts';

/** Runs the command from source, as `node examples/ota-rollout/dist/main.js` runs it from dist. */
const run = (args: readonly string[]) => runExample(MAIN, args);

describe('healthit-ota-rollout', () => {
  it('wave 2 hits the faulty image: rev-b devices roll back, the campaign aborts itself, the fleet is consistent', async () => {
    const s = await runOtaSimulation({ devices: 60, seed: 1 });
    expect(s.inconsistencies).toEqual([]);
    expect(s.consistent).toBe(true);
    expect(s.campaign).toMatchObject({ phase: 'aborted', wave: 2, population: 60 });
    expect(s.campaign.reason).toMatch(/failure rate: \d+ of \d+ devices of wave 2/);
    const [w1, w2, w3, w4] = s.campaign.waves;
    expect(w1).toMatchObject({ planned: 1, assigned: 1, updated: 1, failed: 0 });
    expect(w2?.failed).toBeGreaterThan(0);
    expect([w3?.assigned, w4?.assigned]).toEqual([0, 0]); // nothing assigned after the abort
    // Only rev-b devices rolled back (the faulty driver); every one runs the old image again.
    expect(Object.keys(s.rolledBack.byHardware)).toEqual(['po-200.rev-b']);
    expect(s.counts['rolled-back']).toBe(s.rolledBack.byHardware['po-200.rev-b']);
    expect(s.running['2.5.0']).toBe(s.counts.updated);
    expect((s.running['2.4.0'] ?? 0) + (s.running['2.5.0'] ?? 0)).toBe(60);
    // Signed commands and reports, all verified; the therapy guard held.
    expect(s.commands).toEqual({ signed: s.campaign.assigned, accepted: s.campaign.assigned, refused: 0 });
    expect(s.reports.refused).toBe(0);
    expect(s.therapy.assignedWhileInTherapy).toBe(0);
    // The release: both images authorised by the manufacturer and the hospital.
    for (const r of s.release) expect(r.endorsedBy).toEqual(['acme-release', 'mary-biomed']);
    // Each gateway downloaded each file at most once; the audit trail has every decision.
    for (const g of s.gateways) expect(g.upstreamImageFetches).toBe(g.imageFiles);
    expect(s.audit['firmware.rollout.campaign']).toBe(3); // created, wave-advanced, aborted
    // Every record is an entry of the platform's transparency log, under its signed checkpoint.
    const records = Object.values(s.audit).reduce((a, b) => a + b, 0);
    expect(s.auditLog).toEqual({ entries: records, checkpointSize: records });
  }, 60_000);

  it('a good release completes: every device updated, patients in therapy updated after discharge', async () => {
    const s = await runOtaSimulation({ devices: 40, seed: 3, fault: false });
    expect(s.inconsistencies).toEqual([]);
    expect(s.campaign).toMatchObject({ phase: 'completed', wave: 4, assigned: 40 });
    expect(s.counts).toEqual({ updated: 40 });
    expect(s.running).toEqual({ '2.5.0': 40 });
    expect(s.therapy.ended).toBe(s.therapy.devices);
  }, 60_000);

  it('runs from the command line, prints the summary as JSON, and exits 0', async () => {
    const { code, stdout, stderr } = await run(['--devices', '30', '--seed', '1', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as { consistent: boolean; devices: number };
    expect(summary).toMatchObject({ consistent: true, devices: 30 });
  }, 60_000);

  it('parses its options and refuses bad ones', () => {
    expect(parseArgs([])).toEqual({ devices: 200, seed: 1, fault: true, json: false, help: false });
    expect(parseArgs(['--devices', '50', '--seed', '9', '--no-fault', '--json'])).toMatchObject({
      devices: 50,
      seed: 9,
      fault: false,
      json: true,
    });
    expect(() => parseArgs(['--devices', '5'])).toThrow(UsageError);
    expect(() => parseArgs(['--seed'])).toThrow(UsageError);
    expect(() => parseArgs(['--frobnicate'])).toThrow(UsageError);
  });
});
