import { ValidationError } from '@healthit/core';
import type { PolicyUpdateBody } from '../entries/kinds.js';
import { type MembershipPolicy, parseMembershipPolicy, policyDigest } from './membership.js';

/**
 * Where the policy documents that `policy.update` entries publish are found: a map or a function
 * from the document's digest ({@link policyDigest}, lowercase hex) to the document; `undefined`
 * when unknown. The ledger only carries the digest; the documents live beside it (a config
 * repository, an object store ...). Values are validated before use, so parsed JSON is fine.
 */
export type PolicyDocuments = ReadonlyMap<string, unknown> | ((digest: string) => unknown);

/** The verdict of {@link resolvePolicyDocument}. */
export type ResolvedPolicyDocument =
  | {
      /** The document was found and matches the entry. */
      readonly ok: true;
      /** The validated policy document. */
      readonly policy: MembershipPolicy;
    }
  | {
      /** No usable document: not found, invalid, or not the one the entry announces. */
      readonly ok: false;
      /** Why, in words. */
      readonly reason: string;
    };

/**
 * The policy document a `policy.update` entry publishes, found by its digest and checked: it must
 * be a valid {@link MembershipPolicy} whose {@link policyDigest} is the entry's `digest` (the
 * lookup is not trusted) and whose `policyId` and `version` are the entry's. Whether it may
 * replace the policy in force is `verifyPolicyUpdate`'s decision, not this one's.
 * Never throws (a throwing lookup is reported as a reason).
 * @example
 * ```ts
 * const found = resolvePolicyDocument(new Map([[policyDigest(v2), v2]]), entry.body);
 * if (!found.ok) reject(found.reason);
 * ```
 */
export function resolvePolicyDocument(
  documents: PolicyDocuments | undefined,
  body: PolicyUpdateBody,
): ResolvedPolicyDocument {
  const fail = (reason: string): ResolvedPolicyDocument => ({ ok: false, reason });
  if (documents === undefined) return fail('no policy documents were configured (policyDocuments)');
  let raw: unknown;
  try {
    raw = typeof documents === 'function' ? documents(body.digest) : documents.get(body.digest);
  } catch (e) {
    return fail(`the policy document lookup failed: ${(e as Error).message}`);
  }
  if (raw === undefined) return fail(`no policy document has digest ${body.digest}`);
  let policy: MembershipPolicy;
  try {
    policy = parseMembershipPolicy(raw, `policy document ${body.digest}`);
  } catch (e) {
    if (e instanceof ValidationError) return fail(`the policy document is invalid: ${e.message}`);
    throw e;
  }
  const digest = policyDigest(policy);
  if (digest !== body.digest) return fail(`the policy document hashes to ${digest}, not ${body.digest}`);
  if (policy.policyId !== body.policyId || policy.version !== body.version) {
    return fail(
      `the policy document is ${policy.policyId} v${policy.version}, the entry announces ${body.policyId} v${body.version}`,
    );
  }
  return { ok: true, policy };
}
