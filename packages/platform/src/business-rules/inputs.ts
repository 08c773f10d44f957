import { DeviceId, EpochMs, PatientId, Reading, ValidationError } from '@healthit/core';
import { z } from 'zod';

const ReadingIds = z.array(z.string().min(1).max(300)).max(1_000);

/**
 * A patient's NEWS2 aggregate score at `ts` (`news2-score`), or the news that the patient can no
 * longer be scored (`news2-incomplete`: parameters missing or stale). The gateway's `news2Scores`
 * output has this shape too (its `result.total` is accepted for `score`), so it can be fed as is.
 */
export const News2ScoreEvent = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('news2-score'),
    patientId: PatientId,
    ts: EpochMs,
    /** The aggregate score, 0-20. */
    score: z.number().int().min(0).max(20),
    /** The readings the score was computed from. */
    readingIds: ReadingIds.optional(),
  }),
  z.strictObject({ type: z.literal('news2-incomplete'), patientId: PatientId, ts: EpochMs }),
]);
export type News2ScoreEvent = z.infer<typeof News2ScoreEvent>;

/** The gateway's score update: `result.total` instead of `score`, further fields ignored. */
const GatewayNews2Score = z.looseObject({
  type: z.literal('news2-score'),
  patientId: PatientId,
  ts: EpochMs,
  result: z.looseObject({ total: z.number().int().min(0).max(20) }),
  readingIds: ReadingIds.optional(),
});
const GatewayNews2Incomplete = z.looseObject({
  type: z.literal('news2-incomplete'),
  patientId: PatientId,
  ts: EpochMs,
});

/** Schema name of NEWS2 score events in {@link ValidationError}s. */
export const NEWS2_SCORE_EVENT_SCHEMA_NAME = 'News2ScoreEvent';

/**
 * Validates a NEWS2 score event, in the minimal form or the gateway's. Never throws.
 */
export function parseNews2ScoreEvent(
  input: unknown,
):
  | { readonly ok: true; readonly value: News2ScoreEvent }
  | { readonly ok: false; readonly error: ValidationError } {
  const strict = News2ScoreEvent.safeParse(input);
  if (strict.success) return { ok: true, value: strict.data };
  const score = GatewayNews2Score.safeParse(input);
  if (score.success) {
    const { patientId, ts, result, readingIds } = score.data;
    return {
      ok: true,
      value: {
        type: 'news2-score',
        patientId,
        ts,
        score: result.total,
        ...(readingIds === undefined ? {} : { readingIds }),
      },
    };
  }
  const incomplete = GatewayNews2Incomplete.safeParse(input);
  if (incomplete.success) {
    const { patientId, ts } = incomplete.data;
    return { ok: true, value: { type: 'news2-incomplete', patientId, ts } };
  }
  return { ok: false, error: ValidationError.fromZod(NEWS2_SCORE_EVENT_SCHEMA_NAME, strict.error) };
}

/** A device said it is alive at `ts` (a heartbeat, a status message...). */
export const DeviceHeartbeat = z.strictObject({
  type: z.literal('heartbeat'),
  deviceId: DeviceId,
  ts: EpochMs,
  id: z.string().min(1).max(300).optional(),
});
export type DeviceHeartbeat = z.infer<typeof DeviceHeartbeat>;

/** A sign of life, from a heartbeat or a reading. */
export interface SignOfLife {
  /** The device that showed it is alive. */
  readonly deviceId: string;
  /** When the device was alive: the heartbeat's or the reading's own `ts`, epoch ms. */
  readonly ts: number;
  /** The reading or heartbeat id, when it has one. */
  readonly id?: string;
}

/** Schema name of heartbeat inputs in {@link ValidationError}s. */
export const HEARTBEAT_SCHEMA_NAME = 'DeviceHeartbeat';

/** Validates a heartbeat (`{ type: 'heartbeat', deviceId, ts }`) or a `Reading`. Never throws. */
export function parseSignOfLife(
  input: unknown,
):
  | { readonly ok: true; readonly value: SignOfLife }
  | { readonly ok: false; readonly error: ValidationError } {
  const isHeartbeat =
    typeof input === 'object' && input !== null && (input as { type?: unknown }).type === 'heartbeat';
  if (isHeartbeat) {
    const r = DeviceHeartbeat.safeParse(input);
    if (!r.success) return { ok: false, error: ValidationError.fromZod(HEARTBEAT_SCHEMA_NAME, r.error) };
    return {
      ok: true,
      value: {
        deviceId: r.data.deviceId,
        ts: r.data.ts,
        ...(r.data.id === undefined ? {} : { id: r.data.id }),
      },
    };
  }
  const r = Reading.safeParse(input);
  if (!r.success) return { ok: false, error: ValidationError.fromZod('Reading', r.error) };
  return { ok: true, value: { deviceId: r.data.deviceId, ts: r.data.ts, id: r.data.id } };
}
