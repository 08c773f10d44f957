import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../time/fake-clock.js';
import { UpdateRejectedError, type UpdateRejection } from '../update-rejected-error.js';
import type { VerifiedUpdate } from '../verified-update.js';
import { DirectorRepository, directorImage } from './director-repository.js';
import { repositoryFetcher } from './repository-fetcher.js';
import { tempDirs } from './test-fixtures/temp-dirs.js';
import { attempt } from './test-fixtures/tuf-attacker.js';
import { TufClient } from './tuf-client.js';
import { TufRepository } from './tuf-repository.js';
import { UptaneClient } from './uptane-client.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const REV_A = 'po-200/2.4.1.bin';
const REV_B = 'po-200/rev-b/2.4.1.bin';
const image = (n: number, size = 2048) => Uint8Array.from({ length: size }, (_, i) => (i * 13 + n) & 0xff);
const hex = (bytes: Uint8Array) => bytesToHex(sha256(bytes));

async function setup() {
  const clock = createFakeClock(Date.now());
  const images = new TufRepository({ clock });
  images.addTarget(REV_A, image(1), {
    custom: { hardwareId: 'po-200.rev-a', version: '2.4.1', suit: 'po-200/2.4.1.suit' },
  });
  images.addTarget(REV_B, image(2), { custom: { hardwareId: 'po-200.rev-b', version: '2.4.1' } });
  images.addTarget('po-200/2.3.0.bin', image(3), {
    custom: { hardwareId: 'po-200.rev-a', version: '2.3.0' },
  });
  images.publish();
  const director = new DirectorRepository({ clock });
  director.registerDevice({ deviceId: 'po-17', hardwareId: 'po-200.rev-a', installedVersion: '2.4.0' });
  director.registerDevice({ deviceId: 'po-18', hardwareId: 'po-200.rev-a', installedVersion: '2.4.0' });
  const state = { installed: '2.4.0' };
  const uptane = new UptaneClient({
    deviceId: 'po-17',
    hardwareId: 'po-200.rev-a',
    installedVersion: () => state.installed,
    director: await TufClient.create({
      metadataDir: await dirs.make(),
      trustedRoot: director.trustedRoot('po-17'),
      fetcher: director.fetcher('po-17'),
      clock,
    }),
    images: await TufClient.create({
      metadataDir: await dirs.make(),
      trustedRoot: images.root(),
      fetcher: repositoryFetcher(images),
      clock,
    }),
  });
  /** A compromised director key: list whatever it likes for po-17. */
  const forge = (path: string, length: number, sha: string, custom: Record<string, string>) => {
    const repo = director.repository('po-17');
    repo.addTarget(
      path,
      { length, sha256: sha },
      { custom: { deviceId: 'po-17', version: '2.4.1', ...custom } },
    );
    repo.publish();
  };
  return { clock, images, director, uptane, state, forge };
}

async function expectRejected(promise: Promise<unknown>, reason: UpdateRejection, subject?: string) {
  const { value, error } = await attempt(promise);
  expect(value).toBeUndefined();
  expect(error).toBeInstanceOf(UpdateRejectedError);
  expect((error as UpdateRejectedError).reason).toBe(reason);
  if (subject !== undefined) expect((error as UpdateRejectedError).subject).toBe(subject);
  return error as UpdateRejectedError;
}

describe('Uptane director + image repository', () => {
  it('delivers the image the director assigns, with what a VerifiedUpdate needs', async () => {
    const { images, director, uptane, state } = await setup();
    expect(await uptane.update()).toEqual([]); // nothing assigned yet
    director.assign('po-17', directorImage(images.targetInfo(REV_A) as never));
    const [update, ...more] = await uptane.update();
    expect(more).toEqual([]);
    expect(update).toMatchObject({
      targetPath: REV_A,
      version: '2.4.1',
      hardwareId: 'po-200.rev-a',
      deviceId: 'po-17',
      length: 2048,
      sha256: hex(image(1)),
      custom: { suit: 'po-200/2.4.1.suit' },
    });
    expect(update?.image).toEqual(image(1));
    const verified: VerifiedUpdate | undefined = update && { ...update, sequence: 7 };
    expect(verified?.image).toBe(update?.image);
    // once installed, the same assignment is no update
    state.installed = '2.4.1';
    director.reportInstalled('po-17', '2.4.1');
    expect(await uptane.update()).toEqual([]);
  });

  it('the director refuses to assign an image for other hardware or an older version', () => {
    const director = new DirectorRepository();
    director.registerDevice({ deviceId: 'd', hardwareId: 'po-200.rev-a', installedVersion: '2.4.0' });
    const base = { path: 'x.bin', length: 1, sha256: '0'.repeat(64) };
    expect(() => director.assign('d', { ...base, hardwareId: 'po-200.rev-b', version: '2.5.0' })).toThrow(
      expect.objectContaining({ reason: 'wrong-hardware' }),
    );
    expect(() => director.assign('d', { ...base, hardwareId: 'po-200.rev-a', version: '2.3.9' })).toThrow(
      expect.objectContaining({ reason: 'rollback' }),
    );
    expect(() =>
      director.assign('nobody', { ...base, hardwareId: 'po-200.rev-a', version: '2.5.0' }),
    ).toThrow(RangeError);
  });

  it('U8 image for the wrong hardware: an image the director assigns for other hardware is refused', async () => {
    const { uptane, forge } = await setup();
    forge(REV_B, 2048, hex(image(2)), { hardwareId: 'po-200.rev-b' });
    await expectRejected(uptane.update(), 'wrong-hardware', REV_B);
  });

  it('U8 image for the wrong hardware: a director claiming this hardware is contradicted by the image repository', async () => {
    const { uptane, forge } = await setup();
    forge(REV_B, 2048, hex(image(2)), { hardwareId: 'po-200.rev-a' });
    await expectRejected(uptane.update(), 'wrong-hardware', REV_B);
  });

  it('U11 director and image repository disagree: other hashes for the same path are refused', async () => {
    const evil = image(66);
    const { uptane, forge } = await setup();
    forge(REV_A, evil.length, hex(evil), { hardwareId: 'po-200.rev-a' });
    const e = await expectRejected(uptane.update(), 'director-mismatch', REV_A);
    expect(e.message).toMatch(/sha256/);
  });

  it('U11 director and image repository disagree: another length for the same path is refused', async () => {
    const { uptane, forge } = await setup();
    forge(REV_A, 4096, hex(image(1)), { hardwareId: 'po-200.rev-a' });
    await expectRejected(uptane.update(), 'director-mismatch', REV_A);
  });

  it('U11 director and image repository disagree: a path the image repository does not list is refused', async () => {
    const evil = image(66);
    const { uptane, forge } = await setup();
    forge('po-200/evil.bin', evil.length, hex(evil), { hardwareId: 'po-200.rev-a' });
    await expectRejected(uptane.update(), 'director-mismatch', 'po-200/evil.bin');
  });

  it('U11 director and image repository disagree: another version for the same image is refused', async () => {
    const { uptane, forge } = await setup();
    forge(REV_A, 2048, hex(image(1)), { hardwareId: 'po-200.rev-a', version: '9.0.0' });
    await expectRejected(uptane.update(), 'director-mismatch', REV_A);
  });

  it('U11 director and image repository disagree: an assignment addressed to another device is refused', async () => {
    const { uptane, forge } = await setup();
    forge(REV_A, 2048, hex(image(1)), { hardwareId: 'po-200.rev-a', deviceId: 'po-18' });
    await expectRejected(uptane.update(), 'director-mismatch', REV_A);
  });

  it('U3 rollback to an older version: a director assignment older than the installed firmware is refused', async () => {
    const { uptane, forge } = await setup();
    forge('po-200/2.3.0.bin', 2048, hex(image(3)), { hardwareId: 'po-200.rev-a', version: '2.3.0' });
    await expectRejected(uptane.update(), 'rollback', 'po-200/2.3.0.bin');
  });

  it('refuses malformed director custom fields', async () => {
    const { uptane, forge } = await setup();
    forge(REV_A, 2048, hex(image(1)), { hardwareId: 'po-200.rev-a', version: 'latest' });
    await expectRejected(uptane.update(), 'malformed', REV_A);
  });

  it('a director signed by another key is refused before any assignment is read', async () => {
    const { clock, images } = await setup();
    const director = new DirectorRepository({ clock });
    const impostor = new DirectorRepository({ clock });
    for (const d of [director, impostor])
      d.registerDevice({ deviceId: 'po-17', hardwareId: 'po-200.rev-a', installedVersion: '2.4.0' });
    impostor.assign('po-17', directorImage(images.targetInfo(REV_A) as never));
    const uptane = new UptaneClient({
      deviceId: 'po-17',
      hardwareId: 'po-200.rev-a',
      installedVersion: () => '2.4.0',
      director: await TufClient.create({
        metadataDir: await dirs.make(),
        trustedRoot: director.trustedRoot('po-17'),
        fetcher: impostor.fetcher('po-17'),
        clock,
      }),
      images: await TufClient.create({
        metadataDir: await dirs.make(),
        trustedRoot: images.root(),
        fetcher: repositoryFetcher(images),
        clock,
      }),
    });
    await expectRejected(uptane.update(), 'signature');
  });
});
