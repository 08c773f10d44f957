import { HealthItError } from '@healthit/core';
import type { DeploymentCommandType, RollbackTrigger } from './commands.js';

/** Why a deploy refused a model (besides the verifier's and the profile's own reasons). */
export type DeployRefusal =
  /** The artifact's model id is not the deployment's. */
  | 'model-mismatch'
  /** Its declared columns are not the deployment's feature columns (names, units, order). */
  | 'feature-mismatch'
  /** It does not take one float32 `[N, columns]` input and give a float32 `[N, 1]` output. */
  | 'io-mismatch'
  /** The version is already deployed (active, shadow or kept for rollback). */
  | 'duplicate-version'
  /** A reference profile is required and none was given. */
  | 'no-profile';

/**
 * A deploy command refused a model (`security/unauthenticated` when the artifact or its profile
 * did not verify, `config/invalid` when it does not fit the deployment). `subject` says what was
 * refused, `reason` which check failed.
 */
export class ModelDeploymentError extends HealthItError {
  override readonly name = 'ModelDeploymentError';
  readonly subject: 'artifact' | 'profile' | 'spec';
  readonly reason: string;
  readonly version: string | undefined;

  constructor(
    subject: 'artifact' | 'profile' | 'spec',
    reason: string,
    message: string,
    options: { version?: string | undefined; cause?: unknown } = {},
  ) {
    super(subject === 'spec' ? 'config/invalid' : 'security/unauthenticated', message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      detail: { subject, reason, version: options.version },
    });
    this.subject = subject;
    this.reason = reason;
    this.version = options.version;
  }
}

/** Where a version stands in a deployment. */
export type VersionRole = 'active' | 'shadow' | 'previous';

/** One deployed version as a status snapshot. */
export interface DeployedVersionStatus {
  readonly version: string;
  /** SHA-256 of its bytes. */
  readonly sha256: string;
  readonly role: VersionRole;
  /** When it took this role (the deployment's clock), epoch ms. */
  readonly since: number;
  /** Inputs scored while active, and those that failed in its run or output. */
  readonly scored: number;
  readonly failed: number;
  /** The same, in shadow. */
  readonly shadowScored: number;
  readonly shadowFailed: number;
  /** Inputs routed to it and not yet scored. */
  readonly inFlight: number;
  /** Whether it came with a verified reference profile. */
  readonly profiled: boolean;
}

/** What a deployment holds now. */
export interface DeploymentStatus {
  readonly modelId: string;
  readonly active: DeployedVersionStatus | undefined;
  readonly shadow: DeployedVersionStatus | undefined;
  /** Versions kept loaded for rollback, the most recent last. */
  readonly previous: readonly DeployedVersionStatus[];
  /** Commands waiting (the one running included). */
  readonly queuedCommands: number;
}

/** A state transition or a command's outcome, in order (`seq`), stamped with the deployment's clock. */
export type DeploymentEvent = { readonly seq: number; readonly at: number } & (
  | { readonly type: 'command-accepted'; readonly commandId: string; readonly command: DeploymentCommandType }
  | {
      readonly type: 'command-rejected';
      readonly commandId: string | undefined;
      readonly command: DeploymentCommandType | undefined;
      readonly error: HealthItError;
    }
  /** The artifact (and its profile) verified. */
  | {
      readonly type: 'verified';
      readonly version: string;
      readonly sha256: string;
      readonly approvedBy: string | undefined;
      readonly profiled: boolean;
    }
  /** The artifact or its profile was refused; nothing was loaded. */
  | { readonly type: 'refused'; readonly version: string | undefined; readonly error: ModelDeploymentError }
  | { readonly type: 'load-failed'; readonly version: string; readonly error: HealthItError }
  /** Loaded and scoring in shadow (or active, for a first deployment in mode `active`). */
  | { readonly type: 'loaded'; readonly version: string; readonly role: 'shadow' | 'active' }
  | {
      readonly type: 'promoted';
      readonly version: string;
      readonly previous: string | undefined;
      readonly trigger: 'command' | 'auto' | 'first-deployment';
    }
  | {
      readonly type: 'rolled-back';
      readonly from: string;
      readonly to: string;
      readonly trigger: RollbackTrigger;
      readonly reason: string;
    }
  /** A rollback was due (or asked for) and no previous version is kept. */
  | {
      readonly type: 'rollback-unavailable';
      readonly version: string | undefined;
      readonly trigger: RollbackTrigger;
      readonly reason: string;
    }
  | { readonly type: 'shadow-discarded'; readonly version: string; readonly reason: 'command' | 'replaced' }
  /** Left the rollback history (more than `maxRetained` previous versions). */
  | { readonly type: 'retired'; readonly version: string }
  /** Its model was disposed (once its inputs in flight were scored). */
  | { readonly type: 'disposed'; readonly version: string }
  | { readonly type: 'dispose-failed'; readonly version: string; readonly error: HealthItError }
);

/** The `type` of a {@link DeploymentEvent}. */
export type DeploymentEventType = DeploymentEvent['type'];

/** The outcome of a command. */
export type CommandResult =
  | { readonly ok: true; readonly commandId: string; readonly status: DeploymentStatus }
  | { readonly ok: false; readonly commandId: string | undefined; readonly error: HealthItError };

/** Where the scoring of one input failed. `no-model`: neither an active nor a shadow version when it arrived. */
export type ScoringStage = 'no-model' | 'prepare' | 'encode' | 'run' | 'decode' | 'overflow';

/**
 * What the deployment's scoring operator emits per input: exactly one `score` or `error` (the
 * active version's verdict, acted on), then, when a shadow version was scoring when the input
 * arrived, one `shadow-score` or `shadow-error` (logged, never acted on).
 */
export type ScoringEvent<In> =
  | { readonly type: 'score'; readonly input: In; readonly score: number; readonly version: string }
  | {
      readonly type: 'error';
      readonly input: In;
      readonly stage: ScoringStage;
      readonly error: HealthItError;
      /** The active version the input was routed to (none for `no-model`). */
      readonly version: string | undefined;
    }
  | { readonly type: 'shadow-score'; readonly input: In; readonly score: number; readonly version: string }
  | {
      readonly type: 'shadow-error';
      readonly input: In;
      readonly stage: 'run' | 'decode';
      readonly error: HealthItError;
      readonly version: string;
    };
