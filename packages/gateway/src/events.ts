import type { ChannelNotice, HealthItError } from '@healthit/core';
import type { ControlEvent } from './control/events.js';

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

/** A command status message from an actuator could not be decoded; the loop never saw it. */
export interface CommandStatusRejected {
  readonly type: 'command-status-rejected';
  readonly topic: string;
  readonly error: HealthItError;
}

/** A command of the control loop could not be published to its actuator (it will time out and alert). */
export interface CommandPublishFailed {
  readonly type: 'command-publish-failed';
  readonly commandId: string;
  readonly deviceId: string;
  readonly error: HealthItError;
}

/** What happened to the gateway's input besides the readings it accepted. */
export type AcquisitionEvent = MessageRejected | ReadingRejected | ReadingDuplicate | DecoderNotice;

/** Everything on the gateway's `events$`: acquisition, and the control loop when configured. */
export type GatewayEvent = AcquisitionEvent | CommandStatusRejected | CommandPublishFailed | ControlEvent;
