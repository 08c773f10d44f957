/**
 * The platform's audit log: the rollout engine's `firmware.rollout.*` records appended, signed by
 * the platform, to a transparency log of their own (the release log is governed by the consortium's
 * membership policy; the audit trail is the platform's), each provable against a signed checkpoint.
 */
import {
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createTransparencyLog,
  createTransparencyLogSink,
  formatVerifierKey,
  ledgerKeyFromSeed,
  type TransparencyLog,
  type TransparencyLogSink,
  verifyCheckpoint,
} from '@healthit/ledger';
import { type Rng, seedBytes } from './rng.js';

const AUDIT_ORIGIN = 'audit.healthit.example/ota-rollouts';

/** The audit log and the sink the rollout engine writes through. */
export interface AuditLog {
  readonly log: TransparencyLog;
  readonly sink: TransparencyLogSink;
  /** Waits for a checkpoint covering every entry; its size, verified under the log's key. */
  checkpointSize(): Promise<number>;
  close(): Promise<void>;
}

/** Creates the platform's audit log with keys drawn from `rng`. */
export function createAuditLog(rng: Rng): AuditLog {
  const signer = createEd25519NoteSigner({ name: AUDIT_ORIGIN, secretKey: seedBytes(rng) });
  const key = ledgerKeyFromSeed(seedBytes(rng));
  const platform = { keyId: 'platform-rollouts.key', secretKey: key.secretKey, publicKey: key.publicKey };
  const log = createTransparencyLog({
    origin: AUDIT_ORIGIN,
    signer,
    keys: new Map([[platform.keyId, platform.publicKey]]),
    batch: { maxEntries: 256, maxWaitMs: 0 },
    checkpointEveryMs: 0,
  });
  const sink = createTransparencyLogSink({
    log,
    logKey: formatVerifierKey(AUDIT_ORIGIN, signer.publicKey),
    signers: [platform],
  });
  return {
    log,
    sink,
    async checkpointSize() {
      if (log.size === 0) return 0;
      const note = await log.awaitCheckpoint(log.size - 1);
      return verifyCheckpoint(note, createEd25519NoteVerifier(signer)).checkpoint.size;
    },
    close: () => log.close(),
  };
}
