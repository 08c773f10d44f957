/// <reference types="node" />
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Metadata, Root, TargetFile } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { HealthItError } from '../../errors/health-it-error.js';
import { type Clock, systemClock } from '../../ports/clock.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { diagnoseMissingTarget } from './delegation-diagnosis.js';
import { assertDistinctKeys } from './distinct-keys.js';
import { FailureTrace } from './failure-trace.js';
import { isTufWrapperError, tufErrorToUpdateError } from './tuf-error-mapping.js';
import { TufFetcherAdapter } from './tuf-fetcher-adapter.js';
import { instrumentUpdater, trustedStore } from './tuf-js-internals.js';
import type { UpdateFetcher } from './update-fetcher.js';

/** Caps on metadata sizes, in bytes (tuf-js defaults: 512 000, 16 384, 2 000 000, 5 000 000). */
export interface TufMetadataLimits {
  /** Largest `root.json` accepted, bytes (tuf-js default 512 000). */
  readonly root?: number;
  /** Largest `timestamp.json` accepted, bytes (tuf-js default 16 384). */
  readonly timestamp?: number;
  /** Largest `snapshot.json` accepted, bytes (tuf-js default 2 000 000). */
  readonly snapshot?: number;
  /** Largest targets metadata file (top-level or delegated) accepted, bytes (tuf-js default 5 000 000). */
  readonly targets?: number;
}

/** Options of {@link TufClient.create}. */
export interface TufClientOptions {
  /**
   * Directory of the trusted metadata (`root.json`, `timestamp.json`, …), owned by this client:
   * one per client, never shared by two clients at once. Created when missing.
   */
  readonly metadataDir: string;
  /** Where files come from (the repository, a gateway, a cache). */
  readonly fetcher: UpdateFetcher;
  /**
   * The root the device was provisioned with. Written to `metadataDir/root.json` when that file
   * does not exist yet; ignored otherwise (the directory's root may already be a newer, rotated one).
   */
  readonly trustedRoot?: Uint8Array;
  /** The reference time of each update cycle, for expiry (default the system clock). */
  readonly clock?: Clock;
  /** Deadline of each single fetch, in ms (default 30 000): slow retrieval ends as `timeout`. */
  readonly timeoutMs?: number;
  /** Cap on any single file, metadata or target, in bytes (default 64 MiB). */
  readonly maxFileBytes?: number;
  /** Caps per metadata kind (tuf-js defaults when absent). */
  readonly maxMetadataBytes?: TufMetadataLimits;
  /** Most root versions followed in one refresh (default 32). */
  readonly maxRootRotations?: number;
  /** Most delegated roles visited for one target (default 32). */
  readonly maxDelegations?: number;
  /** Path prefix of metadata in the repository (default `metadata/`). */
  readonly metadataPrefix?: string;
  /** Path prefix of target files in the repository (default `targets/`). */
  readonly targetsPrefix?: string;
}

/** A target as the trusted metadata describes it. */
export interface TufTargetInfo {
  /** The target path, e.g. `po-200/rev-a/2.4.1.bin`, as the metadata lists it. */
  readonly path: string;
  /** The trusted length of the target, bytes. */
  readonly length: number;
  /** Hash algorithm → lower-case hex digest, as listed. */
  readonly hashes: Readonly<Record<string, string>>;
  /** The listed SHA-256 (every target used here must list one). */
  readonly sha256: string;
  /** The target's signed `custom` object (`{}` when none). */
  readonly custom: Readonly<Record<string, unknown>>;
}

/** A target whose bytes matched its trusted length and hashes. */
export interface TufDownloadedTarget extends TufTargetInfo {
  /** A private copy of exactly the verified bytes. */
  readonly bytes: Uint8Array;
}

/** Versions of the metadata trusted after the last successful refresh. */
export interface TufTrustedVersions {
  /** Version of the trusted root metadata. */
  readonly root: number;
  /** Version of the trusted timestamp metadata. */
  readonly timestamp: number;
  /** Version of the trusted snapshot metadata. */
  readonly snapshot: number;
  /** Version of the trusted top-level targets metadata. */
  readonly targets: number;
}

interface Cycle {
  readonly updater: Updater;
  readonly trace: FailureTrace;
}

const BASE_URL = 'tuf://repository/';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function keySet(root: Metadata<Root>, role: string): string {
  const keyIds = root.signed.roles[role]?.keyIDs ?? [];
  return keyIds
    .map((id) => root.signed.keys[id]?.keyVal.public ?? id)
    .sort()
    .join(',');
}

/**
 * A TUF client (spec §5.3–5.7) for a device or a gateway: tuf-js's `Updater` does the workflow;
 * this class feeds it through an {@link UpdateFetcher} with size caps and per-fetch timeouts, makes
 * the update cycle's reference time injectable, refuses metadata that lists one key twice, adds
 * §5.3.11 (fast-forward recovery), and reports every refusal as an `UpdateRejectedError` with the
 * precise reason and the file concerned (`update/unavailable` for transport failures).
 *
 * Each {@link TufClient.refresh} is one update cycle with a fresh `Updater` (tuf-js refreshes once
 * per instance); reads and downloads use the last successful cycle, and refresh first if there is
 * none. A failed refresh leaves no usable cycle: nothing is read from half-checked metadata.
 * Operations on one client run one at a time.
 *
 * Cost: the metadata directory (a few KB per repository), one `Updater` per refresh, and per
 * refresh at least two fetches (the next `N.root.json`, which is usually missing, and
 * `timestamp.json`); snapshot and targets are fetched only when the timestamp names new versions.
 *
 * @example
 * ```ts
 * const client = await TufClient.create({ metadataDir, trustedRoot, fetcher: viaGateway });
 * await client.refresh();
 * const { bytes, sha256, custom } = await client.download('po-200/2.4.1.bin');
 * ```
 */
export class TufClient {
  readonly #dir: string;
  readonly #fetcher: UpdateFetcher;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #maxFileBytes: number;
  readonly #limits: TufMetadataLimits;
  readonly #maxRootRotations: number;
  readonly #maxDelegations: number;
  readonly #metadataPrefix: string;
  readonly #targetsPrefix: string;
  #cycle: Cycle | undefined;
  #versions: TufTrustedVersions | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: TufClientOptions) {
    this.#dir = options.metadataDir;
    this.#fetcher = options.fetcher;
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.#maxFileBytes = positive('maxFileBytes', options.maxFileBytes, DEFAULT_MAX_FILE_BYTES);
    this.#limits = options.maxMetadataBytes ?? {};
    this.#maxRootRotations = positive('maxRootRotations', options.maxRootRotations, 32);
    this.#maxDelegations = positive('maxDelegations', options.maxDelegations, 32);
    this.#metadataPrefix = options.metadataPrefix ?? 'metadata/';
    this.#targetsPrefix = options.targetsPrefix ?? 'targets/';
  }

  /**
   * Opens a client on `metadataDir`, provisioning `trustedRoot` there if the directory has no root.
   * @throws {HealthItError} `config/invalid` when there is neither a `root.json` nor a `trustedRoot`.
   * @throws {RangeError} for a non-positive limit.
   */
  static async create(options: TufClientOptions): Promise<TufClient> {
    const client = new TufClient(options);
    await mkdir(options.metadataDir, { recursive: true });
    const rootPath = join(options.metadataDir, 'root.json');
    const existing = await readFile(rootPath).catch(() => undefined);
    if (existing === undefined) {
      if (options.trustedRoot === undefined)
        throw new HealthItError(
          'config/invalid',
          `${rootPath} does not exist and no trustedRoot was given: provision the client with the repository's root`,
        );
      await writeFile(rootPath, options.trustedRoot, { flag: 'wx' });
    }
    return client;
  }

  /** Versions trusted after the last successful refresh (undefined before it). */
  get versions(): TufTrustedVersions | undefined {
    return this.#versions;
  }

  /**
   * Runs one update cycle: root (following rotations), timestamp, snapshot, top-level targets.
   * @throws {UpdateRejectedError} when any check fails (the reason and file say which).
   * @throws {HealthItError} `update/unavailable` when a file cannot be fetched.
   */
  refresh(): Promise<TufTrustedVersions> {
    return this.#exclusive(() => this.#refresh());
  }

  /**
   * The trusted description of `path` (searching delegations), or undefined when no role the
   * client trusts for that path lists it.
   * @throws {UpdateRejectedError} when metadata needed for the search fails a check.
   */
  targetInfo(path: string): Promise<TufTargetInfo | undefined> {
    return this.#exclusive(async () => {
      const cycle = await this.#ready();
      const info = await this.#run(cycle, path, false, () => cycle.updater.getTargetInfo(path));
      return info === undefined ? undefined : describe(info);
    });
  }

  /** Every target the top-level targets role lists (not delegated ones): an Uptane director's list. */
  listTargets(): Promise<readonly TufTargetInfo[]> {
    return this.#exclusive(async () => {
      const cycle = await this.#ready();
      const targets = trustedStore(cycle.updater).targets?.signed.targets ?? {};
      return Object.values(targets).map(describe);
    });
  }

  /**
   * Downloads `path` and checks its length and hashes against the trusted metadata (tuf-js
   * `downloadTarget`, then again on the in-memory copy that is returned).
   *
   * @throws {UpdateRejectedError} `digest` (bytes differ), `too-large`, `timeout`, `delegation` (the
   * path is listed only by a role not trusted for it), or the reason of a metadata check.
   * @throws {HealthItError} `update/unavailable` when the path is not in the repository or cannot be
   * fetched.
   */
  download(path: string): Promise<TufDownloadedTarget> {
    return this.#exclusive(async () => {
      const cycle = await this.#ready();
      const found = await this.#run(cycle, path, false, () => cycle.updater.getTargetInfo(path));
      if (found === undefined) {
        const abuse = await diagnoseMissingTarget(cycle.updater, path, this.#maxDelegations);
        throw (
          abuse ??
          new HealthItError(
            'update/unavailable',
            `The repository's trusted metadata lists no target ${path}`,
            {
              detail: { path },
            },
          )
        );
      }
      const info = describe(found);
      if (info.length > this.#maxFileBytes)
        throw new UpdateRejectedError(
          'too-large',
          `${path} is declared as ${info.length} bytes, over the ${this.#maxFileBytes} allowed`,
          { subject: path, detail: { length: info.length, maxFileBytes: this.#maxFileBytes } },
        );
      const dir = await mkdtemp(join(tmpdir(), 'healthit-tuf-target-'));
      try {
        const file = join(dir, 'target');
        await this.#run(cycle, path, true, () => cycle.updater.downloadTarget(found, file));
        const bytes = new Uint8Array(await readFile(file));
        const digest = bytesToHex(sha256(bytes));
        if (bytes.length !== info.length || digest !== info.sha256)
          throw new UpdateRejectedError('digest', `${path} changed after it was verified`, { subject: path });
        return { ...info, sha256: digest, bytes };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  async #refresh(): Promise<TufTrustedVersions> {
    this.#cycle = undefined;
    const rootPath = join(this.#dir, 'root.json');
    assertDistinctKeys(await readFile(rootPath), 'root.json (trusted)');
    let cycle: Cycle;
    try {
      cycle = this.#newCycle();
    } catch (error) {
      throw tufErrorToUpdateError(error, { subject: 'root.json (trusted)' });
    }
    await this.#run(cycle, 'metadata', false, () => cycle.updater.refresh());
    const store = trustedStore(cycle.updater);
    const versions: TufTrustedVersions = {
      root: store.root.signed.version,
      timestamp: store.timestamp?.signed.version ?? 0,
      snapshot: store.snapshot?.signed.version ?? 0,
      targets: store.targets?.signed.version ?? 0,
    };
    this.#cycle = cycle;
    this.#versions = versions;
    return versions;
  }

  #newCycle(): Cycle {
    const trace = new FailureTrace();
    const adapter = new TufFetcherAdapter(this.#fetcher, {
      baseUrl: BASE_URL,
      timeoutMs: this.#timeoutMs,
      maxFileBytes: this.#maxFileBytes,
      trace,
    });
    const limits = this.#limits;
    const updater = new Updater({
      metadataDir: this.#dir,
      metadataBaseUrl: BASE_URL + this.#metadataPrefix,
      targetBaseUrl: BASE_URL + this.#targetsPrefix,
      fetcher: adapter,
      config: {
        maxRootRotations: this.#maxRootRotations,
        maxDelegations: this.#maxDelegations,
        prefixTargetsWithHash: true,
        ...(limits.root === undefined ? {} : { rootMaxLength: limits.root }),
        ...(limits.timestamp === undefined ? {} : { timestampMaxLength: limits.timestamp }),
        ...(limits.snapshot === undefined ? {} : { snapshotMaxLength: limits.snapshot }),
        ...(limits.targets === undefined ? {} : { targetsMaxLength: limits.targets }),
      },
    });
    const dir = this.#dir;
    instrumentUpdater(updater, new Date(this.#clock.now()), {
      screen(check, role, bytes) {
        if (check === 'root' || check === 'targets')
          assertDistinctKeys(bytes, adapter.pathOf(bytes) ?? `${role}.json`);
      },
      failed(error, role, bytes) {
        trace.record(error, adapter.pathOf(bytes) ?? `${role}.json (trusted copy)`);
      },
      rootUpdated(previous, next) {
        // TUF §5.3.11: after a rotation of the timestamp or snapshot keys, forget the trusted
        // timestamp and snapshot, so versions fast-forwarded by an attacker stop blocking updates.
        if (
          keySet(previous, 'timestamp') !== keySet(next, 'timestamp') ||
          keySet(previous, 'snapshot') !== keySet(next, 'snapshot')
        ) {
          rmSync(join(dir, 'timestamp.json'), { force: true });
          rmSync(join(dir, 'snapshot.json'), { force: true });
        }
      },
    });
    return { updater, trace };
  }

  async #ready(): Promise<Cycle> {
    if (this.#cycle === undefined) await this.#refresh();
    return this.#cycle as unknown as Cycle;
  }

  async #run<T>(cycle: Cycle, subject: string, target: boolean, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      throw explain(error, cycle.trace, subject, target);
    }
  }

  #exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** The SDK error for a failure inside tuf-js, using the traced original when tuf-js wrapped it. */
function explain(error: unknown, trace: FailureTrace, subject: string, target: boolean): HealthItError {
  if (error instanceof HealthItError) return error;
  const last = trace.last();
  if (isTufWrapperError(error) || error instanceof DownloadHTTPError) {
    if (last !== undefined) return tufErrorToUpdateError(last.error, { subject: last.subject, target });
    if (error instanceof Error && /Failed to persist/.test(error.message))
      return new HealthItError('store/unavailable', `Persisting trusted metadata failed: ${error.message}`, {
        cause: error,
      });
  }
  if (last !== undefined && last.error === error)
    return tufErrorToUpdateError(error, { subject: last.subject, target });
  if (error instanceof TypeError)
    // tuf-js met metadata it could not follow (e.g. a delegated role missing from the snapshot)
    return new UpdateRejectedError(
      'inconsistent',
      `${subject}: the metadata does not fit together (${error.message})`,
      {
        subject,
        cause: error,
      },
    );
  return tufErrorToUpdateError(error, { subject, target });
}

function describe(info: TargetFile): TufTargetInfo {
  const digest = info.hashes.sha256;
  if (digest === undefined)
    throw new UpdateRejectedError('malformed', `Target ${info.path} lists no sha256 hash`, {
      subject: info.path,
    });
  return {
    path: info.path,
    length: info.length,
    hashes: { ...info.hashes },
    sha256: digest,
    custom: structuredClone(info.custom),
  };
}
