import type { Envelope } from '../schemas/envelope.js';
import { fromBase64Url, toBase64Url } from './bytes.js';

/** What {@link createEnvelope} needs. */
export interface EnvelopeInit {
  /** The sender (device or gateway id). */
  readonly source: string;
  /** Per-sender, strictly increasing. */
  readonly seq: number;
  /** Epoch ms when the envelope was made. */
  readonly ts: number;
  /** Media type of `payload`, naming its codec, e.g. `application/vnd.healthit.readings+json`; not empty. */
  readonly contentType: string;
  /** The codec's bytes. */
  readonly payload: Uint8Array;
}

/** Wraps a codec's bytes in an (unsigned) {@link Envelope} with id `${source}:${seq}`. */
export function createEnvelope(init: EnvelopeInit): Envelope {
  return {
    v: 1,
    id: `${init.source}:${init.seq}`,
    source: init.source,
    seq: init.seq,
    ts: init.ts,
    contentType: init.contentType,
    payload: toBase64Url(init.payload),
  };
}

/** The payload bytes of an envelope. @throws {Error} when the payload is not base64url. */
export function envelopePayload(envelope: Envelope): Uint8Array {
  return fromBase64Url(envelope.payload);
}
