import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { utf8Encode } from '../encoding/bytes.js';

type HashText = (text: string) => string;

function nativeHashText(): HashText | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const crypto = proc?.getBuiltinModule?.('node:crypto') as
      | { hash?: (algorithm: string, data: string, encoding: 'hex') => string }
      | undefined;
    const hash = crypto?.hash;
    return typeof hash === 'function' ? (text) => hash('sha256', text, 'hex') : undefined;
  } catch {
    return undefined;
  }
}

const portable: HashText = (text) => bytesToHex(sha256(utf8Encode(text)));

/**
 * Lowercase hex SHA-256 of the UTF-8 bytes of `text`: node:crypto's one-shot `crypto.hash` where
 * present (Node ≥ 20.12), @noble/hashes elsewhere.
 * @internal
 */
export const sha256HexOfText: HashText = nativeHashText() ?? portable;

/** The @noble variant of {@link sha256HexOfText}, for tests. @internal */
export const sha256HexOfTextPortable: HashText = portable;
