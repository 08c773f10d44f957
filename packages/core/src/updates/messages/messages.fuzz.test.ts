/**
 * Fuzzing the signed update messages: the device's update-command verifier and the platform's
 * update-report verifier get signed messages mutated (any member deleted, retyped, swapped,
 * stringified, grown; the signature changed), random JSON and deep nesting. Each input is accepted
 * or refused with an `UpdateRejectedError`; nothing changed is accepted, and a refusal never moves
 * the replay state (fresh verifiers per input keep the inputs independent).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonInputs } from '../../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout } from '../../../../../test/fuzz/fuzz.js';
import { canonicalJson } from '../../encoding/canonical-json.js';
import { createIdentity } from '../../security/identity.js';
import { createFakeClock } from '../../time/fake-clock.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import {
  createUpdateCommandVerifier,
  createUpdateReportVerifier,
  signUpdateCommand,
  signUpdateReport,
} from './index.js';

const T0 = Date.UTC(2026, 2, 1, 8);
const platform = createIdentity({
  id: 'platform',
  kind: 'service',
  signingSecretKey: new Uint8Array(32).fill(1),
});
const po12 = createIdentity({ id: 'po-12', kind: 'device', signingSecretKey: new Uint8Array(32).fill(2) });
const issuerKey = (kid: string) => (kid === platform.keyId ? platform.signing.publicKey : undefined);
const deviceKey = (id: string) => (id === 'po-12' ? po12.signing.publicKey : undefined);
const signerOf = (id: ReturnType<typeof createIdentity>) => ({
  keyId: id.keyId,
  secretKey: id.signing.secretKey,
});
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const COMMANDS = [
  signUpdateCommand(
    {
      campaignId: 'c-7',
      deviceId: 'po-12',
      targetPath: 'po-200/rev-a/2.4.1.bin',
      version: '2.4.1',
      urgent: false,
      issuedAt: T0,
      expiresAt: T0 + 3_600_000,
      sequence: 4,
      nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
    },
    signerOf(platform),
  ),
  signUpdateCommand(
    {
      campaignId: 'c-8',
      deviceId: 'po-12',
      targetPath: 'po-200/rev-a/2.5.0.bin',
      version: '2.5.0',
      urgent: true,
      issuedAt: T0 - 1,
      expiresAt: T0 + 1,
      sequence: 1,
      nonce: 'BBBBBBBBBBBBBBBBBBBBBB',
    },
    signerOf(platform),
  ),
].map(wire);
const REPORTS = [
  signUpdateReport(
    {
      campaignId: 'c-7',
      deviceId: 'po-12',
      state: 'updated',
      detail: 'running 2.4.1',
      at: T0,
      counter: 31,
      version: '2.4.1',
    },
    signerOf(po12),
  ),
  signUpdateReport(
    {
      campaignId: 'c-7',
      deviceId: 'po-12',
      state: 'failed',
      detail: 'digest',
      at: T0 - 1000,
      counter: 1,
      reason: 'digest',
    },
    signerOf(po12),
  ),
].map(wire);

const isRejection = (e: unknown): string | undefined =>
  e instanceof UpdateRejectedError && e.code === 'update/rejected' && e.message.length > 0
    ? `UpdateRejectedError ${e.reason}`
    : undefined;

/** True when `value` is one of `genuine` but for JSON member order. */
const isGenuine = (genuine: readonly unknown[], value: unknown): boolean =>
  genuine.some((g) => canonicalJson(g as never) === canonicalJson(value as never));

describe('signed update message fuzzing', () => {
  it(
    'update-command verifier: a genuine command or an UpdateRejectedError, replay state moved only on acceptance',
    () => {
      const r = fuzz({
        name: 'update command verifier (JSON)',
        inputs: jsonInputs(COMMANDS),
        typed: isRejection,
        run: (input) => {
          const verifier = createUpdateCommandVerifier({
            deviceId: 'po-12',
            issuerKey,
            clock: createFakeClock(T0),
          });
          let command: unknown;
          try {
            command = verifier.verify(input);
          } catch (e) {
            if (verifier.lastSequence !== 0) throw new Error('a refused command moved the replay state');
            throw e;
          }
          if (!isGenuine(COMMANDS, command))
            throw new Error(`accepted a changed command: ${JSON.stringify(command)}`);
          return 'accepted';
        },
      });
      expect(r.outcomes.accepted).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(3_000),
  );

  it(
    'update-report verifier: a genuine report or an UpdateRejectedError',
    () => {
      const r = fuzz({
        name: 'update report verifier (JSON)',
        inputs: fc.record({ input: jsonInputs(REPORTS), vouched: fc.boolean() }),
        typed: isRejection,
        run: ({ input, vouched }) => {
          const verifier = createUpdateReportVerifier({ deviceKey, clock: createFakeClock(T0) });
          let report: unknown;
          try {
            report = verifier.verify(input, vouched ? { deviceId: 'po-12' } : {});
          } catch (e) {
            if (verifier.devices !== 0) throw new Error('a refused report moved the replay state');
            throw e;
          }
          if (!isGenuine(REPORTS, report))
            throw new Error(`accepted a changed report: ${JSON.stringify(report)}`);
          return 'accepted';
        },
      });
      expect(r.outcomes.accepted).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(3_000),
  );
});
