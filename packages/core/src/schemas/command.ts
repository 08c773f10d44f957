import { z } from 'zod';
import { nestsDeeperThan } from '../encoding/json-depth.js';
import { DeviceId, EpochMs } from './ids.js';

/** A JSON value (what command parameters and ledger bodies may hold). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** How deep a {@link JsonValue} may nest arrays and objects (command parameters nest a few levels). */
export const MAX_JSON_VALUE_DEPTH = 64;

const JsonValueTree: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonValueTree),
    z.record(z.string(), JsonValueTree),
  ]),
);

/**
 * zod schema of a {@link JsonValue}: a string, number, boolean, null, or an array or record of them,
 * nested at most {@link MAX_JSON_VALUE_DEPTH} levels. The depth is checked first, without
 * recursion, so a value nested thousands of levels deep is a validation issue, not a stack overflow.
 */
export const JsonValue: z.ZodType<JsonValue> = z
  .unknown()
  .superRefine((value, ctx) => {
    if (nestsDeeperThan(value, MAX_JSON_VALUE_DEPTH)) {
      ctx.addIssue({ code: 'custom', message: `nests deeper than ${MAX_JSON_VALUE_DEPTH} levels` });
    }
  })
  .pipe(JsonValueTree) as unknown as z.ZodType<JsonValue>;

/** An instruction to an actuator (start oxygen at 2 L/min, set a pump rate, reboot). */
export const Command = z.strictObject({
  id: z.string().min(1).max(300),
  deviceId: DeviceId,
  /** What to do, e.g. `oxygen.set-flow`. */
  action: z.string().min(1),
  params: z.record(z.string(), JsonValue),
  /** Who issued it: a rule id, a user, a platform service. */
  issuedBy: z.string().min(1),
  issuedAt: EpochMs,
  /** After this time the device must not execute it. */
  expiresAt: EpochMs.optional(),
  /** The reading ids that caused the command, for the audit trail. */
  causedBy: z.array(z.string()).optional(),
  /**
   * Who authorised it, for commands that affect therapy (checked by `verifyCommandAuthorisation`):
   * a person's role claim and the claim key's signature of the rest of the command, or a standing
   * order signed by a clinician and the signature of the gateway the order names.
   */
  auth: z
    .union([
      z.strictObject({ claim: z.unknown(), sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }),
      z.strictObject({ order: z.unknown(), sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }),
    ])
    .optional(),
});
export type Command = z.infer<typeof Command>;

/**
 * The lifecycle states of a command. Issuer side: `pending` (not yet sent), `sent`. Device side:
 * `accepted → running → completed | failed`, or `rejected` (invalid, or outside the actuator's
 * safety limits) / `expired` (past `expiresAt`, never run). `cancelled` by the issuer.
 * `completed`, `rejected`, `failed`, `expired`, `cancelled` are final.
 */
export const CommandState = z.enum([
  'pending',
  'sent',
  'accepted',
  'running',
  'completed',
  'rejected',
  'failed',
  'expired',
  'cancelled',
]);
export type CommandState = z.infer<typeof CommandState>;

/** A report on a command's progress. */
export const CommandStatus = z.strictObject({
  commandId: z.string().min(1),
  deviceId: DeviceId,
  state: CommandState,
  at: EpochMs,
  /** Why, for `rejected` and `failed` (e.g. `exceeds safety limit 6 L/min`). */
  reason: z.string().optional(),
  /** What a completed command returned, e.g. the report of a `diagnostics.self-test`. */
  result: JsonValue.optional(),
});
export type CommandStatus = z.infer<typeof CommandStatus>;

/** True for the states after which a command never changes again. */
export function isFinalCommandState(state: CommandState): boolean {
  return (
    state === 'completed' ||
    state === 'rejected' ||
    state === 'failed' ||
    state === 'expired' ||
    state === 'cancelled'
  );
}
