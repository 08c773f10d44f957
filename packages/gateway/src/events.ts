import type { ChannelNotice, HealthItError } from '@healthit/core';

/** A message from a transport could not be turned into readings. Nothing of it was accepted. */
export interface MessageRejected {
  readonly type: 'message-rejected';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  readonly topic: string;
  readonly error: HealthItError;
  /** Leading bytes of the offending payload (at most 256), for diagnosis. */
  readonly payloadHead: Uint8Array;
}

/** One reading of an otherwise valid message was refused; its siblings went on. */
export interface ReadingRejected {
  readonly type: 'reading-rejected';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  readonly topic: string;
  readonly readingId: string;
  readonly error: HealthItError;
  /** The reading as received. */
  readonly input: unknown;
}

/** A reading already seen (same device, same or older `seq`) was dropped as a duplicate. */
export interface ReadingDuplicate {
  readonly type: 'reading-duplicate';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  readonly topic: string;
  readonly readingId: string;
  /** The highest `seq` already accepted from the device. */
  readonly lastSeq: number;
}

/**
 * A channel decoder reported something that did not become a reading but is no reason to refuse
 * the message (a special value, an unmapped HL7 observation, a time stamp it could not use).
 */
export interface DecoderNotice {
  readonly type: 'decoder-notice';
  readonly inputName: string;
  readonly topic: string;
  /** The decoder's `name`. */
  readonly decoder: string;
  readonly notice: ChannelNotice;
}

/** What happened to the gateway's input besides the readings it accepted. */
export type GatewayEvent = MessageRejected | ReadingRejected | ReadingDuplicate | DecoderNotice;
