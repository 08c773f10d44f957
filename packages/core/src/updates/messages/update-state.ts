import { z } from 'zod';
import type { UpdateRejection } from '../update-rejected-error.js';

/**
 * The states of one device's firmware update, in the order a successful update passes them:
 * `pending` (assigned, not started) → `downloading` → `verifying` → `installing` (writing the
 * inactive A/B slot) → `confirming` (trial boot and self-test) → `updated`. It ends in `failed`
 * when a check refused the image or the install failed (nothing was booted), or `rolled-back` when
 * the new image was booted on trial but not confirmed (self-test failed, power lost, image
 * corrupted after install) and the device went back to its previous image.
 */
export const UpdateState = z.enum([
  'pending',
  'downloading',
  'verifying',
  'installing',
  'confirming',
  'updated',
  'failed',
  'rolled-back',
]);
export type UpdateState = z.infer<typeof UpdateState>;

/** Every {@link UpdateState}, in lifecycle order. */
export const UPDATE_STATES: readonly UpdateState[] = UpdateState.options;

/** True for `updated`, `failed` and `rolled-back`: the update is over. */
export function isFinalUpdateState(state: UpdateState): boolean {
  return state === 'updated' || state === 'failed' || state === 'rolled-back';
}

const REJECTIONS = {
  signature: true,
  rollback: true,
  expired: true,
  inconsistent: true,
  'too-large': true,
  timeout: true,
  'wrong-hardware': true,
  delegation: true,
  'director-mismatch': true,
  digest: true,
  'not-authorised': true,
  decryption: true,
  replay: true,
  'wrong-device': true,
  malformed: true,
} as const satisfies Record<UpdateRejection, true>;

/** The zod schema of an `UpdateRejectedError` reason, for messages that carry one. */
export const UpdateRejectionSchema = z.enum(
  Object.keys(REJECTIONS) as [UpdateRejection, ...UpdateRejection[]],
);
