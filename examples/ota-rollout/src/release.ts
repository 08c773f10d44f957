/**
 * The release side: the manufacturer builds two firmware images (one per hardware revision), signs
 * their SUIT manifests, has the release endorsed by the manufacturer's release manager and the
 * hospital's biomedical engineering on a witnessed transparency log, and publishes image, manifest
 * and authorisation proof as TUF targets of the image repository. The director assigns images to
 * devices. All keys come from the run's seed.
 */
import { createHash } from 'node:crypto';
import {
  encodeSuitEnvelope,
  type SuitTrustedKey,
  suitClassId,
  suitDigestOf,
  suitVendorId,
} from '@healthit/core/updates';
import {
  DirectorRepository,
  directorImage,
  releaseTargetPaths,
  TufRepository,
  type UpdateFetcher,
  UpdateFileNotFoundError,
} from '@healthit/core/updates/tuf';
import {
  buildFirmwareAuthorisationProof,
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createTransparencyLog,
  createWitness,
  entries,
  type FirmwareAuthorisationVerifierOptions,
  formatVerifierKey,
  ledgerKeyFromSeed,
  policy,
  SignatureTypes,
  type TransparencyLog,
} from '@healthit/ledger';
import { ed25519PublicKey, type Rng, seedBytes } from './rng.js';

/** The two hardware revisions of the simulated pulse oximeter. */
export const HARDWARE = ['po-200.rev-a', 'po-200.rev-b'] as const;
export type HardwareId = (typeof HARDWARE)[number];

export const FACTORY = { version: '2.4.0', sequence: 240 } as const;
export const RELEASE = { version: '2.5.0', sequence: 250 } as const;
export const VENDOR_DOMAIN = 'healthit.example';
export const LOG_ORIGIN = 'ledger.healthit.example/firmware';
const STREAM = 'lot:po-200-firmware';
const DAY = 86_400_000;

/** Hex SHA-256. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The TUF target path of a release for one hardware revision, e.g. `po-200/rev-a/2.5.0.bin`. */
export function imagePath(hardwareId: string, version: string): string {
  return `po-200/${hardwareId.split('.')[1]}/${version}.bin`;
}

/**
 * A firmware image: a small header naming what it is (the simulation reads `sensorDriver` on the
 * trial boot) and deterministic filler bytes.
 */
export function buildImage(
  hardwareId: string,
  version: string,
  sensorDriver: string,
  size: number,
): Uint8Array {
  const header = new TextEncoder().encode(`${JSON.stringify({ hardwareId, version, sensorDriver })}\n`);
  const image = new Uint8Array(size);
  image.set(header);
  for (let i = header.length; i < size; i++)
    image[i] = (i * 131 + version.length * 7 + hardwareId.length) & 0xff;
  return image;
}

/** What a device of one hardware revision is provisioned with to check releases. */
export interface DeviceTrust {
  readonly suitKeys: readonly SuitTrustedKey[];
  readonly vendorId: Uint8Array;
  readonly classId: (hardwareId: string) => Uint8Array;
  readonly authorisation: FirmwareAuthorisationVerifierOptions;
  readonly imagesRoot: Uint8Array;
}

/** An image as released, for the summary and the simulation. */
export interface ReleasedImage {
  readonly hardwareId: HardwareId;
  readonly path: string;
  readonly sha256: string;
  readonly length: number;
  /** Index of its `firmware.authorize` entry in the log, or undefined when never authorised. */
  readonly ledgerIndex?: number;
  readonly endorsedBy: readonly string[];
}

/** The platform's repositories and the release's trust anchors. */
export interface Platform {
  readonly images: TufRepository;
  readonly director: DirectorRepository;
  readonly log: TransparencyLog;
  readonly trust: DeviceTrust;
  readonly factory: Readonly<Record<HardwareId, Uint8Array>>;
  readonly released: Readonly<Record<HardwareId, ReleasedImage>>;
  /** The platform's update repository as one file tree: `metadata/`, `targets/`, `director/<device>/metadata/`. */
  readonly upstream: UpdateFetcher;
  /**
   * Assigns the campaign's image for the device (`targetPath`) in the director, before the command
   * is signed; the director refuses an image for other hardware (`wrong-hardware`).
   */
  assign(deviceId: string, targetPath: string): string;
  close(): Promise<void>;
}

/** Options of {@link createPlatform}. */
export interface PlatformOptions {
  readonly rng: Rng;
  /** Bytes per image (default 16 KiB). */
  readonly imageBytes?: number;
  /** Hardware whose new image carries the faulty sensor driver (default rev-b). */
  readonly faultyOn?: readonly string[];
  /** Hardware whose release is published but never authorised in the ledger (default none). */
  readonly unauthorisedOn?: readonly string[];
  /** Producer time of the ledger entries (default now). */
  readonly now?: number;
}

function consortium(keys: Record<string, string>, from: number) {
  const key = (id: string, roles: string[]) => ({ id, publicKey: keys[id], roles, from });
  return policy.parseMembershipPolicy({
    policyId: 'po-200-firmware-consortium',
    version: 1,
    organisations: [
      {
        id: 'acme-medical',
        name: 'Acme Medical Devices',
        keys: [key('acme-release', ['manufacturer.release']), key('acme-admin', ['consortium.admin'])],
      },
      {
        id: 'st-mary',
        name: 'St Mary Hospital, Biomedical Engineering',
        keys: [key('mary-biomed', ['hospital.biomed']), key('mary-admin', ['consortium.admin'])],
      },
    ],
    endorsement: {
      'firmware.authorize': { all: [{ role: 'manufacturer.release' }, { role: 'hospital.biomed' }] },
    },
    witnesses: { keys: [], k: 0 },
    admin: { all: [{ role: 'consortium.admin' }, { role: 'consortium.admin' }] },
  });
}

/**
 * Builds the platform: ledger (witnessed log, two-organisation policy), image repository with the
 * release's three targets per hardware revision, director with no assignment yet.
 */
export async function createPlatform(options: PlatformOptions): Promise<Platform> {
  const { rng } = options;
  const size = options.imageBytes ?? 16 * 1024;
  const faultyOn = new Set(options.faultyOn ?? ['po-200.rev-b']);
  const unauthorised = new Set(options.unauthorisedOn ?? []);
  const now = options.now ?? Date.now();

  // The ledger: members' keys, a log signer and two witnesses, all from the seed.
  const memberSecrets: Record<string, Uint8Array> = {};
  const memberPublic: Record<string, string> = {};
  for (const id of ['acme-release', 'acme-admin', 'mary-biomed', 'mary-admin']) {
    const k = ledgerKeyFromSeed(seedBytes(rng));
    memberSecrets[id] = k.secretKey;
    memberPublic[id] = Buffer.from(k.publicKey).toString('hex');
  }
  const membership = consortium(memberPublic, now - DAY);
  const logSigner = createEd25519NoteSigner({ name: LOG_ORIGIN, secretKey: seedBytes(rng) });
  const witnesses = ['witness.healthit.example/w1', 'witness.example.org/w2'].map((name) =>
    createWitness({ key: { name, secretKey: seedBytes(rng) }, log: createEd25519NoteVerifier(logSigner) }),
  );
  const log = createTransparencyLog({
    origin: LOG_ORIGIN,
    signer: logSigner,
    policy: membership,
    witnesses,
    batch: { maxEntries: 64, maxWaitMs: 0 },
    checkpointEveryMs: 0,
  });

  // The vendor's SUIT key and ids.
  const suitSeed = seedBytes(rng);
  const vendorId = suitVendorId(VENDOR_DOMAIN);
  const classId = (hardwareId: string) => suitClassId(vendorId, hardwareId);

  const images = new TufRepository();
  const factory = {} as Record<HardwareId, Uint8Array>;
  const released = {} as Record<HardwareId, ReleasedImage>;
  let prev: { seq: number; hash: string } | undefined;
  for (const hardwareId of HARDWARE) {
    factory[hardwareId] = buildImage(hardwareId, FACTORY.version, 'spo2-v2', size);
    const driver = faultyOn.has(hardwareId) ? 'spo2-v3' : 'spo2-v2';
    const image = buildImage(hardwareId, RELEASE.version, driver, size);
    const paths = releaseTargetPaths(imagePath(hardwareId, RELEASE.version));
    const envelope = encodeSuitEnvelope(
      {
        sequenceNumber: RELEASE.sequence,
        components: [
          {
            id: [new TextEncoder().encode('firmware')],
            vendorId,
            classId: classId(hardwareId),
            imageDigest: suitDigestOf(image),
            imageSize: image.length,
            uri: `https://updates.healthit.example/${paths.image}`,
          },
        ],
      },
      [{ algorithm: 'EdDSA', secretKey: suitSeed }],
    );
    images.addTarget(paths.image, image, { custom: { hardwareId, version: RELEASE.version } });
    images.addTarget(paths.suit, envelope);
    const sha256 = sha256Hex(image);
    let ledgerIndex: number | undefined;
    const endorsedBy: string[] = [];
    if (!unauthorised.has(hardwareId)) {
      let entry: entries.UnsignedEntry | entries.Entry = {
        origin: LOG_ORIGIN,
        kind: 'firmware.authorize',
        stream: STREAM,
        seq: prev === undefined ? 0 : prev.seq + 1,
        prev: prev?.hash ?? entries.ZERO_HASH,
        ts: now,
        body: {
          imageDigest: sha256,
          version: RELEASE.version,
          hardwareIds: [hardwareId],
          minPreviousVersion: FACTORY.version,
        },
      } as entries.UnsignedEntry;
      for (const id of ['acme-release', 'mary-biomed']) {
        entry = entries.signEntry(entry, { keyId: id, secretKey: memberSecrets[id] as Uint8Array });
        endorsedBy.push(id);
      }
      const signed = entry as entries.Entry;
      ledgerIndex = (await log.append(signed)).index;
      prev = { seq: signed.seq, hash: entries.entryHash(signed) };
    }
    released[hardwareId] = {
      hardwareId,
      path: paths.image,
      sha256,
      length: image.length,
      endorsedBy,
      ...(ledgerIndex === undefined ? {} : { ledgerIndex }),
    };
  }
  // Proofs against one checkpoint covering the whole log, published next to each image.
  if (log.size > 0) {
    const checkpointNote = await log.awaitCheckpoint(log.size - 1);
    for (const hardwareId of HARDWARE) {
      const index = released[hardwareId].ledgerIndex;
      if (index === undefined) continue;
      const proof = buildFirmwareAuthorisationProof({ log, index, checkpointNote });
      images.addTarget(
        releaseTargetPaths(released[hardwareId].path).authorisation,
        new TextEncoder().encode(JSON.stringify(proof)),
      );
    }
  }
  images.publish();

  const director = new DirectorRepository();
  const upstream: UpdateFetcher = {
    async fetch(path, { maxLength, signal }) {
      signal.throwIfAborted();
      const director$ = /^director\/([^/]+)\/(.+)$/.exec(path);
      const bytes =
        director$ === null
          ? images.get(path)
          : director.device(director$[1] as string) === undefined
            ? undefined
            : director.repository(director$[1] as string).get(director$[2] as string);
      if (bytes === undefined) throw new UpdateFileNotFoundError(path);
      return bytes.slice(0, Math.min(bytes.length, maxLength + 1));
    },
  };

  return {
    images,
    director,
    log,
    factory,
    released,
    upstream,
    trust: {
      suitKeys: [{ algorithm: 'EdDSA', publicKey: ed25519PublicKey(suitSeed), name: 'acme-firmware-2026' }],
      vendorId,
      classId,
      authorisation: {
        logKey: formatVerifierKey(LOG_ORIGIN, logSigner.publicKey),
        witnesses: witnesses.map((w) =>
          formatVerifierKey(w.name, w.verifier.publicKey, SignatureTypes.cosignatureV1),
        ),
        membership,
      },
      imagesRoot: images.root(),
    },
    assign(deviceId, targetPath) {
      const info = images.targetInfo(targetPath);
      if (info === undefined) throw new RangeError(`${targetPath} is not published`);
      director.assign(deviceId, directorImage(info));
      return targetPath;
    },
    close: () => log.close(),
  };
}
