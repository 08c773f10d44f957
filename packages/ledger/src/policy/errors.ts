import { HealthItError } from '@healthit/core';
import type { EndorsementResult } from './endorsement.js';

/**
 * An entry (or a policy update) is not endorsed as the membership policy requires: an
 * unauthorised writer, an unmet threshold, unknown, revoked or expired keys. Code
 * `ledger/signature`; permanent. `result` says which roles were missing and which signers did
 * not count.
 *
 * @example
 * ```ts
 * try { assertEndorsement(rule, keyIds, policy, entry.ts) } catch (e) {
 *   if (e instanceof EndorsementError) console.warn(e.result.missingRoles);
 * }
 * ```
 */
export class EndorsementError extends HealthItError {
  override readonly name = 'EndorsementError';
  /** The evaluation that failed. */
  readonly result: EndorsementResult;

  constructor(message: string, result: EndorsementResult) {
    super('ledger/signature', message, {
      detail: {
        missingRoles: [...result.missingRoles],
        unknownKeyIds: [...result.unknownKeyIds],
        ignored: result.ignored.map((i) => ({ ...i })),
      },
    });
    this.result = result;
  }
}
