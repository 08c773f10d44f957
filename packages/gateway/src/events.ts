import type { HealthItError } from '@healthit/core';

/** A message from a transport could not be turned into readings. Nothing of it was accepted. */
export interface MessageRejected {
  readonly type: 'message-rejected';
  readonly topic: string;
  readonly error: HealthItError;
  /** Leading bytes of the offending payload (at most 256), for diagnosis. */
  readonly payloadHead: Uint8Array;
}

/** One reading of an otherwise valid message was refused; its siblings went on. */
export interface ReadingRejected {
  readonly type: 'reading-rejected';
  readonly topic: string;
  readonly readingId: string;
  readonly error: HealthItError;
  /** The reading as received. */
  readonly input: unknown;
}

/** A reading already seen (same device, same or older `seq`) was dropped as a duplicate. */
export interface ReadingDuplicate {
  readonly type: 'reading-duplicate';
  readonly topic: string;
  readonly readingId: string;
  /** The highest `seq` already accepted from the device. */
  readonly lastSeq: number;
}

/** What happened to the gateway's input besides the readings it accepted. */
export type GatewayEvent = MessageRejected | ReadingRejected | ReadingDuplicate;
