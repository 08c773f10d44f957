/**
 * Test fixtures for the policy-enforcing log and its verifier: a four-organisation consortium
 * policy, its signing keys, a successor version, and a writer that builds signed, correctly
 * chained entries. Not part of the public API.
 * @internal
 */
import {
  type Entry,
  type EntryBody,
  type EntryKind,
  entryHash,
  signEntry,
  type UnsignedEntry,
  ZERO_HASH,
} from '../../entries/index.js';
import { toHex } from '../../hex.js';
import { ledgerKeyFromSeed } from '../../key.js';
import { createEd25519NoteSigner, createEd25519NoteVerifier } from '../../note/index.js';
import { type MembershipPolicy, parseMembershipPolicy, policyDigest } from '../../policy/index.js';

export const ORIGIN = 'ledger.example.org/cold-chain';
export const T0 = Date.UTC(2026, 0, 1);
export const DAY = 86_400_000;

export const LOG_SIGNER = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) });
export const LOG_VERIFIER = createEd25519NoteVerifier(LOG_SIGNER);

/** Seeds of the member keys, by key id. */
export const SEEDS = {
  'acme-release': 1,
  'acme-qa': 2,
  'acme-admin': 4,
  'acme-release-old': 5,
  'acme-qa-leaked': 6,
  'mary-biomed': 10,
  'mary-admin': 12,
  'city-biomed': 20,
  'city-admin': 21,
  'ff-driver': 30,
  'ff-admin': 31,
  'ff-board': 32,
  'logger-7': 40,
  mallory: 66,
} as const;

export type KeyName = keyof typeof SEEDS;

export function secretKey(id: KeyName): Uint8Array {
  return ledgerKeyFromSeed(new Uint8Array(32).fill(SEEDS[id])).secretKey;
}

export function pub(id: KeyName): string {
  return toHex(ledgerKeyFromSeed(new Uint8Array(32).fill(SEEDS[id])).publicKey);
}

const FROM = T0 - 30 * DAY;
const key = (id: KeyName, roles: string[], extra: Record<string, unknown> = {}) => ({
  id,
  publicKey: pub(id),
  roles,
  from: FROM,
  ...extra,
});

export const FIRMWARE_RULE = {
  all: [
    { role: 'manufacturer.release' },
    { any: [{ role: 'manufacturer.qa' }, { role: 'hospital.biomed' }] },
  ],
};

/** Version 1: admins are 2 of the 3 `consortium.admin` organisations. */
export function consortiumV1(): MembershipPolicy {
  return parseMembershipPolicy({
    policyId: 'cold-chain-consortium',
    version: 1,
    organisations: [
      {
        id: 'acme',
        name: 'Acme Devices',
        keys: [
          key('acme-release', ['manufacturer.release']),
          key('acme-qa', ['manufacturer.qa']),
          key('acme-admin', ['consortium.admin']),
          // rotated out: valid until T0 + 10 days
          key('acme-release-old', ['manufacturer.release'], { from: T0 - 400 * DAY, until: T0 + 10 * DAY }),
          key('acme-qa-leaked', ['manufacturer.qa'], {
            revokedAt: T0 + 5 * DAY,
            revocationReason: 'compromised',
          }),
        ],
      },
      {
        id: 'st-mary',
        name: 'St Mary Hospital',
        keys: [key('mary-biomed', ['hospital.biomed']), key('mary-admin', ['consortium.admin'])],
      },
      { id: 'city', name: 'City Hospital', keys: [key('city-biomed', ['hospital.biomed'])] },
      {
        id: 'fastfreight',
        name: 'FastFreight',
        keys: [
          key('ff-driver', ['freight.driver']),
          key('ff-admin', ['consortium.admin']),
          key('logger-7', ['device.logger']),
        ],
      },
    ],
    endorsement: {
      'firmware.authorize': FIRMWARE_RULE,
      'custody.transfer': { all: [{ role: 'freight.driver' }, { role: 'hospital.biomed' }] },
      'config.change': { role: 'device.logger' },
      'model.approve': {
        atLeast: 2,
        of: [{ role: 'hospital.biomed' }, { role: 'hospital.biomed' }, { role: 'manufacturer.qa' }],
      },
    },
    witnesses: { keys: [], k: 0 },
    admin: {
      atLeast: 2,
      of: [{ role: 'consortium.admin' }, { role: 'consortium.admin' }, { role: 'consortium.admin' }],
    },
  });
}

/**
 * Version 2: administration handed to new `board.admin` keys of City and FastFreight, and
 * firmware needs release AND QA AND a hospital.
 */
export function consortiumV2(mutate: (raw: Record<string, unknown>) => void = () => {}): MembershipPolicy {
  const raw = structuredClone(consortiumV1()) as unknown as Record<string, unknown> & {
    organisations: { id: string; keys: unknown[] }[];
    endorsement: Record<string, unknown>;
  };
  raw.version = 2;
  raw.organisations.find((o) => o.id === 'city')?.keys.push(key('city-admin', ['board.admin']));
  raw.organisations.find((o) => o.id === 'fastfreight')?.keys.push(key('ff-board', ['board.admin']));
  raw.admin = { all: [{ role: 'board.admin' }, { role: 'board.admin' }] };
  raw.endorsement['firmware.authorize'] = {
    all: [{ role: 'manufacturer.release' }, { role: 'manufacturer.qa' }, { role: 'hospital.biomed' }],
  };
  mutate(raw);
  return parseMembershipPolicy(raw);
}

/** The policy documents of the given versions, by digest. */
export function documents(...policies: MembershipPolicy[]): Map<string, MembershipPolicy> {
  return new Map(policies.map((p) => [policyDigest(p), p]));
}

const D = (c: string): string => c.repeat(64);

/** A valid body of each kind used here. */
export const BODIES = {
  'config.change': { target: 'logger-7', version: 3, digest: D('c'), reason: 'sample every 60 s' },
  'firmware.authorize': { imageDigest: D('d'), version: '2.4.1', hardwareIds: ['tl-100.rev-b'] },
  'custody.transfer': {
    from: 'acme',
    to: 'fastfreight',
    shipment: 'SHP-1',
    conditions: { excursions: 0, sealIntact: true },
  },
  'model.approve': { modelId: 'sepsis-ews', version: '1.2.0', digest: D('e'), metrics: { auroc: 0.91 } },
  'security.event': {
    severity: 'high',
    category: 'tamper',
    subject: 'logger-7',
    description: 'enclosure opened',
  },
} as const;

type BodyKind = keyof typeof BODIES;

/** Options of {@link Writer.make}. */
export interface MakeOptions<K extends EntryKind> {
  readonly stream?: string;
  readonly ts?: number;
  readonly body?: EntryBody<K>;
  /** Raw `{ keyId, seed id }` pairs: sign under `keyId` with another key's secret. */
  readonly as?: readonly { readonly keyId: string; readonly with: KeyName }[];
}

/** Builds signed entries that continue each stream; `commit` once the log accepted one. */
export interface Writer {
  make<K extends BodyKind | 'policy.update'>(
    kind: K,
    signers: readonly KeyName[],
    options?: MakeOptions<K>,
  ): Entry;
  /** A `policy.update` publishing `next`, on stream `lot:governance`. */
  update(next: MembershipPolicy, signers: readonly KeyName[], ts?: number): Entry;
  commit(entry: Entry): void;
}

export function createWriter(): Writer {
  const heads = new Map<string, { seq: number; hash: string }>();
  const writer: Writer = {
    make(kind, signers, options = {}) {
      const stream = options.stream ?? 'device:logger-7';
      const head = heads.get(stream);
      const unsigned = {
        origin: ORIGIN,
        kind,
        stream,
        seq: head === undefined ? 0 : head.seq + 1,
        prev: head?.hash ?? ZERO_HASH,
        ts: options.ts ?? T0,
        body: options.body ?? BODIES[kind as BodyKind],
      } as UnsignedEntry;
      let entry: UnsignedEntry | Entry = unsigned;
      for (const id of signers) entry = signEntry(entry, { keyId: id, secretKey: secretKey(id) });
      for (const { keyId, with: w } of options.as ?? []) {
        entry = signEntry(entry, { keyId, secretKey: secretKey(w) });
      }
      return entry as Entry;
    },
    update(next, signers, ts = T0) {
      return writer.make('policy.update', signers, {
        stream: 'lot:governance',
        ts,
        body: {
          policyId: next.policyId,
          version: next.version,
          digest: policyDigest(next),
          effectiveFrom: ts,
        },
      });
    },
    commit(entry) {
      heads.set(entry.stream, { seq: entry.seq, hash: entryHash(entry) });
    },
  };
  return writer;
}
