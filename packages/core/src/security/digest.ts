import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { utf8Encode } from '../encoding/bytes.js';
import { nodeCryptoModule } from './node-crypto.js';

type HashText = (text: string) => string;

function nativeHashText(): HashText | undefined {
  const hash = nodeCryptoModule()?.hash as
    | ((algorithm: string, data: string, encoding: 'hex') => string)
    | undefined;
  return typeof hash === 'function' ? (text) => hash('sha256', text, 'hex') : undefined;
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
