import type { UplinkRecord } from '@healthit/core';
import type { Observable } from 'rxjs';

export type { UplinkRecord, UplinkRecordKind } from '@healthit/core';

/** Whether an uplink can currently deliver. */
export type UplinkState = 'up' | 'down';

/**
 * Where the gateway's outbox forwards to: in-process to a platform in the same process, or NATS
 * JetStream (`@healthit/gateway/nats`).
 */
export interface Uplink {
  /** For logs and events, e.g. `nats://127.0.0.1:4222 stream HEALTHIT_WARD_A`. */
  readonly name: string;
  /**
   * Sends records in order and resolves with how many of them, counted from the first, the far
   * side acknowledged as durably stored (`records.length` when all were). Records after the first
   * unacknowledged one must be sent again, so delivery is at-least-once; the far side de-duplicates
   * by `id`. Rejects only for errors that are not about availability (a closed uplink).
   */
  send(records: readonly UplinkRecord[]): Promise<number>;
  /** The current state and every change of it. */
  readonly state$: Observable<UplinkState>;
  /** Stops sending; pending sends settle. */
  close(): Promise<void>;
}
