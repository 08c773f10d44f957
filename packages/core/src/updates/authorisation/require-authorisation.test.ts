import { describe, expect, it } from 'vitest';
import { UpdateRejectedError } from '../update-rejected-error.js';
import type {
  FirmwareAuthorisation,
  FirmwareAuthorisationVerifier,
  FirmwareImageIdentity,
} from './firmware-authorisation.js';
import { requireFirmwareAuthorisation } from './require-authorisation.js';

// The real verifier lives in @healthit/ledger (its tests run this helper against real logs);
// these verifiers only exercise the helper's own fail-closed logic.

const image: FirmwareImageIdentity = { sha256: 'a'.repeat(64), version: '2.4.1', hardwareId: 'po-200.rev-a' };

function authorisationFor(i: FirmwareImageIdentity): FirmwareAuthorisation {
  return {
    sha256: i.sha256,
    version: i.version,
    hardwareId: i.hardwareId,
    hardwareIds: [i.hardwareId],
    endorsers: [],
    receipt: { logId: '0'.repeat(64), index: 0, entryHash: '1'.repeat(64) },
    checkpoint: { origin: 'log.example', size: 1, rootHash: '1'.repeat(64) },
    witnesses: ['witness.example/w1'],
  };
}

function thrown(run: () => unknown): UpdateRejectedError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(UpdateRejectedError);
    return e as UpdateRejectedError;
  }
  throw new Error('expected a refusal');
}

describe('requireFirmwareAuthorisation', () => {
  it('returns the authorisation of an authorised image', () => {
    const verifier: FirmwareAuthorisationVerifier = {
      verify: (_proof, i) => ({ ok: true, authorisation: authorisationFor(i) }),
    };
    expect(requireFirmwareAuthorisation(verifier, {}, image)).toEqual(authorisationFor(image));
  });

  it("throws the verdict's own error on a refusal", () => {
    const error = new UpdateRejectedError('not-authorised', 'no', { detail: { step: 'endorsement' } });
    const verifier: FirmwareAuthorisationVerifier = {
      verify: () => ({ ok: false, step: 'endorsement', reason: 'no', error }),
    };
    expect(thrown(() => requireFirmwareAuthorisation(verifier, {}, image))).toBe(error);
  });

  it('fails closed on a verifier that throws', () => {
    const verifier: FirmwareAuthorisationVerifier = {
      verify: () => {
        throw new TypeError('bug');
      },
    };
    const error = thrown(() => requireFirmwareAuthorisation(verifier, {}, image));
    expect(error.reason).toBe('not-authorised');
    expect(error.detail).toMatchObject({ step: 'verifier' });
    expect(error.subject).toBe('image po-200.rev-a/2.4.1');
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('fails closed on an authorisation for another image', () => {
    const other = { ...image, sha256: 'b'.repeat(64) };
    for (const wrong of [other, { ...image, version: '2.4.0' }, { ...image, hardwareId: 'po-300' }]) {
      const verifier: FirmwareAuthorisationVerifier = {
        verify: () => ({ ok: true, authorisation: authorisationFor(wrong) }),
      };
      const error = thrown(() => requireFirmwareAuthorisation(verifier, {}, image));
      expect(error.reason).toBe('not-authorised');
      expect(error.detail).toMatchObject({ step: 'verifier' });
    }
  });
});
