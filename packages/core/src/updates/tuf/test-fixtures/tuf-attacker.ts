import { bytesToHex } from '@noble/hashes/utils.js';
import { utf8Decode, utf8Encode } from '../../../encoding/bytes.js';
import { canonicalJson } from '../../../encoding/canonical-json.js';
import type { JsonValue } from '../../../schemas/index.js';
import type { UpdateFileSource } from '../repository-fetcher.js';
import type { TufMetadataKind } from '../sign-metadata.js';
import type { TufKey } from '../tuf-key.js';
import { type UpdateFetcher, type UpdateFetchOptions, UpdateFileNotFoundError } from '../update-fetcher.js';

/**
 * Test-only tools of an attacker who controls the mirror (or the network) between a repository
 * and its clients, and, where a test says so, some of the repository's keys.
 */

/** A custom response: bytes, or a function of the fetch options (to stall, drip or flood). */
export type MirrorResponse = Uint8Array | ((options: UpdateFetchOptions) => Promise<Uint8Array>);

export interface Mirror {
  /** The fetcher a client uses: overrides first, then the origin. */
  readonly fetcher: UpdateFetcher;
  /** Every path requested, in order. */
  readonly requests: string[];
  /** Serves `response` at `path` instead of the origin's file. */
  serve(path: string, response: MirrorResponse): void;
  /** Serves "not found" at `path`. */
  hide(path: string): void;
  /** Stops every override: the attack is over. */
  reset(): void;
}

/** A mirror of `origin` (a repository) that an attacker can rewrite. */
export function createMirror(origin: UpdateFileSource): Mirror {
  const overrides = new Map<string, MirrorResponse | null>();
  const requests: string[] = [];
  return {
    requests,
    fetcher: {
      async fetch(path, options) {
        requests.push(path);
        const override = overrides.get(path);
        if (override === null) throw new UpdateFileNotFoundError(path);
        if (typeof override === 'function') return override(options);
        const bytes = override ?? origin.get(path);
        if (bytes === undefined) throw new UpdateFileNotFoundError(path);
        return bytes.slice();
      },
    },
    serve: (path, response) => void overrides.set(path, response),
    hide: (path) => void overrides.set(path, null),
    reset: () => overrides.clear(),
  };
}

/** A metadata file as JSON. */
export interface MetadataJson {
  signed: Record<string, unknown> & { _type: TufMetadataKind; version: number };
  signatures: { keyid: string; sig: string }[];
}

export function readMetadata(bytes: Uint8Array): MetadataJson {
  return JSON.parse(utf8Decode(bytes)) as MetadataJson;
}

export function writeMetadata(metadata: MetadataJson): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(metadata));
}

/**
 * Parses a metadata file, lets `mutate` change its `signed` part, and signs the result with `keys`
 * (valid signatures by whoever holds those keys). Nothing is validated: an attacker signs what it
 * likes. (Canonical JSON here is RFC 8785, the same bytes as TUF's canonical JSON for the ASCII,
 * integer-only documents of these tests.)
 */
export function resign(
  bytes: Uint8Array,
  keys: readonly TufKey[],
  mutate: (signed: MetadataJson['signed']) => void = () => undefined,
): Uint8Array {
  const { signed } = readMetadata(bytes);
  mutate(signed);
  const message = utf8Encode(canonicalJson(signed as unknown as JsonValue));
  const signatures = keys.map((key) => ({ keyid: key.keyId, sig: bytesToHex(key.sign(message)) }));
  return writeMetadata({ signed, signatures });
}

/** `key` presented under another key id (the same secret signs). */
export function aliasKey(key: TufKey, keyId: string): TufKey {
  return { keyId, publicKey: key.publicKey, json: key.json, sign: (m) => key.sign(m) };
}

/** The outcome of an attempt: its value, or what it threw. */
export async function attempt<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}
