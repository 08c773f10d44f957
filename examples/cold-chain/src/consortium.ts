import { utf8Encode } from '@healthit/core';
import {
  createEd25519NoteSigner,
  type entries,
  formatVerifierKey,
  ledgerKeyFromSeed,
  type NoteSigner,
  policy,
  SignatureTypes,
  sha256,
} from '@healthit/ledger';
import { toHex } from './hex.js';

/** The log every entry of the example names (its checkpoint origin and the log key's name). */
export const COLD_CHAIN_ORIGIN = 'ledger.example.org/cold-chain';

/** The member organisations: who holds the shipment, in order. */
export const ORGANISATIONS = {
  manufacturer: { id: 'acme-pharma', name: 'Acme Pharma (manufacturer)' },
  freight: { id: 'swift-logistics', name: 'Swift Logistics (freight forwarder)' },
  pharmacy: { id: 'city-pharmacy', name: 'City Pharmacy (dispensing pharmacy)' },
} as const;

/** One member key of the policy: its id (as entry signatures name it), organisation and roles. */
interface MemberKeySpec {
  readonly id: string;
  readonly org: string;
  readonly roles: readonly string[];
}

const { manufacturer, freight, pharmacy } = ORGANISATIONS;

/**
 * Every key of the consortium. A temperature logger signs its own batches, so its key id is its
 * device id; the `*.monitor` keys belong to each custodian's edge gateway, which runs the
 * excursion rules and flags excursions.
 */
export const MEMBER_KEYS: readonly MemberKeySpec[] = [
  { id: 'acme-dispatch', org: manufacturer.id, roles: ['manufacturer.dispatch'] },
  { id: 'acme-admin', org: manufacturer.id, roles: ['consortium.admin'] },
  { id: 'swift-driver-07', org: freight.id, roles: ['freight.driver'] },
  { id: 'swift-monitor', org: freight.id, roles: ['freight.monitor'] },
  { id: 'swift-TRK-12', org: freight.id, roles: ['freight.logger'] },
  { id: 'swift-VAN-3', org: freight.id, roles: ['freight.logger'] },
  { id: 'swift-admin', org: freight.id, roles: ['consortium.admin'] },
  { id: 'city-pharmacist', org: pharmacy.id, roles: ['pharmacy.pharmacist'] },
  { id: 'city-monitor', org: pharmacy.id, roles: ['pharmacy.monitor'] },
  { id: 'city-FR-2', org: pharmacy.id, roles: ['pharmacy.logger'] },
  { id: 'city-admin', org: pharmacy.id, roles: ['consortium.admin'] },
];

/** The witnesses that cosign the log's checkpoints; a checkpoint needs {@link WITNESS_THRESHOLD} of them. */
export const WITNESS_NAMES = [
  'witness.acme-pharma.example',
  'witness.swift-logistics.example',
  'witness.medicines-agency.example',
] as const;

/** How many witness cosignatures a checkpoint needs (k of the n {@link WITNESS_NAMES}). */
export const WITNESS_THRESHOLD = 2;

/**
 * The endorsement rules of the consortium:
 *
 * | kind               | rule                                                                               |
 * | ------------------ | ---------------------------------------------------------------------------------- |
 * | `reading.batch`    | a temperature logger of a member (freight or pharmacy)                             |
 * | `custody.transfer` | two of the custody roles (dispatch, driver, pharmacist): two distinct organisations |
 * | `security.event`   | a custodian's monitoring gateway                                                   |
 *
 * A rule cannot say *which* two parties must sign a transfer (the body's `from` and `to`); the
 * example checks that on top of the policy (see `custody.ts`).
 */
export const ENDORSEMENT_RULES = {
  'reading.batch': { any: [{ role: 'freight.logger' }, { role: 'pharmacy.logger' }] },
  'custody.transfer': {
    atLeast: 2,
    of: [{ role: 'manufacturer.dispatch' }, { role: 'freight.driver' }, { role: 'pharmacy.pharmacist' }],
  },
  'security.event': { any: [{ role: 'freight.monitor' }, { role: 'pharmacy.monitor' }] },
} as const;

/** A member's signing key, with the organisation and roles the policy gives it. */
export interface MemberKey extends entries.EntrySigner {
  readonly org: string;
  readonly roles: readonly string[];
  /** Lowercase hex Ed25519 public key, as the policy lists it. */
  readonly publicKey: string;
}

/** A witness's cosigning key and its published verifier key (type 0x04). */
export interface WitnessKey {
  readonly name: string;
  readonly secretKey: Uint8Array;
  readonly vkey: string;
}

/** The parties of the cold chain: the log key, the witnesses, every member key and the policy. */
export interface Consortium {
  readonly origin: string;
  /** Signs the log's checkpoints. */
  readonly logSigner: NoteSigner;
  /** The log's verifier key (`name+keyid+base64`): what an auditor trusts. */
  readonly logVkey: string;
  readonly witnesses: readonly WitnessKey[];
  /** The membership policy (version 1) the log enforces at append. */
  readonly policy: policy.MembershipPolicy;
  /**
   * A member key by id.
   * @throws {RangeError} for an id the consortium does not have.
   */
  member(keyId: string): MemberKey;
}

/** Options of {@link createConsortium}. */
export interface ConsortiumOptions {
  /** Every key is derived from it (demo only: real keys come from a key store). */
  readonly seed: number;
  /** First instant the member keys are valid (epoch ms). */
  readonly validFrom: number;
}

/** A demo seed: SHA-256 of the seed and the key's name. Never derive real keys like this. */
function demoSeed(seed: number, name: string): Uint8Array {
  return sha256(utf8Encode(`healthit-cold-chain demo key\n${seed}\n${name}`));
}

/**
 * Creates the consortium of the example: the log key, three witnesses (two must cosign), the
 * member keys of manufacturer, freight forwarder and pharmacy, and the membership policy that
 * binds them (version 1, admin rule: two organisations' admins).
 * The policy goes through `policy.parseMembershipPolicy`, so it meets every rule of the schema.
 * @example
 * ```ts
 * const consortium = createConsortium({ seed: 42, validFrom: Date.UTC(2026, 1, 1) });
 * consortium.member('swift-driver-07').org; // 'swift-logistics'
 * ```
 */
export function createConsortium(options: ConsortiumOptions): Consortium {
  const { seed, validFrom } = options;
  const logSeed = demoSeed(seed, COLD_CHAIN_ORIGIN);
  const logSigner = createEd25519NoteSigner({ name: COLD_CHAIN_ORIGIN, secretKey: logSeed });
  const logVkey = formatVerifierKey(COLD_CHAIN_ORIGIN, logSigner.publicKey);
  const witnesses = WITNESS_NAMES.map((name): WitnessKey => {
    const secretKey = demoSeed(seed, name);
    const { publicKey } = ledgerKeyFromSeed(secretKey);
    return { name, secretKey, vkey: formatVerifierKey(name, publicKey, SignatureTypes.cosignatureV1) };
  });
  const members = new Map<string, MemberKey>();
  for (const spec of MEMBER_KEYS) {
    const secretKey = demoSeed(seed, spec.id);
    const publicKey = toHex(ledgerKeyFromSeed(secretKey).publicKey);
    members.set(spec.id, { keyId: spec.id, secretKey, org: spec.org, roles: spec.roles, publicKey });
  }
  const consortiumPolicy = policy.parseMembershipPolicy(
    {
      policyId: 'cold-chain',
      version: 1,
      organisations: Object.values(ORGANISATIONS).map((org) => ({
        id: org.id,
        name: org.name,
        keys: [...members.values()]
          .filter((k) => k.org === org.id)
          .map((k) => ({ id: k.keyId, publicKey: k.publicKey, roles: [...k.roles], from: validFrom })),
      })),
      endorsement: ENDORSEMENT_RULES,
      witnesses: { keys: witnesses.map((w) => ({ name: w.name, vkey: w.vkey })), k: WITNESS_THRESHOLD },
      admin: {
        atLeast: 2,
        of: [{ role: 'consortium.admin' }, { role: 'consortium.admin' }, { role: 'consortium.admin' }],
      },
    },
    'cold-chain consortium',
  );
  return {
    origin: COLD_CHAIN_ORIGIN,
    logSigner,
    logVkey,
    witnesses,
    policy: consortiumPolicy,
    member(keyId) {
      const key = members.get(keyId);
      if (key === undefined) throw new RangeError(`the consortium has no key "${keyId}"`);
      return key;
    },
  };
}
