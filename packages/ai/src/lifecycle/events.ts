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
  /** The error's class name: always `ModelDeploymentError`. */
  override readonly name = 'ModelDeploymentError';
  /**
   * What was refused: the signed `artifact` (it did not verify), its reference `profile` (it did
   * not verify, does not match the feature columns, or is missing), or its `spec` (it does not fit
   * the deployment: model id, feature columns, input/output tensors, or a version already deployed).
   */
  readonly subject: 'artifact' | 'profile' | 'spec';
  /**
   * Which check failed: a {@link ModelRefusal} for the `artifact`, a {@link ProfileRefusal} (or
   * `feature-mismatch`, `no-profile`) for the `profile`, a {@link DeployRefusal} for the `spec`.
   */
  readonly reason: string;
  /** The version refused, as its manifest claims; undefined when the manifest does not say (malformed). */
  readonly version: string | undefined;

  /**
   * Creates the error; its code is `config/invalid` for a `spec` refusal, `security/unauthenticated`
   * otherwise.
   * @param subject - What was refused: `artifact`, `profile` or `spec`.
   * @param reason - Which check failed (a refusal code such as `digest-mismatch` or `io-mismatch`).
   * @param message - The human-readable message, naming the model version and what to do.
   * @param options - The `version` refused, when known, and the underlying `cause` (e.g. the verifier's error).
   */
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
  /** The version, as its signed manifest names it (1-64 printable ASCII characters, e.g. `1.2.0`). */
  readonly version: string;
  /** SHA-256 of its bytes. */
  readonly sha256: string;
  /**
   * Its role now: `active` (its scores are acted on), `shadow` (scores logged only, awaiting
   * promotion) or `previous` (kept loaded for rollback).
   */
  readonly role: VersionRole;
  /** When it took this role (the deployment's clock), epoch ms. */
  readonly since: number;
  /** Inputs it scored while active (one `score` event each), since it was loaded. */
  readonly scored: number;
  /**
   * Inputs routed to it while active that failed in its run or in its output (one `error` event
   * each, stage `run` or `decode`), since it was loaded.
   */
  readonly failed: number;
  /** Inputs it scored in shadow (one `shadow-score` event each), since it was loaded. */
  readonly shadowScored: number;
  /** Inputs that failed in its run or output while in shadow (one `shadow-error` event each). */
  readonly shadowFailed: number;
  /** Inputs routed to it and not yet scored. */
  readonly inFlight: number;
  /** Whether it came with a verified reference profile. */
  readonly profiled: boolean;
}

/** What a deployment holds now. */
export interface DeploymentStatus {
  /** The id of the model deployed ({@link ModelDeploymentOptions.modelId}); every version carries it. */
  readonly modelId: string;
  /** The version whose scores are acted on; undefined until one is promoted, and after `close()`. */
  readonly active: DeployedVersionStatus | undefined;
  /** The version scoring in shadow (logged, not acted on) until promoted or discarded; undefined when none. */
  readonly shadow: DeployedVersionStatus | undefined;
  /** Versions kept loaded for rollback, the most recent last. */
  readonly previous: readonly DeployedVersionStatus[];
  /** Commands waiting (the one running included). */
  readonly queuedCommands: number;
}

/** A state transition or a command's outcome, in order (`seq`), stamped with the deployment's clock. */
export type DeploymentEvent = {
  /** The event's position in this deployment's event sequence: 0, 1, 2 … with no gaps. */
  readonly seq: number;
  /** When it was emitted, by the deployment's clock, epoch ms. */
  readonly at: number;
} & (
  | {
      /** `command-accepted`: a command passed validation and was applied. */
      readonly type: 'command-accepted';
      /** The accepted command's `commandId`. */
      readonly commandId: string;
      /** Its `type`: `deploy`, `promote`, `rollback` or `discard-shadow`. */
      readonly command: DeploymentCommandType;
    }
  | {
      /**
       * `command-rejected`: a command was not applied (invalid, refused, failed, not allowed in the
       * deployment's state, queue full, or the deployment closed).
       */
      readonly type: 'command-rejected';
      /** The command's `commandId`; undefined when it had no string one. */
      readonly commandId: string | undefined;
      /** The command's `type`; undefined when it is not a known one, or when the command queue was full. */
      readonly command: DeploymentCommandType | undefined;
      /**
       * Why: a `ValidationError` for a malformed command, `buffer/overflow` when `maxQueuedCommands`
       * were waiting, a {@link ModelDeploymentError} for a refused model, `model/load` for a load
       * that failed, `state/invalid` when the deployment's state does not allow it.
       */
      readonly error: HealthItError;
    }
  /** The artifact (and its profile) verified. */
  | {
      /** `verified`: the artifact (and its profile) passed every check; it is loaded next. */
      readonly type: 'verified';
      /** The version verified. */
      readonly version: string;
      /** SHA-256 of its bytes, lowercase hex, as signed in its manifest. */
      readonly sha256: string;
      /** Id of the approver whose approval let it in; undefined when it came without an approval (not required). */
      readonly approvedBy: string | undefined;
      /** Whether a reference profile came with it and verified. */
      readonly profiled: boolean;
    }
  /** The artifact or its profile was refused; nothing was loaded. */
  | {
      /** `refused`: a check of the artifact, its profile or its spec failed. */
      readonly type: 'refused';
      /** The version refused, as its manifest claims; undefined when the manifest does not say. */
      readonly version: string | undefined;
      /** Which check failed (`subject`, `reason`) and why. */
      readonly error: ModelDeploymentError;
    }
  | {
      /** `load-failed`: the runtime could not load a verified version; nothing deployed changed. */
      readonly type: 'load-failed';
      /** The version that did not load. */
      readonly version: string;
      /** The runtime's error (`model/load` when it threw something other than a `HealthItError`). */
      readonly error: HealthItError;
    }
  /** Loaded and scoring in shadow (or active, for a first deployment in mode `active`). */
  | {
      /** `loaded`: a verified version was loaded and takes inputs from now on. */
      readonly type: 'loaded';
      /** The version loaded. */
      readonly version: string;
      /** The role it took: `shadow`, or `active` for a first deployment in mode `active`. */
      readonly role: 'shadow' | 'active';
    }
  | {
      /** `promoted`: the version became active; inputs arriving from now on are scored by it. */
      readonly type: 'promoted';
      /** The version now active. */
      readonly version: string;
      /** The version active until now (kept for rollback, up to `maxRetained`); undefined when none was. */
      readonly previous: string | undefined;
      /**
       * What promoted it: a `promote` command (`command`), the promotion policy under
       * `promotion.auto` (`auto`), or a deploy in mode `active` with no active version
       * (`first-deployment`).
       */
      readonly trigger: 'command' | 'auto' | 'first-deployment';
    }
  | {
      /** `rolled-back`: the most recent previous version is active again. */
      readonly type: 'rolled-back';
      /** The version that was active; disposed once its inputs in flight are scored. */
      readonly from: string;
      /** The previous version now active again. */
      readonly to: string;
      /**
       * What caused it: a `rollback` command (`command`), a monitoring alarm relayed as one
       * (`alarm`), or the active version's failure rate over `autoRollback` limits (`error-rate`).
       */
      readonly trigger: RollbackTrigger;
      /** The command's `reason`, or for `error-rate` how many of the last inputs failed. */
      readonly reason: string;
    }
  /** A rollback was due (or asked for) and no previous version is kept. */
  | {
      /** `rollback-unavailable`: a rollback could not happen; the active version stays. */
      readonly type: 'rollback-unavailable';
      /** The version active; undefined when none is. */
      readonly version: string | undefined;
      /** What asked for the rollback (see `rolled-back`). */
      readonly trigger: RollbackTrigger;
      /** The reason the rollback was asked for. */
      readonly reason: string;
    }
  | {
      /** `shadow-discarded`: the shadow version stopped taking inputs (disposed once its inputs in flight are scored). */
      readonly type: 'shadow-discarded';
      /** The shadow version discarded. */
      readonly version: string;
      /** Why: a `discard-shadow` command (`command`), or a newly deployed version took its place (`replaced`). */
      readonly reason: 'command' | 'replaced';
    }
  /** Left the rollback history (more than `maxRetained` previous versions). */
  | {
      /** `retired`: the version is no longer kept for rollback. */
      readonly type: 'retired';
      /** The version retired. */
      readonly version: string;
    }
  /** Its model was disposed (once its inputs in flight were scored). */
  | {
      /** `disposed`: the version's loaded model was released. */
      readonly type: 'disposed';
      /** The version disposed. */
      readonly version: string;
    }
  | {
      /** `dispose-failed`: disposing a version's loaded model threw; it is out of service all the same. */
      readonly type: 'dispose-failed';
      /** The version whose disposal failed. */
      readonly version: string;
      /** The model's error (`state/invalid` when it threw something other than a `HealthItError`). */
      readonly error: HealthItError;
    }
);

/** The `type` of a {@link DeploymentEvent}. */
export type DeploymentEventType = DeploymentEvent['type'];

/** The outcome of a command. */
export type CommandResult =
  | {
      /** `true`: the command was applied (and a `command-accepted` event emitted). */
      readonly ok: true;
      /** The command's `commandId`. */
      readonly commandId: string;
      /** The deployment's status right after the command was applied. */
      readonly status: DeploymentStatus;
    }
  | {
      /** `false`: the command was not applied (and a `command-rejected` event emitted). */
      readonly ok: false;
      /** The command's `commandId`; undefined when it had no string one. */
      readonly commandId: string | undefined;
      /** Why it was rejected (as in the `command-rejected` event). */
      readonly error: HealthItError;
    };

/** Where the scoring of one input failed. `no-model`: neither an active nor a shadow version when it arrived. */
export type ScoringStage = 'no-model' | 'prepare' | 'encode' | 'run' | 'decode' | 'overflow';

/**
 * What the deployment's scoring operator emits per input: exactly one `score` or `error` (the
 * active version's verdict, acted on), then, when a shadow version was scoring when the input
 * arrived, one `shadow-score` or `shadow-error` (logged, never acted on).
 */
export type ScoringEvent<In> =
  | {
      /** `score`: the active version scored the input; act on it. */
      readonly type: 'score';
      /** The input, as it arrived in the stream. */
      readonly input: In;
      /** The active version's output for the input: a probability in [0, 1]. */
      readonly score: number;
      /** The active version that scored it (the one active when the input arrived). */
      readonly version: string;
    }
  | {
      /** `error`: the input got no score from an active version; the stream goes on. */
      readonly type: 'error';
      /** The input, as it arrived in the stream. */
      readonly input: In;
      /** Where its scoring failed (see {@link ScoringStage}). */
      readonly stage: ScoringStage;
      /**
       * What failed: `state/invalid` for `no-model`, `validation/invalid` for a row of the wrong
       * width or with a non-finite value (`prepare`), `model/run` for a failed run or an output
       * that is not a probability in [0, 1], `buffer/overflow` for an input dropped by the buffer.
       */
      readonly error: HealthItError;
      /** The active version the input was routed to (none for `no-model`). */
      readonly version: string | undefined;
    }
  | {
      /** `shadow-score`: the shadow version scored the input; log it, never act on it. */
      readonly type: 'shadow-score';
      /** The input, as it arrived in the stream. */
      readonly input: In;
      /** The shadow version's output for the input: a probability in [0, 1]. */
      readonly score: number;
      /** The shadow version that scored it. */
      readonly version: string;
    }
  | {
      /** `shadow-error`: the shadow version failed on the input (counted against its promotion). */
      readonly type: 'shadow-error';
      /** The input, as it arrived in the stream. */
      readonly input: In;
      /** `run` (its run failed) or `decode` (its output was not float32 `[N, 1]` or not a probability in [0, 1]). */
      readonly stage: 'run' | 'decode';
      /** What failed (`model/run` unless the model threw a `HealthItError` of its own). */
      readonly error: HealthItError;
      /** The shadow version the input was routed to. */
      readonly version: string;
    };
