import { randomBytes } from 'node:crypto';
import type { Reading } from '@healthit/core';
import {
  anchorReadingsByDevice,
  buildProvenanceBundle,
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createTransparencyLog,
  createTransparencyLogSink,
  createWitness,
  entries,
  formatVerifierKey,
  ledgerKeyFromSeed,
  logIdOf,
  type ProvenanceBundle,
  policy,
  SignatureTypes,
  verifyInclusion,
  verifyLog,
  verifyProvenanceBundle,
} from '@healthit/ledger';
import type { LedgerStatus, ProvenanceView } from '@healthit/platform/dashboard';

/** The ward's log origin (also the log key's name). */
export const WARD_LOG_ORIGIN = 'ledger.example.org/ward';

/** What {@link WardLedger.verify} found. */
export interface WardLedgerSummary {
  /** Hex SHA-256 of the log's public key. */
  readonly logId: string;
  /** Entries in the log (one `reading.batch` per device per stored batch). */
  readonly entries: number;
  /** The whole log re-checked by `verifyLog` against the final, witness-cosigned checkpoint. */
  readonly logVerified: boolean;
  /** Batches whose readings, re-read from the store, give the anchored Merkle root and whose entry is in the checkpoint. */
  readonly anchorsVerified: number;
  /** Batches anchored. */
  readonly anchors: number;
  /** One reading's provenance bundle (reading → batch → log → cosigned checkpoint), verified offline. */
  readonly provenance?: {
    readonly readingId: string;
    readonly verified: boolean;
    readonly bundle: ProvenanceBundle;
  };
}

/** The ward's permissioned transparency log, as the platform uses it. */
export interface WardLedger {
  /** Anchors stored readings: one signed `reading.batch` entry per device. Resolves with the entries appended. */
  anchor(readings: readonly Reading[]): Promise<number>;
  /** Publishes a final checkpoint and verifies the log, every anchor against `stored`, and one provenance bundle. */
  verify(stored: ReadonlyMap<string, Reading>): Promise<WardLedgerSummary>;
  /** The log's latest state, for the dashboard: size, latest checkpoint and its witnesses. */
  status(): LedgerStatus;
  /**
   * A stored reading's provenance bundle, built against the latest checkpoint (published now if the
   * latest does not cover the reading's entry yet) and verified from its JSON alone, as an auditor
   * would; `undefined` when the reading is not anchored (yet). `query` reads the batch back from
   * the store.
   */
  provenance(
    readingId: string,
    query: (q: { deviceId: string; from: number; to: number }) => Promise<readonly Reading[]>,
  ): Promise<ProvenanceView | undefined>;
  close(): Promise<void>;
}

/** Anchors remembered for verify-a-reading (policy when full: the oldest anchors are forgotten). */
export const MAX_REMEMBERED_ANCHORS = 200_000;

/** Origin, size and root hash of a C2SP checkpoint note (its first three lines). */
function checkpointBody(note: string): { origin: string; size: number; rootHash: string } | undefined {
  const [origin, size, rootHash] = note.split('\n');
  if (origin === undefined || size === undefined || rootHash === undefined) return undefined;
  return { origin, size: Number(size), rootHash };
}

/** The names on a signed note's signature lines (`— name sig`). */
function signers(note: string): string[] {
  const sigs = note.split('\n\n')[1] ?? '';
  return sigs
    .split('\n')
    .map((line) => /^\u2014 (\S+) /.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

interface Anchor {
  readonly index: number;
  readonly deviceId: string;
  readonly fromTs: number;
  readonly toTs: number;
  readonly readingIds: readonly string[];
  readonly body: entries.ReadingBatchBody;
  readonly patientSalt?: string;
}

/**
 * A witnessed transparency log for the ward, with a membership policy: the hospital's gateway key
 * may write `reading.batch` entries (nothing else), one witness must cosign every checkpoint.
 * Reading leaves are salted (`leafKey`). Keys are fresh per run.
 */
export function createWardLedger(options: { readonly checkpointEveryMs?: number } = {}): WardLedger {
  const logSigner = createEd25519NoteSigner({ name: WARD_LOG_ORIGIN, secretKey: randomBytes(32) });
  const logVkey = formatVerifierKey(WARD_LOG_ORIGIN, logSigner.publicKey);
  const witness = createWitness({
    key: { name: 'witness.example.org/ward', secretKey: randomBytes(32) },
    log: createEd25519NoteVerifier(logSigner),
  });
  const witnessVkey = formatVerifierKey(
    witness.name,
    witness.verifier.publicKey,
    SignatureTypes.cosignatureV1,
  );
  const gatewayKey = ledgerKeyFromSeed(randomBytes(32));
  // Salts every reading's Merkle leaf (vital signs of patients): a provenance bundle's sibling
  // hashes then reveal nothing about the neighbouring readings. The platform keeps it, off the log.
  const leafKey = entries.generateLeafKey();
  const adminKey = ledgerKeyFromSeed(randomBytes(32));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const from = Date.now() - 86_400_000;
  const membership = policy.parseMembershipPolicy({
    policyId: 'ward-demo',
    version: 1,
    organisations: [
      {
        id: 'st-mary',
        name: 'St Mary Hospital',
        keys: [
          { id: 'ward-gateway', publicKey: hex(gatewayKey.publicKey), roles: ['hospital.gateway'], from },
          { id: 'ward-admin', publicKey: hex(adminKey.publicKey), roles: ['hospital.admin'], from },
        ],
      },
    ],
    endorsement: { 'reading.batch': { role: 'hospital.gateway' } },
    witnesses: { keys: [{ name: witness.name, vkey: witnessVkey }], k: 1 },
    admin: { role: 'hospital.admin' },
  });
  const log = createTransparencyLog({
    origin: WARD_LOG_ORIGIN,
    signer: logSigner,
    policy: membership,
    witnesses: [witness],
    batch: { maxEntries: 256, maxWaitMs: 20 },
    checkpointEveryMs: options.checkpointEveryMs ?? 1_000,
  });
  const sink = createTransparencyLogSink({
    log,
    logKey: logVkey,
    signers: [{ keyId: 'ward-gateway', secretKey: gatewayKey.secretKey }],
  });
  const anchors: Anchor[] = [];
  /** Reading id → its anchor (bounded with the anchors, see {@link MAX_REMEMBERED_ANCHORS}). */
  const anchorOf = new Map<string, Anchor>();
  let forgotten = 0;

  return {
    async anchor(readings) {
      // One entry per device, all in one sink call (one log batch).
      const anchored = await anchorReadingsByDevice(sink, readings, { leafKey });
      for (const { receipt, readings: sorted, body, patient } of anchored) {
        const anchor: Anchor = {
          index: receipt.index,
          deviceId: sorted[0]?.deviceId ?? '',
          fromTs: Math.min(...sorted.map((r) => r.ts)),
          toTs: Math.max(...sorted.map((r) => r.ts)),
          readingIds: sorted.map((r) => r.id),
          body,
          ...(patient === undefined ? {} : { patientSalt: patient.salt }),
        };
        anchors.push(anchor);
        for (const id of anchor.readingIds) anchorOf.set(id, anchor);
        if (anchorOf.size > MAX_REMEMBERED_ANCHORS * 8) {
          // Forget the oldest anchors' readings for verify-a-reading (the log keeps them all).
          const old = anchors[forgotten];
          forgotten += 1;
          for (const id of old?.readingIds ?? []) anchorOf.delete(id);
        }
      }
      return anchored.length;
    },

    async verify(stored) {
      const note = await log.publishCheckpoint();
      const size = log.size;
      let logVerified = true;
      try {
        verifyLog({
          policy: membership,
          entries: Array.from({ length: size }, (_, i) => log.entry(i).bytes),
          checkpoint: note,
          logKey: logVkey,
        });
      } catch {
        logVerified = false;
      }
      let anchorsVerified = 0;
      for (const a of anchors) {
        const batch = a.readingIds.map((id) => stored.get(id)).filter((r): r is Reading => r !== undefined);
        const logged = log.entry(a.index);
        if (
          batch.length === a.readingIds.length &&
          entries.verifyReadingBatchBody(batch, logged.entry.body, a.patientSalt, leafKey) &&
          verifyInclusion(logged.leafHash, a.index, size, log.inclusionProof(a.index, size), log.root(size))
        ) {
          anchorsVerified += 1;
        }
      }
      const sample = anchors[Math.floor(anchors.length / 2)];
      const batch = sample?.readingIds
        .map((id) => stored.get(id))
        .filter((r): r is Reading => r !== undefined);
      const reading = batch?.[Math.floor(batch.length / 2)];
      let provenance: WardLedgerSummary['provenance'];
      if (sample !== undefined && batch !== undefined && reading !== undefined) {
        const bundle = buildProvenanceBundle({
          reading,
          batchReadings: batch,
          log,
          index: sample.index,
          checkpointNote: note,
          leafKey,
        });
        // As an auditor would: the JSON alone, the log key and the witness key.
        const verdict = verifyProvenanceBundle(JSON.parse(JSON.stringify(bundle)), {
          logKey: logVkey,
          witnesses: [witnessVkey],
          witnessThreshold: 1,
        });
        provenance = { readingId: reading.id, verified: verdict.ok, bundle };
      }
      return {
        logId: logIdOf(logSigner.publicKey),
        entries: size,
        logVerified,
        anchorsVerified,
        anchors: anchors.length,
        ...(provenance === undefined ? {} : { provenance }),
      };
    },

    status() {
      const note = log.checkpoint();
      const body = note === undefined ? undefined : checkpointBody(note);
      const cosigned = note === undefined ? [] : signers(note);
      return {
        origin: WARD_LOG_ORIGIN,
        logId: logIdOf(logSigner.publicKey),
        size: log.size,
        ...(note === undefined ? {} : { checkpoint: note }),
        ...(body === undefined ? {} : { checkpointSize: body.size, rootHash: body.rootHash }),
        witnesses: [{ name: witness.name, cosigned: cosigned.includes(witness.name) }],
        anchors: anchors.length,
      };
    },

    async provenance(readingId, query) {
      const anchor = anchorOf.get(readingId);
      if (anchor === undefined) return undefined;
      const found = await query({ deviceId: anchor.deviceId, from: anchor.fromTs, to: anchor.toTs + 1 });
      const ids = new Set(anchor.readingIds);
      const batch = found.filter((r) => ids.has(r.id));
      const reading = batch.find((r) => r.id === readingId);
      if (reading === undefined) return undefined;
      let note = log.checkpoint();
      if (note === undefined || (checkpointBody(note)?.size ?? 0) <= anchor.index)
        note = await log.publishCheckpoint();
      const bundle = buildProvenanceBundle({
        reading,
        batchReadings: batch,
        log,
        index: anchor.index,
        checkpointNote: note,
        leafKey,
      });
      const json = JSON.parse(JSON.stringify(bundle)) as unknown;
      const verdict = verifyProvenanceBundle(json, {
        logKey: logVkey,
        witnesses: [witnessVkey],
        witnessThreshold: 1,
      });
      return verdict.ok
        ? {
            readingId,
            ok: true,
            steps: verdict.steps,
            checkpoint: verdict.checkpoint,
            witnesses: verdict.witnesses,
            bundle: json,
          }
        : {
            readingId,
            ok: false,
            failedStep: verdict.step,
            reason: verdict.reason,
            steps: verdict.steps,
            bundle: json,
          };
    },

    close: () => log.close(),
  };
}

/** True when the log verified, every anchor matched the store and the provenance bundle verified. */
export function ledgerVerified(s: WardLedgerSummary): boolean {
  return s.logVerified && s.anchors > 0 && s.anchorsVerified === s.anchors && s.provenance?.verified === true;
}
