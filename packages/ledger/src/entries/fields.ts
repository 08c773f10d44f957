import { z } from 'zod';
import { isWellFormedString } from '../json-value.js';

/** A lowercase hex SHA-256 digest (64 characters). */
export const Digest = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (SHA-256)');

/** A lowercase hex Ed25519 signature (128 characters). */
export const SignatureHex = z
  .string()
  .regex(/^[0-9a-f]{128}$/, 'must be 128 lowercase hex characters (Ed25519 signature)');

/**
 * An identifier: 1-128 letters, digits, `.`, `_`, `-`, `:`, `/`, `+`, `@`, starting with a letter
 * or digit (device, organisation, shipment, lot, model, policy and key ids).
 */
export const Id = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/+@-]{0,127}$/,
    'must be 1-128 characters of letters, digits, ".", "_", "-", ":", "/", "+", "@", starting with a letter or digit',
  );

/** Free text of at most `max` UTF-16 code units, well-formed (no lone surrogates). */
export function text(max: number, min = 0): z.ZodString {
  return z.string().min(min).max(max).refine(isWellFormedString, 'must not contain lone surrogates');
}

/** A finite JSON number (zod already refuses NaN and ±Infinity). */
export const FiniteNumber = z.number();

/** The kinds of streams entries are ordered in. */
export const StreamTypes = ['device', 'shipment', 'lot'] as const;

/** One of {@link StreamTypes}. */
export type StreamType = (typeof StreamTypes)[number];

/**
 * A stream id: `device:<id>`, `shipment:<id>` or `lot:<id>` (see {@link Id}). Entries of one
 * stream form their own chain of `seq` and `prev`.
 */
export const StreamId = z
  .string()
  .max(140)
  .regex(
    /^(device|shipment|lot):[A-Za-z0-9][A-Za-z0-9._:/+@-]{0,127}$/,
    'must be "device:<id>", "shipment:<id>" or "lot:<id>"',
  );

/**
 * A log origin (C2SP tlog-checkpoint first line): 1-255 printable ASCII characters without spaces,
 * e.g. `ledger.example.org/cold-chain`.
 */
export const Origin = z
  .string()
  .regex(/^[!-~]{1,255}$/, 'must be 1-255 printable ASCII characters without spaces');
