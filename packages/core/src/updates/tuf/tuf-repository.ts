import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DelegatedRole } from '@tufjs/models/dist/role.js';
import { type Clock, systemClock } from '../../ports/clock.js';
import type { JsonValue } from '../../schemas/index.js';
import { signMetadata, type TufMetadataKind, tufExpires } from './sign-metadata.js';
import { assertDelegatedRoleName, assertTargetPath, hashPrefixedPath } from './target-path.js';
import { createTufKey, type TufKey } from './tuf-key.js';

/** The TUF spec version written into every metadata file. */
export const TUF_SPEC_VERSION = '1.0.31';

/** Top-level roles whose keys the root lists. */
export type TufTopLevelRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

/** Keys and threshold of a role; missing keys are generated (`threshold` of them). */
export interface TufRoleKeysOptions {
  /**
   * The role's keys (at least `threshold`, distinct); `threshold` fresh keys are generated when
   * undefined.
   */
  readonly keys?: readonly TufKey[];
  /** How many distinct keys must sign (default 1). */
  readonly threshold?: number;
}

/** Options of {@link TufRepository}. */
export interface TufRepositoryOptions {
  /** Decides every `expires` (default the system clock). */
  readonly clock?: Clock;
  /** Keys and thresholds of the top-level roles (default one generated key each, threshold 1). */
  readonly roles?: Partial<Record<TufTopLevelRole, TufRoleKeysOptions>>;
  /**
   * Lifetime of each kind of metadata from the moment it is signed. Defaults: root 365 days,
   * targets and delegated roles 90 days, snapshot 7 days, timestamp 1 day.
   */
  readonly expiresInMs?: Partial<Record<TufMetadataKind | 'delegated', number>>;
  /**
   * Whether timestamp and snapshot list the length and SHA-256 of the files they name (default
   * true). Without them a client can only compare versions (mix-and-match is still refused).
   */
  readonly metaHashes?: boolean;
}

/** What a repository publishes about one target. */
export interface TufTargetDescription {
  /** The target path, e.g. `po-200/rev-a/2.4.1.bin`: relative, `/`-separated. */
  readonly path: string;
  /** The target's size, bytes. */
  readonly length: number;
  /** Hash algorithm → lower-case hex digest (always `sha256` here). */
  readonly hashes: Readonly<Record<string, string>>;
  /** Lower-case hex SHA-256 of the target (64 characters), as in `hashes`. */
  readonly sha256: string;
  /** The target's `custom` object (e.g. `{ hardwareId, version }`), `{}` when none. */
  readonly custom: Readonly<Record<string, JsonValue>>;
}

/** Length and digest of a target whose bytes are published elsewhere (the director's case). */
export interface TufTargetReference {
  /** The target's size, bytes (a non-negative safe integer). */
  readonly length: number;
  /** Lower-case hex SHA-256 of the target (64 characters). */
  readonly sha256: string;
}

/** Options of {@link TufRepository.addTarget}. */
export interface TufAddTargetOptions {
  /** Application data signed with the target, e.g. `{ hardwareId: 'po-200.rev-a', version: '2.4.1' }`. */
  readonly custom?: Readonly<Record<string, JsonValue>>;
  /** The targets role listing it: `targets` (default) or a delegated role. */
  readonly role?: string;
  /**
   * List the path even when `role` was not delegated it. Only for testing client-side enforcement
   * (U10): a delegated role's own tooling can sign any path; clients must refuse it.
   */
  readonly skipPathCheck?: boolean;
}

/** Options of {@link TufRepository.delegate}. */
export interface TufDelegationOptions {
  /** The delegated role's name (also its metadata file name, `N.<name>.json`). */
  readonly name: string;
  /** Path patterns the role may sign (`*` and `?` within one segment, e.g. `po-200/*`). */
  readonly paths: readonly string[];
  /** When true, a client that reaches this role for a path looks no further (default false). */
  readonly terminating?: boolean;
  /** The role's keys (default `threshold` generated keys). */
  readonly keys?: readonly TufKey[];
  /** How many distinct keys of the role must sign its metadata (default 1). */
  readonly threshold?: number;
  /** The delegating targets role (default `targets`). */
  readonly delegator?: string;
}

/** The versions {@link TufRepository.publish} wrote. */
export interface TufPublished {
  /** The current root version (unchanged unless the root was rotated). */
  readonly root: number;
  /** The timestamp version written: every publish writes a new one. */
  readonly timestamp: number;
  /** The snapshot version, new when any targets role was signed (else the previous one). */
  readonly snapshot: number;
  /** Targets roles signed by this publish, by role name. */
  readonly targets: Readonly<Record<string, number>>;
}

interface RoleKeys {
  keys: TufKey[];
  threshold: number;
}

interface TargetEntry {
  readonly length: number;
  readonly sha256: string;
  readonly custom: Readonly<Record<string, JsonValue>> | undefined;
}

interface Delegation {
  readonly name: string;
  readonly paths: string[];
  readonly terminating: boolean;
}

interface TargetsRole extends RoleKeys {
  version: number;
  dirty: boolean;
  readonly targets: Map<string, TargetEntry>;
  readonly delegations: Delegation[];
}

interface PublishedFile {
  readonly version: number;
  readonly bytes: Uint8Array;
}

const DAY_MS = 86_400_000;
const DEFAULT_EXPIRY: Record<TufMetadataKind | 'delegated', number> = {
  root: 365 * DAY_MS,
  targets: 90 * DAY_MS,
  delegated: 90 * DAY_MS,
  snapshot: 7 * DAY_MS,
  timestamp: DAY_MS,
};

/** Where metadata files are published, relative to the repository's base (`metadata/1.root.json`, ...). */
export const TUF_METADATA_PREFIX = 'metadata/';
/** Where target files are published, relative to the repository's base, under their hash-prefixed paths. */
export const TUF_TARGETS_PREFIX = 'targets/';

function roleKeys(name: string, options: TufRoleKeysOptions | undefined): RoleKeys {
  const threshold = options?.threshold ?? 1;
  const keys = options?.keys ? [...options.keys] : Array.from({ length: threshold }, () => createTufKey());
  checkRoleKeys(name, keys, threshold);
  return { keys, threshold };
}

function checkRoleKeys(name: string, keys: readonly TufKey[], threshold: number): void {
  if (!Number.isInteger(threshold) || threshold < 1)
    throw new RangeError(`The threshold of role ${name} must be an integer ≥ 1, got ${threshold}`);
  if (new Set(keys.map((k) => k.keyId)).size !== keys.length)
    throw new RangeError(`Role ${name} lists one key twice`);
  if (keys.length < threshold)
    throw new RangeError(`Role ${name} has ${keys.length} keys, fewer than its threshold ${threshold}`);
}

function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/**
 * An in-memory TUF repository for authoring and serving metadata: the four top-level roles with
 * their keys, thresholds and expiry, consistent snapshots (`N.root.json`, `N.targets.json`,
 * `N.<delegated>.json`, `N.snapshot.json`, `timestamp.json`, hash-prefixed target files), targets
 * with custom fields, delegations, root and role key rotation. Metadata is built and signed with
 * `@tufjs/models` (canonical JSON, Ed25519).
 *
 * Changes are staged until {@link TufRepository.publish}, which signs every changed targets role, a
 * new snapshot and a new timestamp. Root changes ({@link TufRepository.rotateRootKeys},
 * {@link TufRepository.rotateRoleKeys}) publish the next `N.root.json` at once. Old versions stay
 * published, so a client in the middle of an update still finds the files it was told about.
 *
 * The repository holds its signing keys: it models a release service in tests and examples. A
 * production repository keeps the root keys offline.
 *
 * @example
 * ```ts
 * const repo = new TufRepository({ roles: { root: { threshold: 2 } } });
 * repo.addTarget('po-200/2.4.1.bin', image, { custom: { hardwareId: 'po-200.rev-a', version: '2.4.1' } });
 * repo.publish();
 * const fetcher = repositoryFetcher(repo); // serve it in-process
 * const trustedRoot = repo.root(); // ship with the device
 * ```
 */
export class TufRepository {
  readonly #clock: Clock;
  readonly #expiry: Record<TufMetadataKind | 'delegated', number>;
  readonly #metaHashes: boolean;
  readonly #top: Record<'root' | 'snapshot' | 'timestamp', RoleKeys>;
  readonly #roles = new Map<string, TargetsRole>();
  readonly #files = new Map<string, Uint8Array>();
  readonly #roots: Uint8Array[] = [];
  readonly #latest = new Map<string, PublishedFile>();
  #snapshotVersion = 0;
  #snapshotDirty = true;
  #snapshotBytes: Uint8Array = new Uint8Array(0);
  #timestampVersion = 0;

  /** Creates the repository and publishes version 1 of root, targets, snapshot and timestamp. */
  constructor(options: TufRepositoryOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#metaHashes = options.metaHashes ?? true;
    this.#expiry = { ...DEFAULT_EXPIRY };
    for (const [kind, ms] of Object.entries(options.expiresInMs ?? {})) {
      if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`expiresInMs.${kind} must be > 0, got ${ms}`);
      this.#expiry[kind as TufMetadataKind] = ms;
    }
    const roles = options.roles ?? {};
    this.#top = {
      root: roleKeys('root', roles.root),
      snapshot: roleKeys('snapshot', roles.snapshot),
      timestamp: roleKeys('timestamp', roles.timestamp),
    };
    this.#roles.set('targets', {
      ...roleKeys('targets', roles.targets),
      version: 0,
      dirty: true,
      targets: new Map(),
      delegations: [],
    });
    this.#publishRoot(this.#top.root.keys);
    this.publish();
  }

  /** The current root version. */
  get rootVersion(): number {
    return this.#roots.length;
  }

  /**
   * The bytes of `N.root.json` (default the current version): what a client is provisioned with
   * as its trusted root.
   * @throws {RangeError} when that version was never published.
   */
  root(version: number = this.rootVersion): Uint8Array {
    const bytes = this.#roots[version - 1];
    if (bytes === undefined) throw new RangeError(`Root version ${version} was never published`);
    return bytes.slice();
  }

  /**
   * The last published version of a role: `root`, `snapshot`, `timestamp`, `targets` or a delegated
   * role (0 before its first publish).
   * @throws {RangeError} for an unknown role.
   */
  version(role: string): number {
    if (role === 'root') return this.rootVersion;
    if (role === 'snapshot') return this.#snapshotVersion;
    if (role === 'timestamp') return this.#timestampVersion;
    return this.#targetsRole(role).version;
  }

  /** The keys of a role (top-level or delegated), e.g. to simulate a compromised key in a test. */
  keys(role: string): readonly TufKey[] {
    return [...this.#roleKeys(role).keys];
  }

  /** The threshold of a role (top-level or delegated). */
  threshold(role: string): number {
    return this.#roleKeys(role).threshold;
  }

  /**
   * Lists a target in a targets role (staged until {@link TufRepository.publish}). With bytes, the
   * file is published at its hash-prefixed path under `targets/`; with a {@link TufTargetReference}
   * only the metadata is (the bytes live in another repository, as with an Uptane director).
   *
   * @throws {RangeError} for an invalid path or custom object, an unknown role, or a delegated role
   * that was not delegated the path (unless `skipPathCheck`).
   */
  addTarget(
    path: string,
    content: Uint8Array | TufTargetReference,
    options: TufAddTargetOptions = {},
  ): TufTargetDescription {
    assertTargetPath(path);
    const roleName = options.role ?? 'targets';
    const role = this.#targetsRole(roleName);
    if (roleName !== 'targets' && options.skipPathCheck !== true && !this.#isDelegatedPath(roleName, path))
      throw new RangeError(`Role ${roleName} was not delegated the path ${path}`);
    const custom = options.custom === undefined ? undefined : structuredClone(options.custom);
    if (custom !== undefined && (typeof custom !== 'object' || custom === null || Array.isArray(custom)))
      throw new RangeError('custom must be a JSON object');
    let entry: TargetEntry;
    if (content instanceof Uint8Array) {
      const digest = sha256Hex(content);
      entry = { length: content.length, sha256: digest, custom };
      this.#files.set(TUF_TARGETS_PREFIX + hashPrefixedPath(path, digest), content.slice());
    } else {
      if (!Number.isSafeInteger(content.length) || content.length < 0)
        throw new RangeError(`Target length must be a non-negative integer, got ${content.length}`);
      if (!/^[0-9a-f]{64}$/.test(content.sha256))
        throw new RangeError('Target sha256 must be 64 lower-case hex digits');
      entry = { length: content.length, sha256: content.sha256, custom };
    }
    role.targets.set(path, entry);
    role.dirty = true;
    return describe(path, entry);
  }

  /** Removes a target from a role (staged). Its file stays published. @returns whether it was listed. */
  removeTarget(path: string, options: { readonly role?: string } = {}): boolean {
    const role = this.#targetsRole(options.role ?? 'targets');
    const removed = role.targets.delete(path);
    if (removed) role.dirty = true;
    return removed;
  }

  /** What the repository lists (or has staged) for `path` in a role (default `targets`). */
  targetInfo(path: string, options: { readonly role?: string } = {}): TufTargetDescription | undefined {
    const entry = this.#targetsRole(options.role ?? 'targets').targets.get(path);
    return entry === undefined ? undefined : describe(path, entry);
  }

  /** Every target listed (or staged) in a role, in insertion order. */
  targets(options: { readonly role?: string } = {}): readonly TufTargetDescription[] {
    return [...this.#targetsRole(options.role ?? 'targets').targets].map(([p, e]) => describe(p, e));
  }

  /**
   * Delegates path patterns to a new targets role (staged): the delegator lists the role's keys,
   * threshold, paths and terminating flag, in order of trust.
   *
   * @returns the delegated role's keys.
   * @throws {RangeError} for an invalid or existing name, no paths, an unknown delegator, or bad keys.
   */
  delegate(options: TufDelegationOptions): readonly TufKey[] {
    assertDelegatedRoleName(options.name);
    if (this.#roles.has(options.name)) throw new RangeError(`Role ${options.name} already exists`);
    if (options.paths.length === 0)
      throw new RangeError(`Delegation ${options.name} needs at least one path`);
    const delegator = this.#targetsRole(options.delegator ?? 'targets');
    const keys = roleKeys(
      options.name,
      options.keys === undefined
        ? { threshold: options.threshold ?? 1 }
        : { keys: options.keys, threshold: options.threshold ?? 1 },
    );
    this.#roles.set(options.name, { ...keys, version: 0, dirty: true, targets: new Map(), delegations: [] });
    delegator.delegations.push({
      name: options.name,
      paths: [...options.paths],
      terminating: options.terminating ?? false,
    });
    delegator.dirty = true;
    return [...keys.keys];
  }

  /**
   * Rotates the root keys: publishes root N+1 listing `keys` with `threshold`, signed by the
   * previous root keys and by the new ones (a client checks both thresholds, TUF §5.3.4–5.3.5).
   * @throws {RangeError} for bad keys or threshold.
   */
  rotateRootKeys(keys: readonly TufKey[], threshold: number): number {
    checkRoleKeys('root', keys, threshold);
    const previous = this.#top.root.keys;
    this.#top.root = { keys: [...keys], threshold };
    this.#publishRoot(uniqueKeys([...previous, ...keys]));
    return this.rootVersion;
  }

  /**
   * Replaces the keys of `targets`, `snapshot` or `timestamp`: publishes root N+1 (signed by the
   * root keys) and re-signs that role at the next {@link TufRepository.publish}. This is how a
   * repository recovers from a compromised online key (fast-forward recovery, TUF §5.3.11).
   * @throws {RangeError} for bad keys or threshold.
   */
  rotateRoleKeys(
    role: 'targets' | 'snapshot' | 'timestamp',
    keys: readonly TufKey[],
    threshold: number,
  ): number {
    checkRoleKeys(role, keys, threshold);
    if (role === 'targets') {
      const targets = this.#targetsRole('targets');
      targets.keys = [...keys];
      targets.threshold = threshold;
      targets.dirty = true;
    } else {
      this.#top[role] = { keys: [...keys], threshold };
      if (role === 'snapshot') this.#snapshotDirty = true;
    }
    this.#publishRoot(this.#top.root.keys);
    return this.rootVersion;
  }

  /**
   * Re-signs a role at the next publish with a higher version even when nothing changed (e.g. to
   * renew its expiry): a targets role name or `snapshot`. (`timestamp` is re-signed by every
   * publish.)
   */
  bump(role: string): void {
    if (role === 'snapshot') this.#snapshotDirty = true;
    else if (role !== 'timestamp') this.#targetsRole(role).dirty = true;
  }

  /**
   * Signs and publishes staged changes: each changed targets role as `N.<role>.json`, then (if any
   * changed) `N.snapshot.json`, then always a new `timestamp.json`.
   */
  publish(): TufPublished {
    const signedRoles: Record<string, number> = {};
    for (const [name, role] of this.#roles) {
      if (!role.dirty) continue;
      role.version += 1;
      const bytes = signMetadata('targets', this.#targetsSigned(name, role), role.keys);
      this.#write(`${role.version}.${name}.json`, bytes);
      this.#latest.set(`${name}.json`, { version: role.version, bytes });
      role.dirty = false;
      signedRoles[name] = role.version;
      this.#snapshotDirty = true;
    }
    if (this.#snapshotDirty) {
      this.#snapshotVersion += 1;
      const meta: Record<string, unknown> = {};
      for (const [file, published] of this.#latest) meta[file] = this.#metaFile(published);
      const bytes = signMetadata(
        'snapshot',
        this.#common('snapshot', this.#snapshotVersion, { meta }),
        this.#top.snapshot.keys,
      );
      this.#write(`${this.#snapshotVersion}.snapshot.json`, bytes);
      this.#snapshotBytes = bytes;
      this.#snapshotDirty = false;
    }
    this.#timestampVersion += 1;
    const snapshotMeta = this.#metaFile({ version: this.#snapshotVersion, bytes: this.#snapshotBytes });
    const timestamp = signMetadata(
      'timestamp',
      this.#common('timestamp', this.#timestampVersion, { meta: { 'snapshot.json': snapshotMeta } }),
      this.#top.timestamp.keys,
    );
    this.#write('timestamp.json', timestamp);
    return {
      root: this.rootVersion,
      timestamp: this.#timestampVersion,
      snapshot: this.#snapshotVersion,
      targets: signedRoles,
    };
  }

  /**
   * Everything published, by path relative to the repository base (`metadata/…`, `targets/…`).
   * The map is a copy; the byte arrays are shared and must be treated as read-only.
   */
  files(): ReadonlyMap<string, Uint8Array> {
    return new Map(this.#files);
  }

  /** A copy of the published file at `path`, or undefined. */
  get(path: string): Uint8Array | undefined {
    return this.#files.get(path)?.slice();
  }

  #write(name: string, bytes: Uint8Array): void {
    this.#files.set(TUF_METADATA_PREFIX + name, bytes);
  }

  #metaFile(file: PublishedFile): Record<string, unknown> {
    return this.#metaHashes
      ? { version: file.version, length: file.bytes.length, hashes: { sha256: sha256Hex(file.bytes) } }
      : { version: file.version };
  }

  #common(kind: TufMetadataKind | 'delegated', version: number, body: Record<string, unknown>) {
    return {
      _type: kind === 'delegated' ? 'targets' : kind,
      spec_version: TUF_SPEC_VERSION,
      version,
      expires: tufExpires(this.#clock.now() + this.#expiry[kind]),
      ...body,
    };
  }

  #publishRoot(signers: readonly TufKey[]): void {
    const version = this.rootVersion + 1;
    const targets = this.#targetsRole('targets');
    const roles = {
      root: this.#top.root,
      targets,
      snapshot: this.#top.snapshot,
      timestamp: this.#top.timestamp,
    };
    const keys: Record<string, unknown> = {};
    const roleJson: Record<string, unknown> = {};
    for (const [name, role] of Object.entries(roles)) {
      for (const key of role.keys) keys[key.keyId] = key.json;
      roleJson[name] = { keyids: role.keys.map((k) => k.keyId), threshold: role.threshold };
    }
    const signed = this.#common('root', version, { consistent_snapshot: true, keys, roles: roleJson });
    const bytes = signMetadata('root', signed, signers);
    this.#roots.push(bytes);
    this.#write(`${version}.root.json`, bytes);
  }

  #targetsSigned(name: string, role: TargetsRole): Record<string, unknown> {
    const targets: Record<string, unknown> = {};
    for (const [path, entry] of role.targets) {
      targets[path] = {
        length: entry.length,
        hashes: { sha256: entry.sha256 },
        ...(entry.custom === undefined ? {} : { custom: entry.custom }),
      };
    }
    const body: Record<string, unknown> = { targets };
    if (role.delegations.length > 0) {
      const keys: Record<string, unknown> = {};
      const roles = role.delegations.map((d) => {
        const child = this.#targetsRole(d.name);
        for (const key of child.keys) keys[key.keyId] = key.json;
        return {
          name: d.name,
          keyids: child.keys.map((k) => k.keyId),
          threshold: child.threshold,
          terminating: d.terminating,
          paths: d.paths,
        };
      });
      body.delegations = { keys, roles };
    }
    return this.#common(name === 'targets' ? 'targets' : 'delegated', role.version, body);
  }

  #isDelegatedPath(roleName: string, path: string): boolean {
    for (const role of this.#roles.values()) {
      const delegation = role.delegations.find((d) => d.name === roleName);
      if (delegation === undefined) continue;
      return new DelegatedRole({
        name: delegation.name,
        keyIDs: [],
        threshold: 1,
        terminating: delegation.terminating,
        paths: delegation.paths,
      }).isDelegatedPath(path);
    }
    return false;
  }

  #targetsRole(name: string): TargetsRole {
    const role = this.#roles.get(name);
    if (role === undefined) throw new RangeError(`Unknown targets role ${name}`);
    return role;
  }

  #roleKeys(role: string): RoleKeys {
    if (role === 'root' || role === 'snapshot' || role === 'timestamp') return this.#top[role];
    return this.#targetsRole(role);
  }
}

function uniqueKeys(keys: readonly TufKey[]): TufKey[] {
  const seen = new Map<string, TufKey>();
  for (const key of keys) seen.set(key.keyId, key);
  return [...seen.values()];
}

function describe(path: string, entry: TargetEntry): TufTargetDescription {
  return {
    path,
    length: entry.length,
    hashes: { sha256: entry.sha256 },
    sha256: entry.sha256,
    custom: entry.custom === undefined ? {} : structuredClone(entry.custom),
  };
}
