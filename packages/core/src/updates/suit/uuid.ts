import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { utf8Encode } from '../../encoding/bytes.js';

/** The RFC 9562 name space id for DNS names, 6ba7b810-9dad-11d1-80b4-00c04fd430c8. */
export const UUID_NAMESPACE_DNS: Uint8Array = hexToBytes('6ba7b8109dad11d180b400c04fd430c8');

/** A name-based UUID, version 5 (SHA-1), RFC 9562 §5.5, as 16 bytes. */
export function uuid5(namespace: Uint8Array, name: string | Uint8Array): Uint8Array {
  if (!(namespace instanceof Uint8Array) || namespace.length !== 16) {
    throw new RangeError('a UUID name space is 16 bytes');
  }
  const nameBytes = typeof name === 'string' ? utf8Encode(name) : name;
  const uuid = sha1.create().update(namespace).update(nameBytes).digest().slice(0, 16);
  uuid[6] = (uuid[6]! & 0x0f) | 0x50;
  uuid[8] = (uuid[8]! & 0x3f) | 0x80;
  return uuid;
}

/**
 * The SUIT vendor id of a vendor: UUIDv5 of its domain name in the DNS name space, as
 * draft-ietf-suit-manifest recommends (`suitVendorId('arm.com')` is the examples' vendor id
 * fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe).
 */
export function suitVendorId(domain: string): Uint8Array {
  return uuid5(UUID_NAMESPACE_DNS, domain);
}

/**
 * The SUIT class id of a device class: UUIDv5 of a model/hardware name in the vendor id's name
 * space (e.g. `suitClassId(vendorId, 'po-200.rev-a')`).
 */
export function suitClassId(vendorId: Uint8Array, model: string): Uint8Array {
  return uuid5(vendorId, model);
}

/** The canonical text form, e.g. `fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe`. */
export function uuidToString(uuid: Uint8Array): string {
  if (uuid.length !== 16) throw new RangeError('a UUID is 16 bytes');
  const h = bytesToHex(uuid);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** 16 bytes from the canonical text form (hyphens optional, any case). */
export function parseUuid(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${text}`);
  return hexToBytes(hex.toLowerCase());
}
