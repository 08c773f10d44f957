/**
 * Every kind of record that crosses the uplink from a gateway to the platform. Alerts are never
 * shed by the gateway's outbox; `event` records carry gateway events and have no decoder here.
 */
export const UPLINK_RECORD_KINDS = [
  'reading',
  'reading-batch',
  'alert',
  'command',
  'command-status',
  'event',
] as const;

/** What kind of record crosses the uplink (one of {@link UPLINK_RECORD_KINDS}). */
export type UplinkRecordKind = (typeof UPLINK_RECORD_KINDS)[number];

/**
 * One record on its way from the gateway to the platform. `id` is stable and unique (a reading's
 * id, an alert's id), so the far side can drop redeliveries; records with the same `key`
 * (a device id) are delivered in the order they were appended.
 */
export interface UplinkRecord {
  /** Stable, unique record id (a reading's id, an alert's id, ...): the far side drops redeliveries by it. */
  readonly id: string;
  /** What the payload holds, one of {@link UPLINK_RECORD_KINDS}. */
  readonly kind: UplinkRecordKind;
  /** The ordering key: per-key order is kept end to end (the device id). */
  readonly key: string;
  /** The encoded record (UTF-8 JSON of the reading, alert, ...; see `UPLINK_CONTENT_TYPE`). */
  readonly payload: Uint8Array;
}

/** True when `value` is one of {@link UPLINK_RECORD_KINDS}. */
export function isUplinkRecordKind(value: unknown): value is UplinkRecordKind {
  return typeof value === 'string' && (UPLINK_RECORD_KINDS as readonly string[]).includes(value);
}
