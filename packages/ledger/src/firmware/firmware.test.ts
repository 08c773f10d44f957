import { ValidationError } from '@healthit/core';
import { UpdateRejectedError } from '@healthit/core/updates';
import { afterEach, describe, expect, it } from 'vitest';
import { type Entry, encodeEntry, signEntry, type UnsignedEntry } from '../entries/index.js';
import { toHex } from '../hex.js';
import { leafHash } from '../merkle/index.js';
import {
  addNoteSignatures,
  createEd25519NoteSigner,
  encodeBase64,
  parseCheckpoint,
  parseNote,
  signCheckpoint,
  signNote,
} from '../note/index.js';
import { policyKeyLookup } from '../policy/index.js';
import { consortiumV1, consortiumV2, DAY, secretKey } from '../tlog/test-fixtures/consortium.js';
import { buildFirmwareAuthorisationProof } from './build.js';
import type { FirmwareAuthorisationProof } from './bundle.js';
import {
  createReleaseLog,
  HARDWARE,
  logSigner,
  ORIGIN,
  pub,
  type ReleaseLog,
  type ReleaseLogOptions,
  releaseBody,
  STREAM,
  T0,
  testImage,
} from './test-fixtures/release-log.js';
import {
  type FirmwareAuthorisationVerifierOptions,
  type FirmwareProofStep,
  FirmwareProofSteps,
  firmwareAuthorisationVerifier,
  verifyFirmwareAuthorisationProof,
} from './verify.js';

let open: ReleaseLog[] = [];

function releaseLog(options: ReleaseLogOptions = {}): ReleaseLog {
  const r = createReleaseLog(options);
  open.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(open.map((r) => r.log.close()));
  open = [];
});

const GOOD = testImage('po-200 2.4.1 release');
const EVIL = testImage('po-200 2.4.1 with a backdoor');

/** What the device asks about an image. */
function claim(image = GOOD, extra: { version?: string; hardwareId?: string } = {}) {
  return {
    sha256: image.sha256,
    version: extra.version ?? '2.4.1',
    hardwareId: extra.hardwareId ?? HARDWARE,
  };
}

/** A genuine release (release + hospital biomed, two organisations) and its proof. */
async function released(options: ReleaseLogOptions = {}) {
  const r = releaseLog(options);
  await r.appendOther();
  const index = await r.authorise(releaseBody(GOOD), ['acme-release', 'mary-biomed']);
  await r.appendOther();
  const proof = await r.prove(index);
  return { r, index, proof };
}

/** A deep, mutable copy of a proof. */
function mutable(proof: FirmwareAuthorisationProof): {
  entry: { index: number; bytes: string; proof: string[] };
  checkpoint: string;
  [key: string]: unknown;
} {
  return JSON.parse(JSON.stringify(proof));
}

/** The checkpoint note's text and its signature lines. */
function noteParts(note: string): { text: string; lines: string[] } {
  const at = note.lastIndexOf('\n\n');
  return { text: note.slice(0, at + 1), lines: note.slice(at + 2, -1).split('\n') };
}

/**
 * The device's install path: writes the image into the inactive slot only when the ledger proves
 * it authorised. Returns the refusal, if any.
 */
function install(
  trust: FirmwareAuthorisationVerifierOptions,
  proof: unknown,
  image: ReturnType<typeof claim>,
  slot: Map<string, string>,
) {
  const verdict = firmwareAuthorisationVerifier(trust).verify(proof, image);
  if (verdict.ok) slot.set('inactive', verdict.authorisation.sha256);
  return verdict;
}

/** Asserts the attack is refused with `not-authorised` at `step`, and nothing is installed. */
function refusedAt(
  trust: FirmwareAuthorisationVerifierOptions,
  proof: unknown,
  image: ReturnType<typeof claim>,
  step: FirmwareProofStep,
  reason?: RegExp,
): void {
  const slot = new Map<string, string>();
  const verdict = install(trust, proof, image, slot);
  expect(verdict.ok ? 'authorised' : `${verdict.step}: ${verdict.reason}`).toMatch(new RegExp(`^${step}: `));
  expect(slot.size).toBe(0);
  if (verdict.ok) return;
  expect(verdict.error).toBeInstanceOf(UpdateRejectedError);
  expect(verdict.error.reason).toBe('not-authorised');
  expect(verdict.error.code).toBe('update/rejected');
  expect(verdict.error.detail).toMatchObject({ reason: 'not-authorised', step });
  expect(verdict.error.message).toContain(`: ${step}: `);
  expect(verdict.steps.at(-1)).toEqual({ step, ok: false, reason: verdict.reason });
  if (reason !== undefined) expect(verdict.reason).toMatch(reason);
}

describe('firmware authorisation: normal path', () => {
  it('a release endorsed by manufacturer release + hospital biomed verifies, after a JSON round trip', async () => {
    const { r, index, proof } = await released();
    const slot = new Map<string, string>();
    const verdict = install(r.trust(), JSON.parse(JSON.stringify(proof)), claim(), slot);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(slot.get('inactive')).toBe(GOOD.sha256);
    expect(verdict.steps.map((s) => s.step)).toEqual([...FirmwareProofSteps]);
    const a = verdict.authorisation;
    expect(a).toMatchObject({
      sha256: GOOD.sha256,
      version: '2.4.1',
      hardwareId: HARDWARE,
      hardwareIds: [HARDWARE, 'po-200.rev-b'],
      witnesses: ['witness.example/w1', 'witness.example/w2'],
    });
    expect(a.minPreviousVersion).toBeUndefined();
    expect(a.endorsers).toEqual([
      { keyId: 'acme-release', organisation: 'acme', roles: ['manufacturer.release'] },
      { keyId: 'mary-biomed', organisation: 'st-mary', roles: ['hospital.biomed'] },
    ]);
    expect(a.receipt).toEqual({
      logId: expect.stringMatching(/^[0-9a-f]{64}$/),
      index,
      entryHash: toHex(r.log.entry(index).leafHash),
    });
    expect(a.checkpoint).toEqual({ origin: ORIGIN, size: 3, rootHash: toHex(r.log.root(3)) });
    expect(verdict.entry.kind).toBe('firmware.authorize');
    expect(verdict.endorsement.satisfied).toBe(true);
  });

  it('accepts the proof as JSON text, any listed hardware, and manufacturer release + QA of one organisation', async () => {
    const r = releaseLog();
    const index = await r.authorise(releaseBody(GOOD, { minPreviousVersion: '2.0.0' }), [
      'acme-release',
      'acme-qa',
    ]);
    const proof = await r.prove(index);
    const verifier = firmwareAuthorisationVerifier(r.trust());
    const text = JSON.stringify(proof);
    for (const hardwareId of [HARDWARE, 'po-200.rev-b']) {
      const verdict = verifier.verify(text, claim(GOOD, { hardwareId }));
      expect(verdict.ok).toBe(true);
      if (verdict.ok) expect(verdict.authorisation.minPreviousVersion).toBe('2.0.0');
    }
    // the one-shot function gives the same verdict
    expect(verifyFirmwareAuthorisationProof(proof, claim(), r.trust()).ok).toBe(true);
  });

  it('a quorum of the witnesses suffices when the device asks for fewer than all', async () => {
    const { r, proof } = await released({ witnessCount: 3 });
    const { text, lines } = noteParts(proof.checkpoint);
    const twoOfThree = { ...proof, checkpoint: `${text}\n${lines.slice(0, 3).join('\n')}\n` };
    expect(
      firmwareAuthorisationVerifier(r.trust({ witnessThreshold: 2 })).verify(twoOfThree, claim()).ok,
    ).toBe(true);
    refusedAt(r.trust(), twoOfThree, claim(), 'witnesses', /2 of the required 3/);
  });

  it('a release endorsed before a key was rotated out still verifies (validity is judged at the entry time)', async () => {
    const r = releaseLog();
    // acme-release-old is valid until T0 + 10 days; the release was produced at T0 + 1 day
    const index = await r.authorise(releaseBody(GOOD), ['acme-release-old', 'city-biomed'], { ts: T0 + DAY });
    expect(firmwareAuthorisationVerifier(r.trust()).verify(await r.prove(index), claim()).ok).toBe(true);
  });

  it('the bundle carries only the entry, its proof and the checkpoint', async () => {
    const { proof } = await released();
    expect(Object.keys(proof).sort()).toEqual(['checkpoint', 'entry', 'format', 'version']);
    expect(proof.format).toBe('healthit-firmware-authorisation');
    expect(proof.version).toBe(1);
    // entry 1 of a 3-entry log: a two-hash audit path
    expect(proof.entry.proof).toHaveLength(2);
  });
});

describe('U14 image never authorised in the ledger', () => {
  it('U14 image never authorised in the ledger: no proof at all → bundle', async () => {
    const { r } = await released();
    for (const nothing of [undefined, null, '', {}, 'not json'])
      refusedAt(r.trust(), nothing, claim(EVIL), 'bundle');
  });

  it('U14 image never authorised in the ledger: the proof of another kind of entry → entry', async () => {
    const r = releaseLog();
    const other = await r.appendOther();
    await r.authorise(releaseBody(GOOD), ['acme-release', 'acme-qa']);
    const genuine = await r.prove(1);
    const checkpointNote = await r.log.awaitCheckpoint(1);
    expect(() => buildFirmwareAuthorisationProof({ log: r.log, index: other, checkpointNote })).toThrow(
      /config\.change entry, not a firmware\.authorize entry/,
    );
    // spliced by hand: the config.change entry, its genuine proof and checkpoint
    const spliced = mutable(genuine);
    spliced.entry = {
      index: other,
      bytes: encodeBase64(r.log.entry(other).bytes),
      proof: r.log.inclusionProof(other, 2).map(toHex),
    };
    refusedAt(r.trust(), spliced, claim(EVIL), 'entry', /config\.change entry, not firmware\.authorize/);
  });

  it('U14 image never authorised in the ledger: the genuine proof of another image → image-digest', async () => {
    const { r, proof } = await released();
    refusedAt(r.trust(), proof, claim(EVIL), 'image-digest', new RegExp(`not ${EVIL.sha256}`));
  });

  it('U14 image never authorised in the ledger: an entry for other hardware → hardware', async () => {
    const r = releaseLog();
    const index = await r.authorise(releaseBody(GOOD, { hardwareIds: ['po-300.rev-a'] }), [
      'acme-release',
      'acme-qa',
    ]);
    refusedAt(r.trust(), await r.prove(index), claim(), 'hardware', /po-300\.rev-a, not po-200\.rev-a/);
  });

  it('U14 image never authorised in the ledger: an entry for another version → version', async () => {
    const { r, proof } = await released();
    refusedAt(r.trust(), proof, claim(GOOD, { version: '2.4.2' }), 'version', /2\.4\.1, not 2\.4\.2/);
  });

  it('U14 image never authorised in the ledger: endorsed by the manufacturer only (policy unmet) → endorsement', async () => {
    // a log that checks signatures but does not gate endorsements: the device judges them itself
    const r = releaseLog({ gate: 'keys' });
    const index = await r.authorise(releaseBody(EVIL), ['acme-release']);
    refusedAt(
      r.trust(),
      await r.prove(index),
      claim(EVIL),
      'endorsement',
      /no valid signer holds manufacturer\.qa, hospital\.biomed/,
    );
    // two keys of the same role do not make up for the missing one
    const twice = await r.authorise(releaseBody(EVIL, { version: '2.4.2' }), [
      'acme-release',
      'acme-release-old',
    ]);
    refusedAt(r.trust(), await r.prove(twice), claim(EVIL, { version: '2.4.2' }), 'endorsement');
  });

  it('U14 image never authorised in the ledger: a co-signer the policy does not know, or a revoked key → endorsement', async () => {
    const keys = new Map(policyKeyLookup(consortiumV1()));
    keys.set('mallory', pub('mallory'));
    const r = releaseLog({ gate: 'keys', keys });
    const withMallory = await r.authorise(releaseBody(EVIL), ['acme-release', 'mallory']);
    refusedAt(
      r.trust(),
      await r.prove(withMallory),
      claim(EVIL),
      'endorsement',
      /"mallory" did not count: unknown-key/,
    );
    // acme-qa-leaked was revoked at T0 + 5 days: it no longer endorses releases produced after
    const leaked = await r.authorise(
      releaseBody(EVIL, { version: '2.4.3' }),
      ['acme-release', 'acme-qa-leaked'],
      {
        ts: T0 + 6 * DAY,
      },
    );
    refusedAt(
      r.trust(),
      await r.prove(leaked),
      claim(EVIL, { version: '2.4.3' }),
      'endorsement',
      /"acme-qa-leaked" did not count: revoked/,
    );
  });

  it('U14 image never authorised in the ledger: a log that believes a forged member key → entry-signatures', async () => {
    // the log maps "acme-qa" to Mallory's key; the device knows Acme's real QA key
    const keys = new Map(policyKeyLookup(consortiumV1()));
    keys.set('acme-qa', pub('mallory'));
    const r = releaseLog({ gate: 'keys', keys });
    const index = await r.authorise(releaseBody(EVIL), ['acme-release'], {
      as: [{ keyId: 'acme-qa', with: 'mallory' }],
    });
    refusedAt(r.trust(), await r.prove(index), claim(EVIL), 'entry-signatures', /"acme-qa" does not verify/);
  });

  it('U14 image never authorised in the ledger: a stricter device policy than the log enforced → endorsement', async () => {
    const { r, proof } = await released(); // release + hospital: enough under v1, not under v2
    refusedAt(r.trust({ membership: consortiumV2() }), proof, claim(), 'endorsement', /manufacturer\.qa/);
    refusedAt(
      r.trust({ rule: { all: [{ role: 'manufacturer.release' }, { role: 'manufacturer.qa' }] } }),
      proof,
      claim(),
      'endorsement',
    );
  });

  it('U14 image never authorised in the ledger: a fully endorsed entry that was never logged → log-inclusion', async () => {
    const { r, index, proof } = await released();
    // Acme and St Mary really signed it, but it never entered the log
    let entry: UnsignedEntry | Entry = {
      origin: ORIGIN,
      kind: 'firmware.authorize',
      stream: STREAM,
      seq: 1,
      prev: toHex(r.log.entry(index).leafHash),
      ts: T0,
      body: releaseBody(EVIL),
    };
    for (const id of ['acme-release', 'mary-biomed'] as const) {
      entry = signEntry(entry, { keyId: id, secretKey: secretKey(id) });
    }
    const forged = mutable(proof);
    forged.entry.bytes = encodeBase64(encodeEntry(entry as Entry));
    refusedAt(r.trust(), forged, claim(EVIL), 'log-inclusion', /does not lead to the checkpoint root/);
  });

  it('U14 image never authorised in the ledger: an unwitnessed checkpoint → witnesses', async () => {
    // a log without witnesses: its checkpoint carries the log's signature only
    const bare = await released({ witnessCount: 0 });
    const device = releaseLog(); // the device trusts two witnesses
    refusedAt(
      device.trust({ logKey: bare.r.logVkey }),
      bare.proof,
      claim(),
      'witnesses',
      /0 of the required 2 witnesses/,
    );
    // a witnessed proof with its cosignatures stripped
    const { proof } = await released();
    const { text, lines } = noteParts(proof.checkpoint);
    const stripped = { ...proof, checkpoint: `${text}\n${lines[0]}\n` };
    refusedAt(device.trust(), stripped, claim(), 'witnesses');
    // cosigned by a witness the device does not trust
    const rogue = addNoteSignatures(stripped.checkpoint, [
      createEd25519NoteSigner({ name: 'witness.example/rogue', secretKey: new Uint8Array(32).fill(98) }),
    ]);
    refusedAt(device.trust({ witnessThreshold: 1 }), { ...proof, checkpoint: rogue }, claim(), 'witnesses');
  });

  it('U14 image never authorised in the ledger: a forged checkpoint → checkpoint-signature', async () => {
    const { r, proof } = await released();
    // the attacker's own tree, holding only their entry, signed by a key that is not the log's
    const bytes = encodeEntry(
      signEntry(
        signEntry(
          {
            origin: ORIGIN,
            kind: 'firmware.authorize',
            stream: STREAM,
            seq: 0,
            prev: '0'.repeat(64),
            ts: T0,
            body: releaseBody(EVIL),
          },
          { keyId: 'acme-release', secretKey: secretKey('acme-release') },
        ),
        { keyId: 'acme-qa', secretKey: secretKey('acme-qa') },
      ),
    );
    const impostor = signCheckpoint({ origin: ORIGIN, size: 1, rootHash: leafHash(bytes) }, logSigner(66));
    const forged = {
      ...proof,
      entry: { index: 0, bytes: encodeBase64(bytes), proof: [] },
      checkpoint: impostor,
    };
    refusedAt(r.trust(), forged, claim(EVIL), 'checkpoint-signature');
    // the genuine log signature over altered text (another size and root)
    const { text, lines } = noteParts(proof.checkpoint);
    const altered = text
      .replace(/\n\d+\n/, '\n1\n')
      .replace(/\n[A-Za-z0-9+/=]{44}\n/, `\n${encodeBase64(leafHash(bytes))}\n`);
    expect(altered).not.toBe(text);
    refusedAt(
      r.trust(),
      { ...forged, checkpoint: `${altered}\n${lines.join('\n')}\n` },
      claim(EVIL),
      'checkpoint-signature',
    );
    // a checkpoint of another log's key presented to a device that trusts this log
    refusedAt(
      r.trust(),
      { ...proof, checkpoint: signNote(text, [logSigner(41)]) },
      claim(),
      'checkpoint-signature',
    );
  });

  it('U14 image never authorised in the ledger: a tampered inclusion proof → log-inclusion', async () => {
    const { r, proof } = await released();
    const tampered: ((p: ReturnType<typeof mutable>) => void)[] = [
      (p) => {
        p.entry.proof[0] = '00'.repeat(32);
      },
      (p) => {
        p.entry.proof.pop();
      },
      (p) => {
        p.entry.proof.push(p.entry.proof[0] as string);
      },
      (p) => {
        p.entry.proof.reverse();
      },
      (p) => {
        p.entry.index = 0;
      },
      (p) => {
        p.entry.index = 99;
      },
    ];
    for (const change of tampered) {
      const p = mutable(proof);
      change(p);
      refusedAt(r.trust(), p, claim(), 'log-inclusion');
    }
  });

  it('U14 image never authorised in the ledger: a checkpoint of another origin → checkpoint-origin', async () => {
    const { r, proof } = await released();
    const { size, rootHash } = parseCheckpoint(parseNote(proof.checkpoint).text);
    const other = signCheckpoint({ origin: 'ledger.example.org/other', size, rootHash }, logSigner(9));
    refusedAt(r.trust({ origin: ORIGIN }), { ...proof, checkpoint: other }, claim(), 'checkpoint-origin');
  });
});

describe('firmware authorisation: hostile input never throws', () => {
  it('garbage proofs fail at bundle', async () => {
    const { r, proof } = await released();
    const verifier = firmwareAuthorisationVerifier(r.trust());
    const hostile: unknown[] = [
      42,
      [],
      { ...proof, version: 2 },
      { ...proof, format: 'healthit-provenance-bundle' },
      { ...proof, extra: 1 },
      { ...proof, entry: { ...proof.entry, bytes: `${proof.entry.bytes} ` } },
      { ...proof, entry: { ...proof.entry, bytes: 'A'.repeat(100_000) } },
      { ...proof, entry: { ...proof.entry, proof: Array(64).fill('00'.repeat(32)) } },
      { ...proof, entry: { ...proof.entry, proof: [proof.entry.proof[0]?.toUpperCase()] } },
      { ...proof, entry: { ...proof.entry, index: -1 } },
      { ...proof, entry: { ...proof.entry, index: 2 ** 53 } },
      { ...proof, checkpoint: 'x'.repeat(40_000) },
      ' '.repeat(200_000),
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('boom');
          },
          ownKeys: () => {
            throw new Error('boom');
          },
        },
      ),
    ];
    for (const input of hostile) {
      const verdict = verifier.verify(input, claim());
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.step).toBe('bundle');
        expect(verdict.error.reason).toBe('not-authorised');
      }
    }
  });

  it('a malformed image identity fails at image', async () => {
    const { r, proof } = await released();
    const verifier = firmwareAuthorisationVerifier(r.trust());
    const bad: unknown[] = [
      null,
      'po-200',
      { ...claim(), sha256: GOOD.sha256.toUpperCase() },
      { ...claim(), sha256: GOOD.sha256.slice(1) },
      { ...claim(), version: '' },
      { sha256: GOOD.sha256, version: '2.4.1' },
      { ...claim(), hardwareId: 'po 200' },
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('boom');
          },
        },
      ),
    ];
    for (const image of bad) {
      const verdict = verifier.verify(proof, image as ReturnType<typeof claim>);
      expect(verdict.ok ? 'ok' : verdict.step).toBe('image');
      if (!verdict.ok) expect(verdict.error).toBeInstanceOf(UpdateRejectedError);
    }
  });

  it('accepts a VerifiedUpdate-shaped image: extra members are ignored', async () => {
    const { r, proof } = await released();
    const update = {
      ...claim(),
      targetPath: 'po-200/rev-a/2.4.1.bin',
      sequence: 7,
      length: 4096,
      image: GOOD.bytes,
    };
    expect(firmwareAuthorisationVerifier(r.trust()).verify(proof, update).ok).toBe(true);
  });
});

describe('firmwareAuthorisationVerifier: options', () => {
  it('refuses a configuration that would accept an unwitnessed checkpoint or no endorsement rule', () => {
    const r = releaseLog();
    expect(() => firmwareAuthorisationVerifier(r.trust({ witnesses: [] }))).toThrow(RangeError);
    expect(() => firmwareAuthorisationVerifier(r.trust({ witnessThreshold: 0 }))).toThrow(RangeError);
    expect(() => firmwareAuthorisationVerifier(r.trust({ witnessThreshold: 3 }))).toThrow(RangeError);
    expect(() => firmwareAuthorisationVerifier(r.trust({ logKey: r.witnessVkeys[0] as string }))).toThrow(
      RangeError,
    );
    expect(() => firmwareAuthorisationVerifier(r.trust({ witnesses: [r.logVkey] }))).toThrow(RangeError);
    const { 'firmware.authorize': _firmware, ...endorsement } = r.membership.endorsement;
    expect(() =>
      firmwareAuthorisationVerifier(r.trust({ membership: { ...r.membership, endorsement } })),
    ).toThrow(/no firmware\.authorize rule/);
    expect(() =>
      firmwareAuthorisationVerifier(r.trust({ membership: { ...r.membership, version: 0 } })),
    ).toThrow(ValidationError);
    expect(() =>
      firmwareAuthorisationVerifier(r.trust({ rule: { atLeast: 3, of: [{ role: 'manufacturer.qa' }] } })),
    ).toThrow(ValidationError);
  });
});

describe('buildFirmwareAuthorisationProof', () => {
  it('refuses a bad index, a checkpoint that does not cover it, or another log’s checkpoint', async () => {
    const r = releaseLog();
    const index = await r.authorise(releaseBody(GOOD), ['acme-release', 'acme-qa']);
    const early = await r.log.awaitCheckpoint(index);
    const later = await r.authorise(releaseBody(GOOD, { version: '2.4.2' }), ['acme-release', 'acme-qa']);
    await r.log.awaitCheckpoint(later);
    expect(() => buildFirmwareAuthorisationProof({ log: r.log, index: -1, checkpointNote: early })).toThrow(
      RangeError,
    );
    expect(() =>
      buildFirmwareAuthorisationProof({ log: r.log, index: later, checkpointNote: early }),
    ).toThrow(/covers 1 entries/);
    const { size, rootHash } = parseCheckpoint(parseNote(early).text);
    const otherRoot = signCheckpoint(
      { origin: ORIGIN, size, rootHash: rootHash.map((b) => b ^ 1) },
      logSigner(9),
    );
    expect(() => buildFirmwareAuthorisationProof({ log: r.log, index, checkpointNote: otherRoot })).toThrow(
      /does not lead to the checkpoint's root/,
    );
    expect(() =>
      buildFirmwareAuthorisationProof({ log: r.log, index, checkpointNote: `${early}${'x'.repeat(40_000)}` }),
    ).toThrow(RangeError);
  });
});
