/**
 * A small witnessed transparency log with a sink, for the sink, provenance and CLI tests.
 * Deterministic keys (seed bytes all `n`); memory storage; batches written and checkpoints
 * published without waiting.
 */
import type { Reading } from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import { ledgerKeyFromSeed } from '../../key.js';
import {
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createWitness,
  formatVerifierKey,
  type NoteSigner,
  SignatureTypes,
  type Witness,
} from '../../note/index.js';
import { createTransparencyLogSink, type TransparencyLogSink } from '../../sink/index.js';
import { createTransparencyLog, type TransparencyLog } from '../../tlog/index.js';

/** The test log's origin (also its key name). */
export const ORIGIN = 'ledger.example.org/ward';

/** A deterministic Ed25519 seed. */
export function seed(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

/** A log key: its signer and verifier key string. */
export function logKey(n: number, name = ORIGIN): { signer: NoteSigner; vkey: string } {
  const signer = createEd25519NoteSigner({ name, secretKey: seed(n) });
  return { signer, vkey: formatVerifierKey(name, signer.publicKey) };
}

/** A submitter key for entries. */
export function submitter(n: number, keyId = `gateway-${n}.key`) {
  const key = ledgerKeyFromSeed(seed(n));
  return { keyId, secretKey: key.secretKey, publicKey: key.publicKey };
}

/** What {@link createStack} returns. */
export interface Stack {
  readonly log: TransparencyLog;
  readonly sink: TransparencyLogSink;
  readonly logVkey: string;
  readonly logSigner: NoteSigner;
  readonly witnesses: readonly Witness[];
  /** The witnesses' cosignature verifier key strings. */
  readonly witnessVkeys: readonly string[];
  readonly gateway: ReturnType<typeof submitter>;
}

/** A log over memory storage with `witnessCount` witnesses and a sink signing as one gateway. */
export function createStack(
  options: { witnessCount?: number; origin?: string; logSeed?: number } = {},
): Stack {
  const origin = options.origin ?? ORIGIN;
  const { signer: logSigner, vkey: logVkey } = logKey(options.logSeed ?? 40, origin);
  const witnesses = Array.from({ length: options.witnessCount ?? 1 }, (_, i) =>
    createWitness({
      key: { name: `witness.example/w${i + 1}`, secretKey: seed(50 + i) },
      log: createEd25519NoteVerifier(logSigner),
    }),
  );
  const witnessVkeys = witnesses.map((w) =>
    formatVerifierKey(w.name, w.verifier.publicKey, SignatureTypes.cosignatureV1),
  );
  const gateway = submitter(7);
  const log = createTransparencyLog({
    origin,
    signer: logSigner,
    keys: new Map([[gateway.keyId, gateway.publicKey]]),
    witnesses,
    batch: { maxEntries: 64, maxWaitMs: 0 },
    checkpointEveryMs: 0,
  });
  const sink = createTransparencyLogSink({ log, logKey: logVkey, signers: [gateway] });
  return { log, sink, logVkey, logSigner, witnesses, witnessVkeys, gateway };
}

/** `n` heart-rate readings of one device and patient, `seq` from `from`. */
export function readings(
  n: number,
  options: { device?: string; from?: number; patient?: string | null } = {},
): Reading[] {
  const deviceId = (options.device ?? 'mon-7') as Reading['deviceId'];
  return Array.from({ length: n }, (_, i) => {
    const r = sampleReading((options.from ?? 1) + i, { deviceId });
    if (options.patient === null) {
      const { patientId: _p, ...rest } = r;
      return rest as Reading;
    }
    return { ...r, patientId: (options.patient ?? 'patient-42') as Reading['patientId'] & string };
  });
}
