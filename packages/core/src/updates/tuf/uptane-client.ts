import { UpdateRejectedError } from '../update-rejected-error.js';
import { compareFirmwareVersions } from './firmware-version.js';
import type { TufClient, TufTargetInfo } from './tuf-client.js';
import { DirectorTargetCustom, ImageTargetCustom } from './uptane-custom.js';

/** Options of {@link UptaneClient}. */
export interface UptaneClientOptions {
  /** This device's id: the director's assignments must name it (else `director-mismatch`). */
  readonly deviceId: string;
  /**
   * This device's hardware id, e.g. `po-200.rev-a`: both repositories must list the image for it
   * (else `wrong-hardware`).
   */
  readonly hardwareId: string;
  /** The firmware version installed now (read at every check). */
  readonly installedVersion: () => string;
  /** A client of this device's director repository. */
  readonly director: TufClient;
  /** A client of the image repository (may be shared by the devices of one gateway). */
  readonly images: TufClient;
}

/**
 * An image the director assigned to this device, checked against the image repository: same path,
 * length and hashes, this device's id and hardware id, a version newer than the installed one.
 */
export interface ImageAssignment {
  /** The target path in both repositories, e.g. `po-200/2.4.1.bin`. */
  readonly targetPath: string;
  /** The assigned firmware version, e.g. `2.4.1`: newer than the installed one. */
  readonly version: string;
  /** This device's hardware id, which both repositories list for the image. */
  readonly hardwareId: string;
  /** This device's id, which the director's assignment names. */
  readonly deviceId: string;
  /** The image's length, bytes, as both repositories list it. */
  readonly length: number;
  /** Lower-case hex SHA-256 of the image, as both repositories list it. */
  readonly sha256: string;
  /**
   * Hash algorithm → lower-case hex digest, as the image repository lists them (the director lists
   * the same).
   */
  readonly hashes: Readonly<Record<string, string>>;
  /** The image repository's custom fields for the image (e.g. a SUIT manifest path). */
  readonly custom: Readonly<Record<string, unknown>>;
  /** The director's custom fields for the assignment. */
  readonly directorCustom: Readonly<Record<string, unknown>>;
}

/**
 * A downloaded image that passed every TUF and Uptane check. With the SUIT manifest's sequence
 * number it makes a `VerifiedUpdate` (`targetPath`, `version`, `hardwareId`, `sha256`, `length`,
 * `image` are the same fields).
 */
export interface AssignedImage extends ImageAssignment {
  /** A private copy of exactly the verified bytes. */
  readonly image: Uint8Array;
}

/**
 * The device side of Uptane (director + image repository): for each image the director assigns to
 * this device, the image repository must list the same path with the same length and hashes
 * (else `director-mismatch`, U11), the hardware id must be this device's (else `wrong-hardware`,
 * U8), and the version must not be older than the installed one (else `rollback`). An assignment
 * of the installed version is not an update and is skipped. Any refusal refuses the whole check:
 * nothing is returned.
 *
 * @example
 * ```ts
 * const uptane = new UptaneClient({ deviceId, hardwareId, installedVersion: () => slots.activeVersion, director, images });
 * for (const update of await uptane.update()) {
 *   const verified: VerifiedUpdate = { ...pick(update), sequence: suit.sequence };
 * }
 * ```
 */
export class UptaneClient {
  readonly #options: UptaneClientOptions;

  /**
   * Makes a client over the two TUF clients in `options`; nothing is fetched until
   * {@link UptaneClient.refresh} or {@link UptaneClient.assignments}.
   * @param options - This device's ids, its installed version and clients of its director and image
   *   repositories.
   */
  constructor(options: UptaneClientOptions) {
    this.#options = options;
  }

  /** Refreshes the director's metadata, then the image repository's. */
  async refresh(): Promise<void> {
    await this.#options.director.refresh();
    await this.#options.images.refresh();
  }

  /**
   * The checked assignments from the last refreshed metadata (refreshing first if never done).
   * @throws {UpdateRejectedError} `director-mismatch`, `wrong-hardware`, `rollback` or `malformed`
   * (with the target path as subject), or a TUF reason from either repository.
   */
  async assignments(): Promise<readonly ImageAssignment[]> {
    const { director, images, deviceId, hardwareId } = this.#options;
    const installed = this.#options.installedVersion();
    const out: ImageAssignment[] = [];
    for (const assigned of await director.listTargets()) {
      const path = assigned.path;
      const ordered = parse(DirectorTargetCustom, assigned.custom, `director's assignment of ${path}`, path);
      if (ordered.deviceId !== deviceId)
        throw reject(
          'director-mismatch',
          path,
          `The director assigns ${path} to ${ordered.deviceId}, not ${deviceId}`,
        );
      if (ordered.hardwareId !== hardwareId)
        throw reject(
          'wrong-hardware',
          path,
          `${path} is for ${ordered.hardwareId}, this device is ${hardwareId}`,
        );
      const order = compareFirmwareVersions(ordered.version, installed);
      if (order < 0)
        throw reject(
          'rollback',
          path,
          `The director assigns ${ordered.version}, older than the installed ${installed}`,
        );
      if (order === 0) continue;
      const image = await images.targetInfo(path);
      if (image === undefined)
        throw reject(
          'director-mismatch',
          path,
          `The image repository does not list ${path}, which the director assigns`,
        );
      agree(assigned, image);
      const described = parse(
        ImageTargetCustom,
        image.custom,
        `image repository's description of ${path}`,
        path,
      );
      if (described.hardwareId !== hardwareId)
        throw reject(
          'wrong-hardware',
          path,
          `The image repository says ${path} is for ${described.hardwareId}, this device is ${hardwareId}`,
        );
      if (described.version !== ordered.version)
        throw reject(
          'director-mismatch',
          path,
          `The director says ${path} is ${ordered.version}, the image repository ${described.version}`,
        );
      out.push({
        targetPath: path,
        version: ordered.version,
        hardwareId,
        deviceId,
        length: image.length,
        sha256: image.sha256,
        hashes: image.hashes,
        custom: image.custom,
        directorCustom: assigned.custom,
      });
    }
    return out;
  }

  /**
   * Downloads an assignment from the image repository (verified against its metadata) and checks
   * the bytes against the assignment once more.
   * @throws {UpdateRejectedError} `director-mismatch` when the image repository now describes other
   * bytes, or the download's reason (`digest`, `too-large`, `timeout`, …).
   */
  async download(assignment: ImageAssignment): Promise<AssignedImage> {
    const got = await this.#options.images.download(assignment.targetPath);
    if (got.sha256 !== assignment.sha256 || got.length !== assignment.length)
      throw reject(
        'director-mismatch',
        assignment.targetPath,
        `${assignment.targetPath} changed since it was assigned`,
      );
    return { ...assignment, image: got.bytes };
  }

  /** Refreshes both repositories, checks every assignment, and downloads them all (or nothing). */
  async update(): Promise<readonly AssignedImage[]> {
    await this.refresh();
    const assignments = await this.assignments();
    const images: AssignedImage[] = [];
    for (const assignment of assignments) images.push(await this.download(assignment));
    return images;
  }
}

function reject(
  reason: 'director-mismatch' | 'wrong-hardware' | 'rollback' | 'malformed',
  path: string,
  message: string,
) {
  return new UpdateRejectedError(reason, message, { subject: path });
}

function parse<T>(
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } };
  },
  value: unknown,
  what: string,
  path: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw reject('malformed', path, `The ${what} has invalid custom fields: ${result.error.message}`);
  return result.data;
}

/** The director and the image repository must describe the same bytes (U11). */
function agree(assigned: TufTargetInfo, image: TufTargetInfo): void {
  const path = assigned.path;
  if (assigned.length !== image.length)
    throw reject(
      'director-mismatch',
      path,
      `The director says ${path} is ${assigned.length} bytes, the image repository ${image.length}`,
    );
  for (const [algorithm, digest] of Object.entries(assigned.hashes)) {
    if (image.hashes[algorithm] !== digest)
      throw reject(
        'director-mismatch',
        path,
        `The director's ${algorithm} of ${path} differs from the image repository's`,
      );
  }
}
