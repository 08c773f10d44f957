/**
 * Fuzzing membership-policy updates as the transparency log's sequencer admits them: a
 * `policy.update` entry announces the digest of a new policy document; the document is looked up
 * (`resolvePolicyDocument`: `parseMembershipPolicy`, digest, id and version), the entry's
 * signatures are checked under the old and new keys, and `verifyPolicyUpdate` requires the admin
 * rule of both versions. This is the log's own gate (`createPolicyGate`, what `append` runs), over
 * the consortium policy of the log tests. Two targets:
 *
 * - the document the lookup returns is mutated as JSON (members deleted, retyped, swapped, grown,
 *   keys and rules changed, members nested up to 50 000 levels deep) or random, under a genuine
 *   entry signed by the admins of
 *   both versions: only the genuine document may be admitted;
 * - the mutated document is announced by its own digest, in an entry signed by a random set of
 *   admin and non-admin keys, so that the checks behind the digest are reached: an admitted update
 *   must be exactly the announced document, the next version of the same policy, and endorsed by
 *   the old admins (2 of 3 organisations) and by its own admin rule.
 *
 * Every refusal is a typed `HealthItError` (`EndorsementError`, `EntrySignatureError`,
 * `EntryError`); nothing else is thrown.
 */
import { utf8Encode } from '@healthit/core';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepJsonTextInside, jsonInputs, mutatedJson } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { canonicalJson } from '../canonical-json.js';
import { type Entry, parseEntry, signEntry, type UnsignedEntry, ZERO_HASH } from '../entries/index.js';
import { toHex } from '../hex.js';
import { createPolicyGate } from '../tlog/policy-gate.js';
import {
  consortiumV1,
  consortiumV2,
  type KeyName,
  ORIGIN,
  secretKey,
  T0,
} from '../tlog/test-fixtures/consortium.js';
import { evaluateEndorsement, type MembershipPolicy, policyDigest } from './index.js';

const RUNS = fuzzRuns(300); // a policy document parsed per input
const SIGNED_RUNS = fuzzRuns(200); // and up to seven Ed25519 signatures made and checked per input
const V1 = consortiumV1();
const V2 = consortiumV2();
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const RAW_V2 = wire(V2);
const same = (a: unknown, b: unknown): boolean => canonicalJson(a as never) === canonicalJson(b as never);

/** The admins of v1 (`consortium.admin`, 2 of 3 organisations) and of v2 (`board.admin`, 2 keys). */
const BOTH_ADMINS: readonly KeyName[] = ['acme-admin', 'mary-admin', 'city-admin', 'ff-board'];
/** Signers an update may carry: admins of either version, a writer and an outsider. */
const SIGNERS: readonly KeyName[] = [
  'acme-admin',
  'mary-admin',
  'ff-admin',
  'city-admin',
  'ff-board',
  'acme-release',
  'mallory',
];
const V1_ADMINS = new Map([
  ['acme-admin', 'acme'],
  ['mary-admin', 'st-mary'],
  ['ff-admin', 'fastfreight'],
]);

/** Secret keys by name, derived once. */
const SECRET = new Map(SIGNERS.map((id) => [id, secretKey(id)]));

function updateEntry(
  body: { policyId: string; version: number; digest: string; effectiveFrom: number },
  signers: readonly KeyName[],
): Entry {
  let entry: UnsignedEntry | Entry = {
    origin: ORIGIN,
    kind: 'policy.update',
    stream: 'lot:governance',
    seq: 0,
    prev: ZERO_HASH,
    ts: T0,
    body,
  } as UnsignedEntry;
  for (const id of signers) entry = signEntry(entry, { keyId: id, secretKey: SECRET.get(id) as Uint8Array });
  return entry as Entry; // unsigned when there are no signers: \`parseEntry\` refuses it
}

const GENUINE_UPDATE = updateEntry(
  { policyId: V2.policyId, version: 2, digest: policyDigest(V2), effectiveFrom: T0 },
  BOTH_ADMINS,
);

/** The gate of a log whose policy in force is v1, with `lookup` as its policy documents. */
function gateWith(lookup: (digest: string) => unknown) {
  return createPolicyGate({ policy: V1, documents: lookup, now: () => T0 });
}

describe('membership policy update fuzzing', () => {
  it(
    'a mutated document under the genuine update entry: only the genuine document is admitted',
    () => {
      let served: unknown;
      const gate = gateWith(() => served);
      const r = fuzz({
        name: 'policy update: mutated policy document (policy gate, JSON)',
        runs: RUNS,
        inputs: fc.oneof(
          { arbitrary: jsonInputs([RAW_V2]), weight: 15 },
          {
            // a member nested up to 50 000 levels deep (parsed from text: too deep to build otherwise)
            arbitrary: deepJsonTextInside([RAW_V2]).map(
              (b) => JSON.parse(new TextDecoder().decode(b)) as unknown,
            ),
            weight: 1,
          },
        ),
        run: (doc) => {
          served = doc;
          const admission = gate.check(GENUINE_UPDATE);
          const next = admission.next?.policy;
          if (next === undefined || !same(next, V2))
            throw new Error(`admitted another policy document: ${JSON.stringify(next).slice(0, 300)}`);
          return 'admitted';
        },
      });
      expect(r.outcomes.admitted).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(4_000, RUNS),
  );

  it(
    'mutated documents announced by their own digest, signed by random keys: admitted only when both admin rules are met',
    () => {
      let served: unknown;
      const gate = gateWith(() => served);
      const inputs = fc
        .record({
          doc: fc.oneof(
            { arbitrary: mutatedJson([RAW_V2]), weight: 8 },
            { arbitrary: fc.constant(RAW_V2), weight: 1 },
          ),
          signers: fc.oneof(
            { arbitrary: fc.subarray([...SIGNERS]), weight: 3 },
            { arbitrary: fc.constant([...BOTH_ADMINS]), weight: 2 },
          ),
          effectiveFrom: fc.constantFrom(T0, T0 + 1, 0),
        })
        .map(({ doc, signers, effectiveFrom }) => {
          const raw = doc as Partial<MembershipPolicy> | undefined;
          let digest: string;
          try {
            digest = toHex(sha256(utf8Encode(canonicalJson(doc as never))));
          } catch {
            digest = policyDigest(V2); // not JSON that hashes (e.g. a lone surrogate): the genuine digest
          }
          const announced = {
            policyId: typeof raw?.policyId === 'string' ? raw.policyId : V2.policyId,
            version: typeof raw?.version === 'number' ? raw.version : 2,
            digest,
            effectiveFrom,
          };
          let entry: Entry;
          try {
            entry = updateEntry(announced, signers);
          } catch {
            // an id or version the entry schema refuses: announce the genuine ones
            entry = updateEntry({ ...announced, policyId: V2.policyId, version: 2 }, signers);
          }
          return { doc, signers, entry };
        });
      const r = fuzz({
        name: 'policy update: documents announced by their digest, random signers (policy gate, JSON)',
        runs: SIGNED_RUNS,
        inputs,
        run: ({ doc, signers, entry }) => {
          served = doc;
          // as the log decodes it before its gate (an entry without signatures is refused here)
          const admission = gate.check(parseEntry(entry));
          const next = admission.next?.policy;
          if (next === undefined) throw new Error('a policy update admitted without a next version');
          const fail = (why: string) => {
            throw new Error(`admitted a policy update ${why}: ${JSON.stringify(doc).slice(0, 300)}`);
          };
          if (!same(next, doc)) fail('that is not the announced document');
          if (next.policyId !== V1.policyId || next.version !== V1.version + 1)
            fail(`of ${next.policyId} v${next.version}`);
          // A key id bound to another public key in the new version endorses neither version.
          const rebound = (id: string) => {
            const newKey = next.organisations.flatMap((o) => o.keys).find((k) => k.id === id);
            const oldKey = V1.organisations.flatMap((o) => o.keys).find((k) => k.id === id);
            return newKey !== undefined && oldKey !== undefined && newKey.publicKey !== oldKey.publicKey;
          };
          const counted = signers.filter((id) => !rebound(id));
          const oldOrgs = new Set(counted.map((id) => V1_ADMINS.get(id)).filter((o) => o !== undefined));
          if (oldOrgs.size < 2)
            fail(`without 2 of the 3 old admin organisations (signers ${signers.join(', ')})`);
          if (!evaluateEndorsement(next.admin, counted, next, entry.ts).satisfied)
            fail(`that its own admin rule does not endorse (signers ${signers.join(', ')})`);
          return 'admitted';
        },
      });
      expect(r.outcomes.admitted).toBeGreaterThan(0);
      expect(r.outcomes['rejected: EndorsementError ledger/signature/policy-update']).toBeGreaterThan(0);
    },
    fuzzTimeout(8_000, SIGNED_RUNS),
  );
});
