/// <reference types="node" />
import type { KeyObject } from 'node:crypto';
import { getPublicKey } from '@tufjs/models/dist/utils/key.js';
import { utf8Decode } from '../../encoding/bytes.js';
import { UpdateRejectedError } from '../update-rejected-error.js';

type KeyMap = Record<string, { keytype?: unknown; scheme?: unknown; keyval?: { public?: unknown } }>;

/** The key dictionary a metadata file defines: root's `keys`, a targets role's `delegations.keys`. */
function definedKeys(document: unknown): KeyMap | undefined {
  if (typeof document !== 'object' || document === null) return undefined;
  const signed = (document as { signed?: unknown }).signed as
    | { _type?: unknown; keys?: unknown; delegations?: { keys?: unknown } }
    | undefined;
  if (typeof signed !== 'object' || signed === null) return undefined;
  const keys = signed._type === 'root' ? signed.keys : signed.delegations?.keys;
  return typeof keys === 'object' && keys !== null ? (keys as KeyMap) : undefined;
}

/** One identity per public key, whatever its encoding (hex or PEM): its SPKI DER in hex. */
function identity(key: KeyMap[string]): string | undefined {
  const { keytype, scheme } = key;
  const value = key.keyval?.public;
  if (typeof keytype !== 'string' || typeof scheme !== 'string' || typeof value !== 'string')
    return undefined;
  try {
    const { key: object } = getPublicKey({ keyType: keytype, scheme, keyVal: value }) as { key: KeyObject };
    return `${object.asymmetricKeyType}:${object.export({ type: 'spki', format: 'der' }).toString('hex')}`;
  } catch {
    return undefined; // a key that cannot be read cannot verify anything either
  }
}

/**
 * Refuses metadata that lists one public key under two key ids (U2). `@tufjs/models` counts a
 * threshold over key ids, so such a file would let one key count twice; TUF requires each key to
 * count once toward a threshold. Keys are compared by value (SPKI), so a hex and a PEM spelling of
 * one key are the same key. Bytes that are not JSON are left to tuf-js (it reports them malformed).
 *
 * @throws {UpdateRejectedError} `signature`, naming both key ids.
 */
export function assertDistinctKeys(bytes: Uint8Array, subject: string): void {
  let document: unknown;
  try {
    document = JSON.parse(utf8Decode(bytes));
  } catch {
    return;
  }
  const keys = definedKeys(document);
  if (keys === undefined) return;
  const seen = new Map<string, string>();
  for (const [keyId, key] of Object.entries(keys)) {
    if (typeof key !== 'object' || key === null) continue;
    const id = identity(key);
    if (id === undefined) continue;
    const other = seen.get(id);
    if (other !== undefined)
      throw new UpdateRejectedError(
        'signature',
        `${subject} lists one public key under two key ids (${other} and ${keyId}): it would count twice toward a threshold`,
        { subject, detail: { keyIds: [other, keyId] } },
      );
    seen.set(id, keyId);
  }
}
