import { EpochMs } from '@healthit/core';
import { z } from 'zod';
import { Digest, Id, Origin, SignatureHex, StreamId } from './fields.js';
import { EntryBodies, type EntryBody, type EntryKind } from './kinds.js';

/** The `prev` of a stream's first entry (`seq` 0): 64 zeros. */
export const ZERO_HASH = '0'.repeat(64);

/**
 * The largest encoded entry, in bytes (64 KiB). Larger entries are refused by `encodeEntry` and,
 * before any parsing, by `decodeEntry`. Bulk data belongs off the ledger behind a digest.
 */
export const MAX_ENTRY_BYTES = 65_536;

/** The most signatures one entry may carry. */
export const MAX_SIGNATURES = 16;

/** One signature of an entry: the signer's key id and its Ed25519 signature, lowercase hex. */
export const EntrySignature = z.strictObject({ keyId: Id, sig: SignatureHex });
export type EntrySignature = z.infer<typeof EntrySignature>;

const Seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

function entrySchema<K extends EntryKind>(kind: K) {
  return z.strictObject({
    /** The log the entry is for (its checkpoint origin). */
    origin: Origin,
    kind: z.literal(kind),
    /** `device:<id>`, `shipment:<id>` or `lot:<id>`. */
    stream: StreamId,
    /** Position in the stream: 0, 1, 2 ... without gaps. */
    seq: Seq,
    /** `entryHash` of the stream's previous entry; {@link ZERO_HASH} for `seq` 0. */
    prev: Digest,
    /** When the producer made the entry (epoch ms, the producer's claim). */
    ts: EpochMs,
    body: EntryBodies[kind],
    signatures: z.array(EntrySignature).max(MAX_SIGNATURES),
  });
}

function compareSignatures(a: EntrySignature, b: EntrySignature): number {
  if (a.keyId !== b.keyId) return a.keyId < b.keyId ? -1 : 1;
  return a.sig < b.sig ? -1 : a.sig > b.sig ? 1 : 0;
}

/**
 * zod schema of an {@link Entry}: exactly its eight members, a known `kind` whose body matches
 * that kind's schema, `prev` = {@link ZERO_HASH} for `seq` 0, signatures sorted by key id then
 * signature (so one signed entry has one encoding). Unknown kinds and members are rejected.
 * Parsing returns a fresh copy.
 */
export const Entry = z
  .discriminatedUnion('kind', [
    entrySchema('reading.batch'),
    entrySchema('custody.transfer'),
    entrySchema('config.change'),
    entrySchema('firmware.authorize'),
    entrySchema('firmware.rollout.device-state'),
    entrySchema('firmware.rollout.campaign'),
    entrySchema('model.approve'),
    entrySchema('policy.update'),
    entrySchema('device.onboarded'),
    entrySchema('key.revoke'),
    entrySchema('device.decommissioned'),
    entrySchema('security.event'),
  ])
  .superRefine((entry, ctx) => {
    if (entry.seq === 0 && entry.prev !== ZERO_HASH) {
      ctx.addIssue({ code: 'custom', path: ['prev'], message: 'must be the zero hash for seq 0' });
    }
    for (let i = 1; i < entry.signatures.length; i++) {
      const previous = entry.signatures[i - 1] as EntrySignature;
      if (compareSignatures(previous, entry.signatures[i] as EntrySignature) > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['signatures', i],
          message: 'signatures must be sorted by keyId, then sig',
        });
      }
    }
  });

/** An entry of the given kind. */
export interface EntryOf<K extends EntryKind> {
  /** The log the entry is for: its checkpoint origin, e.g. `ledger.example.org/cold-chain`. */
  readonly origin: string;
  /** What the entry records, e.g. `reading.batch` or `firmware.authorize`; it fixes the schema of `body`. */
  readonly kind: K;
  /** The stream the entry is ordered in: `device:<id>`, `shipment:<id>` or `lot:<id>`. */
  readonly stream: string;
  /** Position in the stream: 0, 1, 2 ... without gaps. */
  readonly seq: number;
  /**
   * `entryHash` of the stream's previous entry (64 lowercase hex characters); {@link ZERO_HASH} for
   * `seq` 0.
   */
  readonly prev: string;
  /** When the producer made the entry, epoch ms (the producer's claim, not the log's). */
  readonly ts: number;
  /** The kind's body, matching that kind's schema. */
  readonly body: EntryBody<K>;
  /**
   * The submitters' Ed25519 signatures over the entry's signing message: at most 16, sorted by key
   * id then signature.
   */
  readonly signatures: readonly EntrySignature[];
}

/**
 * A typed ledger entry: log origin, kind, stream, per-stream `seq` and `prev`, producer time,
 * the kind's body, and the submitters' signatures over its signing message.
 */
export type Entry = { [K in EntryKind]: EntryOf<K> }[EntryKind];

/** An entry before signing (any `signatures` member is ignored by the signing message). */
export type UnsignedEntry = { [K in EntryKind]: Omit<EntryOf<K>, 'signatures'> }[EntryKind];

/** Sorts signatures into their canonical order (by key id, then signature). */
export function sortSignatures(signatures: readonly EntrySignature[]): EntrySignature[] {
  return [...signatures].sort(compareSignatures);
}
