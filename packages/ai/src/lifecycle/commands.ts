import { z } from 'zod';
import { ModelApproval, ModelVersion, SignedModelArtifactJson } from '../artifacts/manifest.js';
import { SignedReferenceProfile } from '../monitoring/reference-profile.js';

/** Correlates a command with its result and events: 1-128 printable characters. */
export const CommandId = z.string().regex(/^[!-~]{1,128}$/, 'must be 1-128 printable ASCII characters');

/** A signed artifact as it travels in memory: manifest and signature (checked by the verifier), bytes. */
const InMemoryArtifact = z.strictObject({
  manifest: z.record(z.string(), z.unknown()),
  sig: z.string().max(256),
  bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be a Uint8Array'),
});

/**
 * Deploy a signed, approved model version. It is verified (bytes against the signed SHA-256,
 * signature by a trusted signer, approval by a trusted approver, optionally held by the ledger),
 * checked against the deployment's feature columns, loaded, and then scores in **shadow** (logged,
 * not acted on) until promoted. `mode: 'active'` is allowed only while no version is active (the
 * first deployment of a gateway). A shadow already there is replaced.
 */
export const DeployCommand = z.strictObject({
  type: z.literal('deploy'),
  commandId: CommandId,
  /** The signed artifact: as JSON (bytes base64url) or in memory (bytes a `Uint8Array`). */
  artifact: z.union([SignedModelArtifactJson, InMemoryArtifact]),
  approval: ModelApproval.optional(),
  /** The model's signed reference profile, for drift monitoring. */
  profile: SignedReferenceProfile.optional(),
  mode: z.enum(['shadow', 'active']).optional(),
});
export type DeployCommand = z.infer<typeof DeployCommand>;

/**
 * Promote the shadow version: inputs that arrive from now on are scored by it; inputs already
 * routed finish on the version they were routed to. The version active until now is kept loaded
 * for rollback. `version`, when given, must be the shadow's (guards against promoting another).
 */
export const PromoteCommand = z.strictObject({
  type: z.literal('promote'),
  commandId: CommandId,
  version: ModelVersion.optional(),
});
export type PromoteCommand = z.infer<typeof PromoteCommand>;

/** Why a rollback happens. */
export const ROLLBACK_TRIGGERS = ['command', 'alarm', 'error-rate'] as const;
/** One of {@link ROLLBACK_TRIGGERS}. */
export type RollbackTrigger = (typeof ROLLBACK_TRIGGERS)[number];

/**
 * Roll back: the version active until now stops receiving inputs (and is disposed once its inputs
 * in flight are scored); the most recent previous version becomes active again.
 */
export const RollbackCommand = z.strictObject({
  type: z.literal('rollback'),
  commandId: CommandId,
  reason: z.string().min(1).max(1024),
  /** `command` (default) or `alarm` (a monitoring alarm). `error-rate` is the deployment's own. */
  trigger: z.enum(['command', 'alarm']).optional(),
});
export type RollbackCommand = z.infer<typeof RollbackCommand>;

/** Stop the shadow version (disposed once its inputs in flight are scored). */
export const DiscardShadowCommand = z.strictObject({
  type: z.literal('discard-shadow'),
  commandId: CommandId,
});
export type DiscardShadowCommand = z.infer<typeof DiscardShadowCommand>;

/** What a model deployment can be told, validated where it arrives (e.g. from the platform over the downlink). */
export const DeploymentCommand = z.discriminatedUnion('type', [
  DeployCommand,
  PromoteCommand,
  RollbackCommand,
  DiscardShadowCommand,
]);
export type DeploymentCommand = z.infer<typeof DeploymentCommand>;

/** The `type` of a {@link DeploymentCommand}. */
export type DeploymentCommandType = DeploymentCommand['type'];
