import { EpochMs } from '@healthit/core';
import { RolloutCampaignBody, RolloutDeviceStateBody } from '@healthit/core/updates';
import { z } from 'zod';
import { Digest, FiniteNumber, Id, text } from './fields.js';
import { ReadingBatchBody } from './reading-batch.js';

/**
 * `custody.transfer`: goods (a shipment, optionally some lots) pass from one organisation to
 * another, with the conditions observed at hand-over. Signed by both parties.
 */
export const CustodyTransferBody = z.strictObject({
  from: Id,
  to: Id,
  shipment: Id,
  /** Lots in the shipment (at most 256), when tracked. */
  lots: z.array(Id).min(1).max(256).optional(),
  /** Units handed over. */
  quantity: z.number().int().positive().optional(),
  /** What the receiver observed at hand-over. */
  conditions: z.strictObject({
    tempMinMilliCelsius: z.number().int().optional(),
    tempMaxMilliCelsius: z.number().int().optional(),
    /** Temperature excursions recorded during the leg. */
    excursions: z.number().int().nonnegative(),
    sealIntact: z.boolean(),
    notes: text(1024).optional(),
  }),
});
export type CustodyTransferBody = z.infer<typeof CustodyTransferBody>;

/** `config.change`: a device's (or service's) configuration changed to the one with this digest. */
export const ConfigChangeBody = z.strictObject({
  target: Id,
  /** Configuration version after the change. */
  version: z.number().int().nonnegative(),
  /** SHA-256 of the canonical new configuration (kept off the ledger). */
  digest: Digest,
  /** SHA-256 of the configuration it replaces, when there was one. */
  previousDigest: Digest.optional(),
  reason: text(1024),
});
export type ConfigChangeBody = z.infer<typeof ConfigChangeBody>;

/** `firmware.authorize`: a firmware image may be installed on the listed hardware. */
export const FirmwareAuthorizeBody = z.strictObject({
  /** SHA-256 of the image bytes. */
  imageDigest: Digest,
  version: text(64, 1),
  /** Hardware models/revisions allowed to run it (1-256). */
  hardwareIds: z.array(Id).min(1).max(256),
  /** Refuse to install over a newer version than this (anti-rollback), when given. */
  minPreviousVersion: text(64, 1).optional(),
});
export type FirmwareAuthorizeBody = z.infer<typeof FirmwareAuthorizeBody>;

/** `model.approve`: an AI model version is approved for use, with its validation metrics. */
export const ModelApproveBody = z.strictObject({
  modelId: Id,
  version: text(64, 1),
  /** SHA-256 of the model file. */
  digest: Digest,
  /** Validation metrics by name (at most 64), e.g. `{ "auroc": 0.91 }`. */
  metrics: z
    .record(text(64, 1), FiniteNumber)
    .refine((m) => Object.keys(m).length <= 64, 'at most 64 metrics'),
  intendedUse: text(1024).optional(),
});
export type ModelApproveBody = z.infer<typeof ModelApproveBody>;

/** `policy.update`: a new version of a policy (membership, endorsement ...) takes effect. */
export const PolicyUpdateBody = z.strictObject({
  policyId: Id,
  version: z.number().int().positive(),
  /** SHA-256 of the canonical policy document. */
  digest: Digest,
  effectiveFrom: EpochMs,
});
export type PolicyUpdateBody = z.infer<typeof PolicyUpdateBody>;

/** `device.onboarded`: a device joins, owned by an organisation, optionally with its signing key. */
export const DeviceOnboardedBody = z.strictObject({
  device: Id,
  owner: Id,
  model: text(128, 1),
  firmwareVersion: text(64, 1).optional(),
  /** The device's Ed25519 key id and public key (lowercase hex), when it signs its own entries. */
  keyId: Id.optional(),
  publicKey: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (Ed25519 public key)')
    .optional(),
});
export type DeviceOnboardedBody = z.infer<typeof DeviceOnboardedBody>;

/** `key.revoke`: a key may no longer sign from `effectiveFrom` on. */
export const KeyRevokeBody = z.strictObject({
  keyId: Id,
  reason: z.enum(['compromised', 'superseded', 'retired']),
  effectiveFrom: EpochMs,
});
export type KeyRevokeBody = z.infer<typeof KeyRevokeBody>;

/** `device.decommissioned`: a device leaves service. */
export const DeviceDecommissionedBody = z.strictObject({
  device: Id,
  reason: z.enum(['end-of-life', 'faulty', 'lost', 'recalled', 'other']),
  dataWiped: z.boolean(),
});
export type DeviceDecommissionedBody = z.infer<typeof DeviceDecommissionedBody>;

/** `security.event`: something security-relevant happened (detected tampering, failed logins ...). */
export const SecurityEventBody = z.strictObject({
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  category: Id,
  subject: Id,
  description: text(2048),
  /** SHA-256 of evidence kept off the ledger. */
  evidenceDigest: Digest.optional(),
});
export type SecurityEventBody = z.infer<typeof SecurityEventBody>;

/** Every entry kind and the zod schema of its body. Kinds not listed here are rejected. */
export const EntryBodies = {
  'reading.batch': ReadingBatchBody,
  'custody.transfer': CustodyTransferBody,
  'config.change': ConfigChangeBody,
  'firmware.authorize': FirmwareAuthorizeBody,
  /** A device's state in a staged rollout changed (the platform's rollout audit trail). */
  'firmware.rollout.device-state': RolloutDeviceStateBody,
  /** A rollout campaign decision: created, wave advanced, paused, resumed, aborted, cancelled, completed. */
  'firmware.rollout.campaign': RolloutCampaignBody,
  'model.approve': ModelApproveBody,
  'policy.update': PolicyUpdateBody,
  'device.onboarded': DeviceOnboardedBody,
  'key.revoke': KeyRevokeBody,
  'device.decommissioned': DeviceDecommissionedBody,
  'security.event': SecurityEventBody,
} as const;

/** The entry kinds, e.g. `reading.batch`. */
export type EntryKind = keyof typeof EntryBodies;

/** The entry kinds as a list. */
export const EntryKinds = Object.keys(EntryBodies) as readonly EntryKind[];

/** The body type of an entry kind. */
export type EntryBody<K extends EntryKind = EntryKind> = z.infer<(typeof EntryBodies)[K]>;
