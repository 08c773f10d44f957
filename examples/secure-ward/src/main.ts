#!/usr/bin/env node
/**
 * `npm run start:secure`: a small ward with every hop secured (see README.md). Needs `mosquitto`.
 */
import { parseArgs } from 'node:util';
import { runSecureWard } from './secure-ward.js';

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, got "${text}"`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    patients: { type: 'string' },
    duration: { type: 'string' },
    'period-ms': { type: 'string' },
    seed: { type: 'string' },
  },
});

const started = Date.now();
const summary = await runSecureWard({
  patients: positive('patients', values.patients, 2),
  durationMs: positive('duration', values.duration, 20) * 1000,
  periodMs: positive('period-ms', values['period-ms'], 1000),
  seed: positive('seed', values.seed, 7),
  log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`),
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

console.log('');
console.log(`devices                      ${summary.devices}`);
console.log(`certificates issued/revoked  ${summary.certificatesIssued} / ${summary.certificatesRevoked}`);
console.log(`renewed mid-stream           ${summary.renewed.join(', ')}`);
console.log(`readings published           ${summary.published}`);
console.log(`readings accepted            ${summary.accepted} (authenticated, opened, validated)`);
console.log(`readings lost                ${summary.lost}`);
console.log(`envelopes refused            ${JSON.stringify(summary.refused)}`);
console.log(
  `decommissioned               ${summary.decommissioned} (broker refuses its certificate: ${summary.decommissionedRefusedByBroker})`,
);
console.log(summary.ok ? '\nOK: every hop secured, nothing lost' : '\nFAILED: see above');
process.exit(summary.ok ? 0 : 1);
