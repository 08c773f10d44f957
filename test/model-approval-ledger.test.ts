/**
 * A model approval recorded in the real ledger: `@healthit/ai`'s `approveModel` appends its
 * `model.approve` record through the transparency-log sink of `@healthit/ledger` (the package itself
 * only knows core's `LedgerSink` port). The entry is accepted by the ledger's own `model.approve`
 * body schema, is provably in the witnessed log (an RFC 9162 inclusion proof against a signed
 * checkpoint), and the gateway's verifier accepts the model only with the receipt the ledger holds.
 */
import { approveModel, createModelVerifier, deteriorationModelV0, signModelArtifact } from '@healthit/ai';
import { isHealthItError, publicIdentity } from '@healthit/core';
import { createEd25519NoteVerifier, entries, verifyCheckpoint, verifyInclusion } from '@healthit/ledger';
import { describe, expect, it } from 'vitest';
import { biomed, clock, platform, SPEC } from '../packages/ai/test/approval-fixtures.js';
import { createStack } from '../packages/ledger/src/provenance/test-fixtures/stack.js';

describe('model approval in the transparency log (ai × ledger)', () => {
  it('records model.approve as a ledger entry with a valid body, provably included, and the verifier checks the receipt', async () => {
    const { log, sink, logSigner } = createStack();
    const signed = await signModelArtifact(
      { artifact: deteriorationModelV0(), spec: SPEC, metrics: { auroc: 0.87, brier: 0.061 } },
      platform,
      { clock },
    );
    const approval = await approveModel(signed, {
      approver: biomed,
      ledger: sink,
      trustedSigners: [publicIdentity(platform)],
      intendedUse: 'ward early-warning decision support, adults',
      clock,
    });

    // The entry: the ledger's own kind and body schema accept it, and it names exactly this model.
    const logged = log.entry(approval.ledger.index);
    expect(logged.entry.kind).toBe('model.approve');
    const body = entries.EntryBodies['model.approve'].parse(logged.entry.body);
    expect(body).toMatchObject({
      modelId: signed.manifest.modelId,
      version: signed.manifest.version,
      digest: signed.manifest.sha256,
      metrics: { auroc: 0.87, brier: 0.061 },
    });

    // Provably in the log: an inclusion proof against the signed checkpoint.
    const note = await log.awaitCheckpoint(approval.ledger.index);
    const { checkpoint } = verifyCheckpoint(note, createEd25519NoteVerifier(logSigner));
    expect(
      verifyInclusion(
        logged.leafHash,
        approval.ledger.index,
        checkpoint.size,
        log.inclusionProof(approval.ledger.index, checkpoint.size),
        checkpoint.rootHash,
      ),
    ).toBe(true);

    // The gateway accepts the model with the receipt the ledger holds …
    const trust = { signers: [publicIdentity(platform)], approvers: [publicIdentity(biomed)], ledger: sink };
    const verified = await createModelVerifier(trust).verify(signed, approval);
    expect(verified.manifest.sha256).toBe(signed.manifest.sha256);
    // … and refuses an approval that claims another entry of the log.
    const moved = { ...approval, ledger: { ...approval.ledger, index: approval.ledger.index + 1 } };
    const refused = await createModelVerifier(trust)
      .verify(signed, moved)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isHealthItError(refused, 'security/unauthenticated')).toBe(true);
    await log.close();
  });
});
