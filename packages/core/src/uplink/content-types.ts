/**
 * The content type of every uplink record's payload: UTF-8 JSON (a reading, a JSON array of one
 * device's readings, an alert, a command or a command status, by the record's kind).
 */
export const UPLINK_CONTENT_TYPE = 'application/json';

/**
 * The message headers an uplink over a message broker (NATS JetStream) carries besides the
 * payload, by meaning:
 * - `messageId`: the record's `id` (`Nats-Msg-Id`, which JetStream de-duplicates by);
 * - `kind`: the record's kind (`Healthit-Kind`);
 * - `contentType`: {@link UPLINK_CONTENT_TYPE} unless the gateway was configured otherwise.
 *
 * The record's `key` travels in the subject (see `uplinkSubject`).
 */
export const UPLINK_HEADERS = {
  messageId: 'Nats-Msg-Id',
  kind: 'Healthit-Kind',
  contentType: 'Content-Type',
} as const;

/** One of the header names in {@link UPLINK_HEADERS}. */
export type UplinkHeader = (typeof UPLINK_HEADERS)[keyof typeof UPLINK_HEADERS];
