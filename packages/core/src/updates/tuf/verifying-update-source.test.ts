import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { isHealthItError } from '../../errors/health-it-error.js';
import { createIdentity, publicIdentity } from '../../security/identity.js';
import { createFakeClock } from '../../time/fake-clock.js';
import type { FirmwareAuthorisationVerifier } from '../authorisation/firmware-authorisation.js';
import { encodeSuitEnvelope } from '../suit/encode-envelope.js';
import { encodeEncryptedImage, encryptImage } from '../suit/image-encryption.js';
import { suitClassId, suitVendorId } from '../suit/uuid.js';
import { UpdateRejectedError, type UpdateRejection } from '../update-rejected-error.js';
import { DirectorRepository, directorImage } from './director-repository.js';
import { repositoryFetcher } from './repository-fetcher.js';
import { tempDirs } from './test-fixtures/temp-dirs.js';
import { TufClient } from './tuf-client.js';
import { TufRepository } from './tuf-repository.js';
import {
  releaseTargetPaths,
  type VerifyingUpdateRequest,
  type VerifyingUpdateSourceOptions,
  verifyingUpdateSource,
} from './verifying-update-source.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const HW = 'po-200.rev-a';
const PATH = 'po-200/rev-a/2.5.0.bin';
const vendorId = suitVendorId('healthit.example');
const classA = suitClassId(vendorId, HW);
const classB = suitClassId(vendorId, 'po-200.rev-b');
const vendorSeed = new Uint8Array(32).fill(7);
const vendorKey = {
  algorithm: 'EdDSA' as const,
  publicKey: ed25519.getPublicKey(vendorSeed),
  name: 'vendor',
};
const device = createIdentity({ id: 'po-1', kind: 'device', sealingSecretKey: new Uint8Array(32).fill(9) });
const image = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) & 0xff);
const hex = (b: Uint8Array) => bytesToHex(sha256(b));
const encoder = new TextEncoder();

/**
 * A minimal ledger port for this unit test: it trusts a set of authorised digests (as the real
 * verifier trusts a log and a policy) and the proof must name one of them. The real verifier runs
 * in `test/ota-end-to-end.test.ts`.
 */
function authoriserOf(authorised: ReadonlySet<string>): FirmwareAuthorisationVerifier {
  return {
    verify(proof, identity) {
      const named = typeof proof === 'string' ? (JSON.parse(proof) as { sha256?: string }).sha256 : undefined;
      if (named === identity.sha256 && authorised.has(named))
        return {
          ok: true,
          authorisation: {
            ...identity,
            hardwareIds: [identity.hardwareId],
            endorsers: [],
            receipt: { logId: '0'.repeat(64), index: 0, entryHash: '1'.repeat(64) },
            checkpoint: { origin: 'log.example', size: 1, rootHash: '2'.repeat(64) },
            witnesses: ['w1'],
          },
        };
      const error = new UpdateRejectedError('not-authorised', 'no authorisation', {
        detail: { step: 'bundle' },
      });
      return { ok: false, step: 'bundle', reason: 'no authorisation', error };
    },
  };
}

interface Release {
  readonly sequence?: number;
  readonly classId?: Uint8Array;
  readonly signer?: Uint8Array;
  readonly proof?: boolean;
  readonly encrypted?: boolean;
}

async function setup(
  release: Release = {},
  extra: Partial<VerifyingUpdateSourceOptions> & { readonly withoutKey?: boolean } = {},
) {
  const { withoutKey, ...options } = extra;
  const clock = createFakeClock(Date.now());
  const images = new TufRepository({ clock });
  const paths = releaseTargetPaths(PATH);
  const published = release.encrypted
    ? encodeEncryptedImage(encryptImage(image, [publicIdentity(device)]))
    : image;
  images.addTarget(paths.image, published, {
    custom: { hardwareId: HW, version: '2.5.0', ...(release.encrypted ? { encrypted: true } : {}) },
  });
  const envelope = encodeSuitEnvelope(
    {
      sequenceNumber: release.sequence ?? 250,
      components: [
        {
          id: [encoder.encode('firmware')],
          vendorId,
          classId: release.classId ?? classA,
          imageDigest: { algorithm: -16, bytes: sha256(image) },
          imageSize: image.length,
        },
      ],
    },
    [{ algorithm: 'EdDSA', secretKey: release.signer ?? vendorSeed }],
  );
  images.addTarget(paths.suit, envelope);
  if (release.proof !== false)
    images.addTarget(paths.authorisation, encoder.encode(JSON.stringify({ sha256: hex(image) })));
  images.publish();
  const director = new DirectorRepository({ clock });
  director.registerDevice({ deviceId: 'po-1', hardwareId: HW, installedVersion: '2.4.0' });
  const source = verifyingUpdateSource({
    deviceId: 'po-1',
    hardwareId: HW,
    director: await TufClient.create({
      metadataDir: await dirs.make(),
      trustedRoot: director.trustedRoot('po-1'),
      fetcher: director.fetcher('po-1'),
      clock,
    }),
    images: await TufClient.create({
      metadataDir: await dirs.make(),
      trustedRoot: images.root(),
      fetcher: repositoryFetcher(images),
      clock,
    }),
    suit: { trustedKeys: [vendorKey], vendorId, classId: classA },
    authoriser: authoriserOf(new Set([hex(image)])),
    ...(withoutKey ? {} : { opener: { id: device.id, secretKey: device.sealing.secretKey } }),
    ...options,
  });
  const assign = () => director.assign('po-1', directorImage(images.targetInfo(PATH) as never));
  return { source, assign, director, images };
}

const request: VerifyingUpdateRequest = {
  hardwareId: HW,
  targetPath: PATH,
  version: '2.5.0',
  installed: { version: '2.4.0', sequence: 240 },
  antiRollbackCounter: 240,
};

async function refused(promise: Promise<unknown>, reason: UpdateRejection): Promise<UpdateRejectedError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(value).slice(0, 80)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpdateRejectedError);
  expect((error as UpdateRejectedError).reason).toBe(reason);
  return error as UpdateRejectedError;
}

describe('verifyingUpdateSource', () => {
  it('delivers the assigned image with the SUIT sequence once TUF, director, SUIT and ledger agree', async () => {
    const { source, assign } = await setup();
    assign();
    const update = await source.fetch(request);
    expect(update).toMatchObject({
      targetPath: PATH,
      version: '2.5.0',
      sequence: 250,
      hardwareId: HW,
      sha256: hex(image),
      length: image.length,
    });
    expect(update.image).toEqual(image);
  });

  it('decrypts an image encrypted to the device and checks the plaintext (U15)', async () => {
    const { source, assign } = await setup({ encrypted: true });
    assign();
    expect((await source.fetch(request)).image).toEqual(image);
  });

  it('refuses an encrypted image without the device key (U15)', async () => {
    const { source, assign } = await setup({ encrypted: true }, { withoutKey: true });
    assign();
    await refused(source.fetch(request), 'decryption');
  });

  it('refuses an image the ledger never authorised (U14): no proof published, or a proof of nothing trusted', async () => {
    const missing = await setup({ proof: false });
    missing.assign();
    await refused(missing.source.fetch(request), 'not-authorised');
    const untrusted = await setup({}, { authoriser: authoriserOf(new Set()) });
    untrusted.assign();
    await refused(untrusted.source.fetch(request), 'not-authorised');
  });

  it('refuses a manifest signed by a key the device does not trust (U1)', async () => {
    const { source, assign } = await setup({ signer: new Uint8Array(32).fill(8) });
    assign();
    await refused(source.fetch(request), 'signature');
  });

  it('refuses a sequence number not above the anti-rollback counter (U3)', async () => {
    const { source, assign } = await setup({ sequence: 240 });
    assign();
    await refused(source.fetch(request), 'rollback');
  });

  it('refuses a manifest for another hardware class (U8)', async () => {
    const { source, assign } = await setup({ classId: classB });
    assign();
    await refused(source.fetch(request), 'wrong-hardware');
  });

  it('refuses a command naming another target than the director assigns', async () => {
    const { source, assign } = await setup();
    assign();
    await refused(source.fetch({ ...request, targetPath: 'po-200/rev-a/2.6.0.bin' }), 'director-mismatch');
    await refused(source.fetch({ ...request, hardwareId: 'po-200.rev-b' }), 'wrong-hardware');
  });

  it('reports nothing assigned as unavailable, not as a refusal', async () => {
    const { source } = await setup();
    const { targetPath: _path, version: _version, ...uncommanded } = request;
    const error = await source.fetch(uncommanded).catch((e: unknown) => e);
    expect(isHealthItError(error, 'update/unavailable')).toBe(true);
  });
});
