/**
 * The scale-out launcher against the machine's real services (Mosquitto on 127.0.0.1:1883, NATS
 * JetStream on 127.0.0.1:4222, PostgreSQL on 127.0.0.1:5432 database `test`, or HEALTHIT_PG_URL):
 * four processes, a few patients for a few seconds, every reading checked end to end. In CI an
 * unreachable service fails the test; elsewhere it is skipped with a warning.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScaleOutSummary } from './launch.js';
import { checkServices } from './services.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const LAUNCH = join(import.meta.dirname, 'launch.ts');
const PG_URL = process.env.HEALTHIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const unavailable = await checkServices({
  mqttUrl: 'mqtt://127.0.0.1:1883',
  natsUrl: 'nats://127.0.0.1:4222',
  pgUrl: PG_URL,
}).then(
  () => undefined,
  (e: unknown) => (e as Error).message,
);
// In CI an unreachable service is a failure (the test runs and fails); elsewhere it is skipped.
const skip = unavailable !== undefined && !process.env.CI;
if (skip) console.warn(`Skipping the scale-out test: ${unavailable}`);

/** Runs the launcher's command line from source (tsx), as `npm run start:scale-out` runs it from dist. */
function launch(args: readonly string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@healthit/source', LAUNCH, ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples/scale-out launcher', () => {
  it.skipIf(skip)(
    'runs devices, gateway, platform and FHIR server as processes: every published reading stored once and exported',
    async () => {
      const { code, stdout, stderr } = await launch(['--duration', '4', '--patients', '3', '--json']);
      expect(code, stderr).toBe(0);
      const summary = JSON.parse(stdout) as ScaleOutSummary;
      const v = summary.verification;
      const { devices, gateway, platform } = summary.counters;

      // Devices → Mosquitto → gateway: every reading the broker acknowledged was accepted.
      expect(v.published).toBeGreaterThan(0);
      expect(devices.published).toBe(v.published);
      expect(devices.failed).toBe(0);
      expect(gateway.accepted).toBe(v.published);
      expect(gateway.rejected).toBe(0);
      // Gateway → JetStream: every outbox record acknowledged, none left behind.
      expect(gateway.pending).toBe(0);
      expect(gateway.acknowledged).toBe(gateway.appended);
      expect(gateway.ackedReadings).toBe(v.published);
      expect(gateway.news2).toBeGreaterThan(0);
      // JetStream → platform → PostgreSQL: exactly once.
      expect(platform.acknowledged).toBe(gateway.acknowledged);
      expect(platform.poison).toBe(0);
      expect(platform.stored).toBe(v.published);
      expect(v.storedRows).toBe(v.published);
      expect(v.lost).toBe(0);
      expect(v.storedDuplicates).toBe(0);
      expect(v.unexpected).toBe(0);
      // PostgreSQL → FHIR: every stored reading's Observation on the server, once.
      expect(v.readingsNotMapped).toBe(0);
      expect(v.observationsExpected).toBeGreaterThan(0);
      expect(v.observationsOnServer).toBe(v.observationsExpected);
      expect(v.observationsMissing).toBe(0);
      expect(v.observationDuplicates).toBe(0);
      expect(platform.exportFailed).toBe(0);
      expect(summary.ok).toBe(true);

      // Progress once a second on stderr, the run's names its own.
      expect(stderr).toMatch(/t =\s+\d+ s\s+published\s+\d+ \(\s*\d+\/s\)\s+acked at gateway/);
      expect(summary.names.schema).toMatch(/^so_\d+_[a-z0-9]+$/);
      expect(summary.names.topicPrefix).toBe(`scale-out/${summary.runId}`);
    },
    120_000,
  );

  it('says what to do when a service is not reachable, and exits 2', async () => {
    const { code, stderr } = await launch(['--duration', '1', '--mqtt-url', 'mqtt://127.0.0.1:9']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /Mosquitto is not reachable at mqtt:\/\/127\.0\.0\.1:9 .*start it with `mosquitto/,
    );
  }, 60_000);
});
