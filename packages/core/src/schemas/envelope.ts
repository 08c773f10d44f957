import { z } from 'zod';
import { EpochMs } from './ids.js';

/** A detached signature over an envelope's signing input. */
export const EnvelopeSignature = z.strictObject({
  alg: z.literal('Ed25519'),
  /** Key id: which of the sender's keys signed. */
  kid: z.string().min(1),
  /** The signature, base64url without padding. */
  value: z.string().min(1),
});
export type EnvelopeSignature = z.infer<typeof EnvelopeSignature>;

/**
 * What travels between layers: a codec's bytes with who sent them, when, in what order, and
 * (once the sender is onboarded) a signature. `payload` is base64url without padding.
 */
export const Envelope = z.strictObject({
  v: z.literal(1),
  /** Unique message id, stable across retries (`${source}:${seq}`). */
  id: z.string().min(1).max(300),
  /** The sender (a device or gateway id). */
  source: z.string().min(1).max(128),
  /** Per-sender, strictly increasing: lets the receiver reject replays. */
  seq: z.number().int().nonnegative(),
  ts: EpochMs,
  /** Media type of the payload, e.g. `application/vnd.healthit.readings+json`. */
  contentType: z.string().min(1),
  // Whole 4-character groups, then 0, 2 or 3 characters: a length of 4n+1 encodes no byte string.
  payload: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding')
    .refine((text) => text.length % 4 !== 1, 'must be base64url without padding'),
  sig: EnvelopeSignature.optional(),
});
export type Envelope = z.infer<typeof Envelope>;
