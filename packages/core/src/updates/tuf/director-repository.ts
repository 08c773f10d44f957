import type { JsonValue } from '../../schemas/index.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { compareFirmwareVersions, isFirmwareVersion } from './firmware-version.js';
import { repositoryFetcher } from './repository-fetcher.js';
import { createTufKey, type TufKey } from './tuf-key.js';
import {
  TufRepository,
  type TufRepositoryOptions,
  type TufTargetDescription,
  type TufTopLevelRole,
} from './tuf-repository.js';
import type { UpdateFetcher } from './update-fetcher.js';

/** A device as the director knows it. */
export interface DirectorDevice {
  /** The device's id, 1 to 128 characters, unique in the director: it names the device's repository. */
  readonly deviceId: string;
  /** The device's hardware id, e.g. `po-200.rev-a`: only images for it can be assigned. */
  readonly hardwareId: string;
  /** The firmware version the device last reported as installed. */
  readonly installedVersion: string;
}

/** An image of the image repository, as the director assigns it. */
export interface DirectorImage {
  /** The image's target path in the image repository. */
  readonly path: string;
  /** The image's length, bytes. */
  readonly length: number;
  /** Lower-case hex SHA-256 of the image. */
  readonly sha256: string;
  /** The hardware id the image is built for, e.g. `po-200.rev-a`. */
  readonly hardwareId: string;
  /** The firmware version the image carries, e.g. `2.4.1`. */
  readonly version: string;
}

/**
 * The {@link DirectorImage} of an image-repository target whose custom fields carry `hardwareId`
 * and `version` (as `TufRepository.targetInfo` returns it).
 * @throws {RangeError} when the custom fields are missing.
 */
export function directorImage(target: TufTargetDescription): DirectorImage {
  const { hardwareId, version } = target.custom;
  if (typeof hardwareId !== 'string' || !isFirmwareVersion(version))
    throw new RangeError(`Target ${target.path} has no custom hardwareId and version`);
  return { path: target.path, length: target.length, sha256: target.sha256, hardwareId, version };
}

/**
 * An Uptane-style director: a TUF repository per device (its own targets, snapshot and timestamp;
 * the same keys for all devices) whose targets metadata lists the images assigned to that device,
 * with custom fields `{ hardwareId, deviceId, version }`. Images are not stored here: the device
 * fetches them from the image repository and checks that both repositories agree.
 *
 * Files of a device's repository are served by {@link DirectorRepository.fetcher} (or
 * `repository(deviceId).get(path)` for a gateway), with the usual `metadata/…` layout.
 *
 * @example
 * ```ts
 * const director = new DirectorRepository({ clock });
 * director.registerDevice({ deviceId: 'po-17', hardwareId: 'po-200.rev-a', installedVersion: '2.4.0' });
 * director.assign('po-17', directorImage(images.targetInfo('po-200/2.4.1.bin')!));
 * const client = await TufClient.create({ metadataDir, trustedRoot: director.trustedRoot('po-17'), fetcher: director.fetcher('po-17') });
 * ```
 */
export class DirectorRepository {
  readonly #options: TufRepositoryOptions;
  readonly #roles: Record<TufTopLevelRole, { keys: TufKey[]; threshold: number }>;
  readonly #devices = new Map<string, { device: DirectorDevice; repository: TufRepository }>();

  /**
   * Makes a director with no devices. The top-level role keys in `options.roles` (generated when
   * absent) are shared by every device's repository.
   * @param options - Clock, role keys and thresholds, expiry and meta-hash settings of every
   *   device's repository.
   */
  constructor(options: TufRepositoryOptions = {}) {
    this.#options = options;
    const roles = {} as Record<TufTopLevelRole, { keys: TufKey[]; threshold: number }>;
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
      const given = options.roles?.[role];
      const threshold = given?.threshold ?? 1;
      roles[role] = {
        keys: given?.keys ? [...given.keys] : Array.from({ length: threshold }, () => createTufKey()),
        threshold,
      };
    }
    this.#roles = roles;
  }

  /**
   * Adds a device with its own director repository (published at version 1, no assignment).
   * @throws {RangeError} when the id is taken or a field is invalid.
   */
  registerDevice(device: DirectorDevice): void {
    if (typeof device.deviceId !== 'string' || device.deviceId.length === 0 || device.deviceId.length > 128)
      throw new RangeError('deviceId must be 1 to 128 characters');
    if (typeof device.hardwareId !== 'string' || device.hardwareId.length === 0)
      throw new RangeError('hardwareId must be a non-empty string');
    if (!isFirmwareVersion(device.installedVersion))
      throw new RangeError(`installedVersion is not a firmware version: ${device.installedVersion}`);
    if (this.#devices.has(device.deviceId))
      throw new RangeError(`Device ${device.deviceId} is already registered`);
    const repository = new TufRepository({ ...this.#options, roles: this.#roles });
    this.#devices.set(device.deviceId, { device: { ...device }, repository });
  }

  /** The registered device, or undefined. */
  device(deviceId: string): DirectorDevice | undefined {
    return this.#devices.get(deviceId)?.device;
  }

  /** Every registered device. */
  devices(): readonly DirectorDevice[] {
    return [...this.#devices.values()].map((d) => d.device);
  }

  /** Records the version a device reports as installed. @throws {RangeError} for an unknown device. */
  reportInstalled(deviceId: string, installedVersion: string): void {
    const entry = this.#entry(deviceId);
    if (!isFirmwareVersion(installedVersion))
      throw new RangeError(`installedVersion is not a firmware version: ${installedVersion}`);
    entry.device = { ...entry.device, installedVersion };
  }

  /**
   * Assigns `image` to a device, replacing any earlier assignment, and publishes the device's
   * director metadata.
   *
   * @throws {UpdateRejectedError} `wrong-hardware` when the image is for other hardware, `rollback`
   * when it is not newer than the installed version.
   * @throws {RangeError} for an unknown device or an invalid image.
   */
  assign(
    deviceId: string,
    image: DirectorImage,
    custom: Readonly<Record<string, JsonValue>> = {},
  ): TufTargetDescription {
    const entry = this.#entry(deviceId);
    const { device } = entry;
    if (image.hardwareId !== device.hardwareId)
      throw new UpdateRejectedError(
        'wrong-hardware',
        `Image ${image.path} is for ${image.hardwareId}, device ${deviceId} is ${device.hardwareId}`,
        { subject: image.path, detail: { deviceId } },
      );
    if (compareFirmwareVersions(image.version, device.installedVersion) <= 0)
      throw new UpdateRejectedError(
        'rollback',
        `Image ${image.path} (${image.version}) is not newer than ${device.installedVersion} on ${deviceId}`,
        { subject: image.path, detail: { deviceId } },
      );
    this.#clear(entry.repository);
    const target = entry.repository.addTarget(
      image.path,
      { length: image.length, sha256: image.sha256 },
      { custom: { ...custom, hardwareId: image.hardwareId, deviceId, version: image.version } },
    );
    entry.repository.publish();
    return target;
  }

  /** Withdraws every assignment of a device and publishes. @throws {RangeError} for an unknown device. */
  unassign(deviceId: string): void {
    const { repository } = this.#entry(deviceId);
    this.#clear(repository);
    repository.publish();
  }

  /** The device's director repository itself (to serve its files, or to simulate a compromise). */
  repository(deviceId: string): TufRepository {
    return this.#entry(deviceId).repository;
  }

  /** The root a device is provisioned with for its director. */
  trustedRoot(deviceId: string): Uint8Array {
    return this.#entry(deviceId).repository.root();
  }

  /** An in-process fetcher of the device's director repository. */
  fetcher(deviceId: string): UpdateFetcher {
    return repositoryFetcher(this.#entry(deviceId).repository);
  }

  /** Rotates the root keys of every device's director repository (see `TufRepository.rotateRootKeys`). */
  rotateRootKeys(keys: readonly TufKey[], threshold: number): void {
    for (const { repository } of this.#devices.values()) repository.rotateRootKeys(keys, threshold);
    this.#roles.root = { keys: [...keys], threshold };
  }

  /** Rotates an online role's keys for every device and publishes (see `TufRepository.rotateRoleKeys`). */
  rotateRoleKeys(
    role: 'targets' | 'snapshot' | 'timestamp',
    keys: readonly TufKey[],
    threshold: number,
  ): void {
    for (const { repository } of this.#devices.values()) {
      repository.rotateRoleKeys(role, keys, threshold);
      repository.publish();
    }
    this.#roles[role] = { keys: [...keys], threshold };
  }

  #clear(repository: TufRepository): void {
    for (const target of repository.targets()) repository.removeTarget(target.path);
  }

  #entry(deviceId: string): { device: DirectorDevice; repository: TufRepository } {
    const entry = this.#devices.get(deviceId);
    if (entry === undefined) throw new RangeError(`Unknown device ${deviceId}`);
    return entry;
  }
}
