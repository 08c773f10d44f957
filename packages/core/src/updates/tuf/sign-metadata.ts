/// <reference types="node" />
import { Metadata, MetadataKind, Signature } from '@tufjs/models';
import { utf8Encode } from '../../encoding/bytes.js';
import type { TufKey } from './tuf-key.js';

/** The four kinds of TUF metadata. */
export type TufMetadataKind = 'root' | 'targets' | 'snapshot' | 'timestamp';

const KINDS = {
  root: MetadataKind.Root,
  targets: MetadataKind.Targets,
  snapshot: MetadataKind.Snapshot,
  timestamp: MetadataKind.Timestamp,
} as const;

/** TUF's `expires` format: ISO 8601 UTC to the second, e.g. `2030-01-01T00:00:00Z`. */
export function tufExpires(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new RangeError(`expiry must be a finite time, got ${epochMs}`);
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Signs the `signed` part of a metadata file with each key (over its canonical JSON, by
 * `@tufjs/models`' `Metadata.sign`) and returns the file's bytes (UTF-8 JSON).
 *
 * `signed` is validated by `Metadata.fromJSON`, so a malformed document fails here, at authoring
 * time. Keys listed twice sign once.
 *
 * @throws {TypeError|Error} when `signed` is not valid metadata of `kind` (the @tufjs/models error).
 */
export function signMetadata(
  kind: TufMetadataKind,
  signed: Readonly<Record<string, unknown>>,
  keys: readonly TufKey[],
): Uint8Array {
  const metadata = Metadata.fromJSON(KINDS[kind] as MetadataKind.Root, {
    signed: signed as never,
    signatures: [],
  });
  for (const key of keys) {
    metadata.sign(
      (data: Buffer) =>
        new Signature({ keyID: key.keyId, sig: Buffer.from(key.sign(new Uint8Array(data))).toString('hex') }),
    );
  }
  return utf8Encode(JSON.stringify(metadata.toJSON()));
}
