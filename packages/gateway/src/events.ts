import type { ChannelNotice, HealthItError } from '@healthit/core';
import type { ControlEvent } from './control/events.js';

/** A message from a transport could not be turned into readings. Nothing of it was accepted. */
export interface MessageRejected {
  /** Discriminant of {@link GatewayEvent}: always `message-rejected`. */
  readonly type: 'message-rejected';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  /** The transport topic the message arrived on. */
  readonly topic: string;
  /**
   * Why it was refused: e.g. `codec/decode` (malformed envelope or payload),
   * `codec/unknown-content-type`, `validation/invalid` (a source that is not the topic's device),
   * or a `security/*` code from the authenticator.
   */
  readonly error: HealthItError;
  /** Leading bytes of the offending payload (at most 256), for diagnosis. */
  readonly payloadHead: Uint8Array;
}

/** One reading of an otherwise valid message was refused; its siblings went on. */
export interface ReadingRejected {
  /** Discriminant of {@link GatewayEvent}: always `reading-rejected`. */
  readonly type: 'reading-rejected';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  /** The transport topic the message arrived on. */
  readonly topic: string;
  /** The reading's `id` as received (empty when a decoder produced a reading without one). */
  readonly readingId: string;
  /**
   * Why it was refused: a schema `ValidationError`, a reading of another device than the message's,
   * or a unit that could not be normalised to the metric's canonical UCUM unit or a value outside
   * its plausible range.
   */
  readonly error: HealthItError;
  /** The reading as received. */
  readonly input: unknown;
}

/**
 * A reading already seen was dropped as a duplicate: its device's `seq` was accepted before (inside
 * the de-duplication window, `sequenceWindow` of `createGateway`).
 */
export interface ReadingDuplicate {
  /** Discriminant of {@link GatewayEvent}: always `reading-duplicate`. */
  readonly type: 'reading-duplicate';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  /** The transport topic the message arrived on. */
  readonly topic: string;
  /** The dropped reading's `id`. */
  readonly readingId: string;
  /** The highest `seq` already accepted from the device. */
  readonly lastSeq: number;
}

/**
 * A reading arrived after a newer one of its device (a lower `seq` than the highest accepted,
 * inside the window, never seen): it was **accepted** and is on `readings$` — out of `seq` order.
 * For observability (a device or a path that reorders); nothing was lost.
 */
export interface ReadingLate {
  /** Discriminant of {@link GatewayEvent}: always `reading-late`. */
  readonly type: 'reading-late';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  /** The transport topic the message arrived on. */
  readonly topic: string;
  /** The accepted reading's `id`. */
  readonly readingId: string;
  /** Its `seq`. */
  readonly seq: number;
  /** The highest `seq` already accepted from the device (greater than `seq`). */
  readonly lastSeq: number;
}

/**
 * A reading was refused because its `seq` is `window` or more below the highest accepted from its
 * device: older than the de-duplication window, so whether it was seen cannot be told.
 */
export interface ReadingTooOld {
  /** Discriminant of {@link GatewayEvent}: always `reading-too-old`. */
  readonly type: 'reading-too-old';
  /** The gateway input that received it (always set by `createGateway`). */
  readonly inputName?: string;
  /** The transport topic the message arrived on. */
  readonly topic: string;
  /** The refused reading's `id`. */
  readonly readingId: string;
  /** Its `seq`. */
  readonly seq: number;
  /** The highest `seq` already accepted from the device. */
  readonly lastSeq: number;
  /** Seqs remembered per device (`sequenceWindow`): the oldest still judged is `lastSeq - window + 1`. */
  readonly window: number;
}

/**
 * Readings of one device in one message were refused because the device exceeded its rate
 * (`rateLimit` of `createGateway`). One event per message and device; `count` of them were dropped.
 */
export interface ReadingRateLimited {
  /** Discriminant of {@link GatewayEvent}: always `reading-rate-limited`. */
  readonly type: 'reading-rate-limited';
  /** The gateway input that received them (always set by `createGateway`). */
  readonly inputName?: string;
  /** The transport topic the message arrived on. */
  readonly topic: string;
  /** The device over its rate. */
  readonly deviceId: string;
  /** How many readings of the message were dropped (the length of `readingIds`). */
  readonly count: number;
  /** The dropped readings' ids, in message order. */
  readonly readingIds: readonly string[];
  /** Readings of the device dropped since the gateway started tracking it, these included. */
  readonly droppedTotal: number;
  /** The device's sustained limit, readings per second. */
  readonly readingsPerSecond: number;
  /** The device's burst (bucket size). */
  readonly burst: number;
}

/**
 * A channel decoder reported something that did not become a reading but is no reason to refuse
 * the message (a special value, an unmapped HL7 observation, a time stamp it could not use).
 */
export interface DecoderNotice {
  /** Discriminant of {@link GatewayEvent}: always `decoder-notice`. */
  readonly type: 'decoder-notice';
  /** The gateway input whose decoder reported it. */
  readonly inputName: string;
  /** The transport topic the message arrived on. */
  readonly topic: string;
  /** The decoder's `name`. */
  readonly decoder: string;
  /** The decoder's notice as reported (`type`, `message` and optional `detail`). */
  readonly notice: ChannelNotice;
}

/** A command status message from an actuator could not be decoded; the loop never saw it. */
export interface CommandStatusRejected {
  /** Discriminant of {@link GatewayEvent}: always `command-status-rejected`. */
  readonly type: 'command-status-rejected';
  /** The topic the status arrived on (`Topics.deviceCommandStatus(deviceId)`). */
  readonly topic: string;
  /**
   * Why it could not be decoded: the error the JSON command-status codec threw (`codec/decode` when
   * it was not a `HealthItError`).
   */
  readonly error: HealthItError;
}

/** A command of the control loop could not be published to its actuator (it will time out and alert). */
export interface CommandPublishFailed {
  /** Discriminant of {@link GatewayEvent}: always `command-publish-failed`. */
  readonly type: 'command-publish-failed';
  /** The id of the command that was not published. */
  readonly commandId: string;
  /** The actuator the command was for (its device id). */
  readonly deviceId: string;
  /**
   * Why the transport refused it (`transport/publish-failed` unless the transport gave a
   * `HealthItError`).
   */
  readonly error: HealthItError;
}

/** What happened to the gateway's input besides the readings it accepted. */
export type AcquisitionEvent =
  | MessageRejected
  | ReadingRejected
  | ReadingDuplicate
  | ReadingLate
  | ReadingTooOld
  | ReadingRateLimited
  | DecoderNotice;

/** Everything on the gateway's `events$`: acquisition, and the control loop when configured. */
export type GatewayEvent = AcquisitionEvent | CommandStatusRejected | CommandPublishFailed | ControlEvent;
