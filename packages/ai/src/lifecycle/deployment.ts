import {
  type Clock,
  HealthItError,
  isHealthItError,
  type LoadedModel,
  type ModelRuntime,
  systemClock,
  type Tensor,
  ValidationError,
} from '@healthit/core';
import {
  defer,
  finalize,
  map,
  mergeMap,
  type Observable,
  type OperatorFunction,
  Subject,
  type Subscription,
} from 'rxjs';
import type { ModelApproval, SignedModelArtifact } from '../artifacts/manifest.js';
import { signedArtifactFromJson } from '../artifacts/sign.js';
import {
  ModelVerificationError,
  type ModelVerifier,
  type TrustedKey,
  type VerifiedModel,
} from '../artifacts/verify.js';
import type { InferenceCodec } from '../inference/codec.js';
import type { InferenceEvent } from '../inference/events.js';
import { infer } from '../inference/infer.js';
import type { InferOptions } from '../inference/infer-options.js';
import {
  ProfileVerificationError,
  type ReferenceProfile,
  verifyReferenceProfile,
} from '../monitoring/reference-profile.js';
import {
  type DeployCommand,
  DeploymentCommand,
  type DeploymentCommandType,
  type RollbackTrigger,
} from './commands.js';
import {
  type CommandResult,
  type DeployedVersionStatus,
  type DeploymentEvent,
  type DeploymentStatus,
  ModelDeploymentError,
  type ScoringEvent,
  type ScoringStage,
  type VersionRole,
} from './events.js';

/** A feature column: name and UCUM unit. */
export interface FeatureColumnRef {
  /** The column's name, as the model's spec declares it (e.g. `heart-rate.last`). */
  readonly name: string;
  /** The UCUM unit of the column's values (e.g. `/min`, `/min/h`). */
  readonly unit: string;
}

/** When a shadow version may be promoted. */
export interface PromotionPolicy {
  /** Inputs the shadow must have scored (default 0). */
  readonly minShadowScores?: number;
  /** Its failure rate in shadow may not exceed this (default 0.05). */
  readonly maxShadowErrorRate?: number;
  /** Promote by itself as soon as the two conditions hold (default false: wait for a `promote` command). */
  readonly auto?: boolean;
}

/** When the deployment rolls back by itself. */
export interface AutoRollbackPolicy {
  /** Roll back when more than this share of the active version's last `window` inputs failed (default 0.2). */
  readonly maxErrorRate?: number;
  /** Outcomes remembered per version (default 200). */
  readonly window?: number;
  /** Outcomes needed before the rate counts (default 50). */
  readonly minSamples?: number;
}

/** Options of {@link createModelDeployment}. */
export interface ModelDeploymentOptions {
  /** The model deployed: every version must carry this id. */
  readonly modelId: string;
  /** Loads verified models (e.g. `createOnnxRuntime()`). The caller owns it. */
  readonly runtime: ModelRuntime;
  /** Checks artifacts before they load (`createModelVerifier` with the gateway's trust). */
  readonly verifier: ModelVerifier;
  /**
   * The columns the pipeline feeds, in order (e.g. `DETERIORATION_FEATURES.columns`): a version whose
   * declared features differ is refused, so the edge never feeds a model rows it was not trained on.
   */
  readonly features: readonly FeatureColumnRef[];
  /** Who may sign reference profiles (the trusted model signers). Needed to accept profiles. */
  readonly profileSigners?: readonly TrustedKey[];
  /** Refuse a version without a verified reference profile (default false). */
  readonly requireProfile?: boolean;
  /** When a shadow version may be promoted, and whether it is promoted by itself (default: on command only). */
  readonly promotion?: PromotionPolicy;
  /** Automatic rollback on the active version's failure rate; `false` to turn it off. */
  readonly autoRollback?: AutoRollbackPolicy | false;
  /** Previous versions kept loaded for rollback (default 2; older ones are disposed). */
  readonly maxRetained?: number;
  /** Commands waiting at most (default 16); one more is rejected with `buffer/overflow`. */
  readonly maxQueuedCommands?: number;
  /** Events kept for {@link ModelDeployment.history} (default 256; oldest dropped first). */
  readonly maxHistory?: number;
  /** Time of events and of a version's `since`. Default: the system clock. */
  readonly clock?: Clock;
}

/** A model deployment at the edge (see {@link createModelDeployment}). */
export interface ModelDeployment {
  /** The id of the model deployed ({@link ModelDeploymentOptions.modelId}). */
  readonly modelId: string;
  /** State transitions and command outcomes, as they happen (hot; see `history()` for the past). */
  readonly events$: Observable<DeploymentEvent>;
  /**
   * Applies a command, validated with {@link DeploymentCommand}; commands run one at a time in
   * arrival order (`promote`, `rollback`, `discard-shadow` at once when nothing is queued). Never
   * rejects: a refused or invalid command is `{ ok: false, error }` and a `command-rejected` event.
   */
  execute(command: unknown): Promise<CommandResult>;
  /** Applies every command of `commands$` (e.g. the downlink from the platform); unsubscribe to stop. */
  connect(commands$: Observable<unknown>): Subscription;
  /**
   * Scores a stream with whichever version is active when each input arrives (and the shadow
   * version alongside, logged only). `features` gives an input's row in the deployment's columns
   * (`NaN` = undefined); the inference options are those of `infer` (batching, concurrency, bounded
   * buffer with its overflow policy, scheduler).
   */
  score<In>(
    features: (input: In) => ArrayLike<number>,
    options?: InferOptions,
  ): OperatorFunction<In, ScoringEvent<In>>;
  /** A snapshot of what the deployment holds now: active, shadow and previous versions, queued commands. */
  status(): DeploymentStatus;
  /** The verified reference profile of a deployed version (for the monitor's `profiles`). */
  profileOf(version: string): ReferenceProfile | undefined;
  /** The last `maxHistory` events, oldest first. */
  history(): readonly DeploymentEvent[];
  /** Stops taking commands and scoring, and disposes every loaded version. */
  close(): Promise<void>;
}

/** A deployed version. */
interface Deployed {
  readonly version: string;
  readonly sha256: string;
  readonly model: LoadedModel;
  readonly profile: ReferenceProfile | undefined;
  readonly inputName: string;
  readonly outputName: string;
  role: VersionRole | 'retired';
  since: number;
  refs: number;
  disposed: boolean;
  scored: number;
  failed: number;
  shadowScored: number;
  shadowFailed: number;
  /** The last outcomes while active: 1 failed, 0 scored (a ring). */
  readonly outcomes: Uint8Array;
  outcomeHead: number;
  outcomeSize: number;
  outcomeFailures: number;
  rollbackReported: boolean;
}

/** An input, with the versions it was routed to when it arrived. */
interface Routed<In> {
  readonly input: In;
  readonly active: Deployed | undefined;
  readonly shadow: Deployed | undefined;
}

interface Prepared<In> {
  readonly routed: Routed<In>;
  readonly row: ArrayLike<number>;
}

/** One model's verdict on one row. */
type Verdict =
  | { readonly ok: true; readonly score: number }
  | { readonly ok: false; readonly stage: 'run' | 'decode'; readonly error: HealthItError };

interface RowOutcome {
  readonly active: Verdict | undefined;
  readonly shadow: Verdict | undefined;
}

/** A deployment event without its sequence number and time (distributed over the union). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type EventBody = DistributiveOmit<DeploymentEvent, 'seq' | 'at'>;

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

function integerOption(value: number | undefined, fallback: number, what: string, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new RangeError(`createModelDeployment: ${what} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

function rateOption(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!(v >= 0 && v <= 1))
    throw new RangeError(`createModelDeployment: ${what} must be in 0…1, got ${String(v)}`);
  return v;
}

function asHealthItError(
  e: unknown,
  code: 'model/run' | 'model/load' | 'state/invalid',
  message: string,
): HealthItError {
  if (e instanceof HealthItError) return e;
  return new HealthItError(code, `${message}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * A thenable settled by callbacks, never by the microtask queue (unless settled before `then` is
 * called): a batch routed to models whose runs settle in virtual time stays in virtual time.
 */
class Settlement<T> implements PromiseLike<T> {
  private state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  private value: T | undefined;
  private reason: unknown;
  private readonly waiting: [(v: T) => void, (e: unknown) => void][] = [];

  fulfil(value: T): void {
    if (this.state !== 'pending') return;
    this.state = 'fulfilled';
    this.value = value;
    for (const [f] of this.waiting.splice(0)) f(value);
  }

  reject(reason: unknown): void {
    if (this.state !== 'pending') return;
    this.state = 'rejected';
    this.reason = reason;
    for (const [, r] of this.waiting.splice(0)) r(reason);
  }

  // biome-ignore lint/suspicious/noThenProperty: a thenable, on purpose (see the class comment)
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    const next = new Settlement<A | B>();
    const settle = (r: unknown) => {
      if (isThenable<A | B>(r))
        r.then(
          (x) => next.fulfil(x),
          (e) => next.reject(e),
        );
      else next.fulfil(r as A | B);
    };
    const fulfilled = (v: T) => {
      try {
        settle(onFulfilled ? onFulfilled(v) : v);
      } catch (e) {
        next.reject(e);
      }
    };
    const rejected = (e: unknown) => {
      if (!onRejected) {
        next.reject(e);
        return;
      }
      try {
        settle(onRejected(e));
      } catch (e2) {
        next.reject(e2);
      }
    };
    if (this.state === 'pending') this.waiting.push([fulfilled, rejected]);
    else if (this.state === 'fulfilled') queueMicrotask(() => fulfilled(this.value as T));
    else queueMicrotask(() => rejected(this.reason));
    return next;
  }
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Deploys models to a gateway and scores with them, inside an RxJS pipeline:
 *
 * - **Verify before load.** A `deploy` command's artifact goes through the gateway's
 *   {@link ModelVerifier} (SHA-256 of the bytes, signature by a trusted signer, approval by a
 *   trusted approver — recorded as `model.approve` through the `LedgerSink` — optionally held by the
 *   ledger); its reference profile must be signed by a trusted signer for exactly these bytes; its
 *   declared inputs, outputs and feature columns must be the deployment's. Only then is it loaded.
 *   A refusal is a `refused` event naming the check; nothing already deployed changes.
 * - **Shadow first, then promote.** A new version scores in shadow: its scores are emitted as
 *   `shadow-score` events, never acted on. `promote` (a command, or by itself under
 *   `promotion.auto` once it has scored enough with few enough failures) makes it active.
 * - **Hot swap, exactly once.** Each input is routed when it arrives to the version active at that
 *   moment (and to the shadow version, if any); the routing never changes afterwards. So every input
 *   gets exactly one `score` or `error` event from exactly one active version, and in arrival order
 *   the inputs of one version form one unbroken run between two swaps. A version that stops
 *   receiving inputs finishes those it holds before it is disposed (reference-counted).
 * - **Rollback.** On command, on a monitoring alarm (a `rollback` command with `trigger: 'alarm'`),
 *   or by itself when the active version's failure rate over its last outcomes exceeds
 *   `autoRollback.maxErrorRate`: the previous version (kept loaded, at most `maxRetained`) becomes
 *   active again.
 * - **Typed and bounded.** Commands are validated with zod; at most `maxQueuedCommands` wait
 *   (more are rejected, `buffer/overflow`); every transition is an event, the last `maxHistory`
 *   kept; scoring runs through the `infer` operator (micro-batches, bounded buffer with a declared
 *   overflow policy, failures as values).
 *
 * @throws {TypeError} / {RangeError} for bad options.
 * @example
 * ```ts
 * const deployment = createModelDeployment({
 *   modelId: 'deterioration-risk', runtime: createOnnxRuntime(), verifier, profileSigners: [platform],
 *   features: DETERIORATION_FEATURES.columns, promotion: { minShadowScores: 200, auto: true },
 * });
 * await deployment.execute({ type: 'deploy', commandId: 'c1', artifact, approval, profile, mode: 'active' });
 * rows$.pipe(deployment.score((w) => w.features)).subscribe((e) => e.type === 'score' && act(e));
 * ```
 */
export function createModelDeployment(options: ModelDeploymentOptions): ModelDeployment {
  const { modelId, runtime, verifier } = options;
  if (typeof modelId !== 'string' || modelId.length === 0) {
    throw new TypeError('createModelDeployment: modelId must be a non-empty string');
  }
  if (typeof runtime?.load !== 'function')
    throw new TypeError('createModelDeployment: runtime must be a ModelRuntime');
  if (typeof verifier?.verify !== 'function') {
    throw new TypeError('createModelDeployment: verifier must be a ModelVerifier (createModelVerifier)');
  }
  if (!Array.isArray(options.features) || options.features.length === 0) {
    throw new TypeError('createModelDeployment: features must list the feature columns (name, unit)');
  }
  const features = options.features.map((c) => ({ name: c.name, unit: c.unit }));
  const width = features.length;
  const clock = options.clock ?? systemClock;
  const maxRetained = integerOption(options.maxRetained, 2, 'maxRetained', 0);
  const maxQueued = integerOption(options.maxQueuedCommands, 16, 'maxQueuedCommands', 1);
  const maxHistory = integerOption(options.maxHistory, 256, 'maxHistory', 1);
  const minShadowScores = integerOption(
    options.promotion?.minShadowScores,
    0,
    'promotion.minShadowScores',
    0,
  );
  const maxShadowErrorRate = rateOption(
    options.promotion?.maxShadowErrorRate,
    0.05,
    'promotion.maxShadowErrorRate',
  );
  const autoPromote = options.promotion?.auto ?? false;
  const rollback = options.autoRollback === false ? undefined : (options.autoRollback ?? {});
  const maxErrorRate = rateOption(rollback?.maxErrorRate, 0.2, 'autoRollback.maxErrorRate');
  const outcomeWindow = integerOption(rollback?.window, 200, 'autoRollback.window', 1);
  const minSamples = integerOption(rollback?.minSamples, 50, 'autoRollback.minSamples', 1);

  const events$ = new Subject<DeploymentEvent>();
  const history: DeploymentEvent[] = [];
  let seq = 0;
  let active: Deployed | undefined;
  let shadow: Deployed | undefined;
  const previous: Deployed[] = []; // most recent last
  const queue: { readonly command: unknown; readonly resolve: (r: CommandResult) => void }[] = [];
  let running = false;
  let closed = false;

  function emit(body: EventBody): void {
    const event = { seq: seq++, at: clock.now(), ...body } as DeploymentEvent;
    history.push(event);
    if (history.length > maxHistory) history.shift();
    events$.next(event);
  }

  function versionStatus(d: Deployed): DeployedVersionStatus {
    return {
      version: d.version,
      sha256: d.sha256,
      role: d.role === 'retired' ? 'previous' : d.role,
      since: d.since,
      scored: d.scored,
      failed: d.failed,
      shadowScored: d.shadowScored,
      shadowFailed: d.shadowFailed,
      inFlight: d.refs,
      profiled: d.profile !== undefined,
    };
  }

  function status(): DeploymentStatus {
    return {
      modelId,
      active: active === undefined ? undefined : versionStatus(active),
      shadow: shadow === undefined ? undefined : versionStatus(shadow),
      previous: previous.map(versionStatus),
      queuedCommands: queue.length + (running ? 1 : 0),
    };
  }

  function dispose(d: Deployed): void {
    if (d.disposed) return;
    d.disposed = true;
    Promise.resolve()
      .then(() => d.model.dispose())
      .then(
        () => emit({ type: 'disposed', version: d.version }),
        (e: unknown) =>
          emit({
            type: 'dispose-failed',
            version: d.version,
            error: asHealthItError(e, 'state/invalid', `disposing ${modelId}@${d.version} failed`),
          }),
      );
  }

  /** Takes a version out of service: disposed now, or once its inputs in flight are scored. */
  function retire(d: Deployed): void {
    d.role = 'retired';
    if (d.refs === 0) dispose(d);
  }

  function release(d: Deployed | undefined): void {
    if (d === undefined) return;
    d.refs--;
    if (d.refs === 0 && d.role === 'retired') dispose(d);
  }

  function keepPrevious(d: Deployed): void {
    d.role = 'previous';
    d.since = clock.now();
    previous.push(d);
    while (previous.length > maxRetained) {
      const old = previous.shift() as Deployed;
      emit({ type: 'retired', version: old.version });
      retire(old);
    }
  }

  function promote(trigger: 'command' | 'auto'): void {
    const next = shadow as Deployed;
    const before = active;
    shadow = undefined;
    next.role = 'active';
    next.since = clock.now();
    active = next;
    if (before !== undefined) keepPrevious(before);
    emit({ type: 'promoted', version: next.version, previous: before?.version, trigger });
  }

  function shadowReady(d: Deployed): string | undefined {
    if (d.shadowScored + d.shadowFailed < minShadowScores) {
      return `it has scored ${d.shadowScored + d.shadowFailed} inputs in shadow, ${minShadowScores} are required`;
    }
    const total = d.shadowScored + d.shadowFailed;
    if (total > 0 && d.shadowFailed / total > maxShadowErrorRate) {
      return `${d.shadowFailed} of its ${total} shadow inputs failed, more than ${maxShadowErrorRate * 100} %`;
    }
    return undefined;
  }

  /** Rolls back; false when there is nothing to roll back to. */
  function rollBack(trigger: RollbackTrigger, reason: string): boolean {
    const to = previous.pop();
    if (to === undefined || active === undefined) {
      if (to !== undefined) previous.push(to);
      emit({ type: 'rollback-unavailable', version: active?.version, trigger, reason });
      return false;
    }
    const from = active;
    to.role = 'active';
    to.since = clock.now();
    active = to;
    emit({ type: 'rolled-back', from: from.version, to: to.version, trigger, reason });
    retire(from);
    return true;
  }

  function recordOutcome(d: Deployed, failed: boolean): void {
    if (rollback === undefined) return;
    if (d.outcomeSize === outcomeWindow) d.outcomeFailures -= d.outcomes[d.outcomeHead] as number;
    else d.outcomeSize++;
    d.outcomes[d.outcomeHead] = failed ? 1 : 0;
    d.outcomeFailures += failed ? 1 : 0;
    d.outcomeHead = (d.outcomeHead + 1) % outcomeWindow;
    if (
      d === active &&
      !d.rollbackReported &&
      d.outcomeSize >= minSamples &&
      d.outcomeFailures / d.outcomeSize > maxErrorRate
    ) {
      d.rollbackReported = true;
      rollBack(
        'error-rate',
        `${d.outcomeFailures} of the last ${d.outcomeSize} inputs of ${modelId}@${d.version} failed (more than ${maxErrorRate * 100} %)`,
      );
    }
  }

  function refuse(error: ModelDeploymentError): never {
    emit({ type: 'refused', version: error.version, error });
    throw error;
  }

  function checkSpec(verified: VerifiedModel): { inputName: string; outputName: string } {
    const { spec } = verified;
    const v = verified.version;
    const [input] = spec.inputs;
    const output = spec.outputs[0];
    const inputOk =
      spec.inputs.length === 1 &&
      input?.type === 'float32' &&
      input.shape.length === 2 &&
      typeof input.shape[0] === 'string' &&
      input.shape[1] === width;
    const outputOk = output?.type === 'float32' && output.shape.length === 2 && output.shape[1] === 1;
    if (!inputOk || !outputOk || input === undefined || output === undefined) {
      refuse(
        new ModelDeploymentError(
          'spec',
          'io-mismatch',
          `Refused ${modelId}@${v}: it must take one float32 [N, ${width}] input and give a float32 [N, 1] output first; it declares ${spec.inputs.map((t) => `${t.name} ${t.type} [${t.shape.join(', ')}]`).join(', ')} → ${spec.outputs.map((t) => `${t.name} ${t.type} [${t.shape.join(', ')}]`).join(', ')}`,
          { version: v },
        ),
      );
    }
    const declared = spec.features ?? [];
    const differences: string[] = [];
    for (let i = 0; i < Math.max(declared.length, width); i++) {
      const a = declared[i];
      const b = features[i];
      if (a?.name !== b?.name || a?.unit !== b?.unit) {
        differences.push(
          `column ${i}: ${a === undefined ? 'none' : `${a.name} (${a.unit})`} where the pipeline feeds ${b === undefined ? 'none' : `${b.name} (${b.unit})`}`,
        );
      }
    }
    if (differences.length > 0) {
      refuse(
        new ModelDeploymentError(
          'spec',
          'feature-mismatch',
          `Refused ${modelId}@${v}: its feature columns are not the pipeline's (${differences.length} differ; ${differences.slice(0, 3).join('; ')}). Retrain it on the deployment's feature spec.`,
          { version: v },
        ),
      );
    }
    return { inputName: input.name, outputName: output.name };
  }

  async function deploy(command: DeployCommand): Promise<void> {
    let signed: SignedModelArtifact;
    const raw = command.artifact;
    if (typeof raw.bytes === 'string') signed = signedArtifactFromJson(raw, `deploy ${command.commandId}`);
    else signed = raw as unknown as SignedModelArtifact;
    const claimed = (signed.manifest as { version?: unknown })?.version;
    const claimedVersion = typeof claimed === 'string' ? claimed : undefined;

    let verified: VerifiedModel;
    try {
      verified = await verifier.verify(signed, command.approval as ModelApproval | undefined);
    } catch (e) {
      if (e instanceof ModelVerificationError) {
        refuse(
          new ModelDeploymentError('artifact', e.reason, e.message, { version: claimedVersion, cause: e }),
        );
      }
      throw e; // e.g. the ledger could not be read: retry later
    }
    const v = verified.version;
    if (verified.id !== modelId) {
      refuse(
        new ModelDeploymentError(
          'spec',
          'model-mismatch',
          `Refused ${verified.id}@${v}: this deployment runs ${modelId}`,
          { version: v },
        ),
      );
    }
    const inUse = [active, shadow, ...previous].some((d) => d?.version === v);
    if (inUse) {
      refuse(
        new ModelDeploymentError(
          'spec',
          'duplicate-version',
          `Refused ${modelId}@${v}: that version is already deployed (${[active, shadow, ...previous].find((d) => d?.version === v)?.role}); use promote or rollback`,
          { version: v },
        ),
      );
    }
    const io = checkSpec(verified);
    let profile: ReferenceProfile | undefined;
    if (command.profile !== undefined) {
      try {
        profile = verifyReferenceProfile(command.profile, {
          signers: options.profileSigners ?? [],
          model: { id: verified.id, version: v, sha256: verified.sha256 },
        });
      } catch (e) {
        if (e instanceof ProfileVerificationError) {
          refuse(new ModelDeploymentError('profile', e.reason, e.message, { version: v, cause: e }));
        }
        throw e;
      }
      const columns = profile.features;
      if (
        columns.length !== width ||
        columns.some((c, i) => c.name !== features[i]?.name || c.unit !== features[i]?.unit)
      ) {
        refuse(
          new ModelDeploymentError(
            'profile',
            'feature-mismatch',
            `Refused the reference profile of ${modelId}@${v}: its columns are not the pipeline's`,
            { version: v },
          ),
        );
      }
    } else if (options.requireProfile === true) {
      refuse(
        new ModelDeploymentError(
          'profile',
          'no-profile',
          `Refused ${modelId}@${v}: this deployment requires a signed reference profile with every version`,
          { version: v },
        ),
      );
    }
    emit({
      type: 'verified',
      version: v,
      sha256: verified.sha256,
      approvedBy: verified.approval?.approver.id,
      profiled: profile !== undefined,
    });

    const mode = command.mode ?? 'shadow';
    if (mode === 'active' && active !== undefined) {
      throw new HealthItError(
        'state/invalid',
        `deploy ${modelId}@${v} in mode "active": ${active.version} is active; deploy in shadow, then promote`,
      );
    }
    let model: LoadedModel;
    try {
      model = await runtime.load(verified);
    } catch (e) {
      const error = asHealthItError(e, 'model/load', `loading ${modelId}@${v} failed`);
      emit({ type: 'load-failed', version: v, error });
      throw error;
    }
    if (closed) {
      await model.dispose();
      throw new HealthItError('state/invalid', 'the deployment was closed while the model loaded');
    }
    const deployed: Deployed = {
      version: v,
      sha256: verified.sha256,
      model,
      profile,
      ...io,
      role: 'shadow',
      since: clock.now(),
      refs: 0,
      disposed: false,
      scored: 0,
      failed: 0,
      shadowScored: 0,
      shadowFailed: 0,
      outcomes: new Uint8Array(outcomeWindow),
      outcomeHead: 0,
      outcomeSize: 0,
      outcomeFailures: 0,
      rollbackReported: false,
    };
    if (mode === 'active' && active === undefined) {
      deployed.role = 'active';
      active = deployed;
      emit({ type: 'loaded', version: v, role: 'active' });
      emit({ type: 'promoted', version: v, previous: undefined, trigger: 'first-deployment' });
      return;
    }
    if (shadow !== undefined) {
      const replaced = shadow;
      shadow = undefined;
      emit({ type: 'shadow-discarded', version: replaced.version, reason: 'replaced' });
      retire(replaced);
    }
    shadow = deployed;
    emit({ type: 'loaded', version: v, role: 'shadow' });
  }

  /** Applies one command: synchronously, except a deploy (verification and loading are I/O). */
  function apply(raw: unknown): CommandResult | Promise<CommandResult> {
    const commandId =
      typeof (raw as { commandId?: unknown })?.commandId === 'string'
        ? (raw as { commandId: string }).commandId
        : undefined;
    const type = (raw as { type?: unknown })?.type;
    const commandType = (['deploy', 'promote', 'rollback', 'discard-shadow'] as const).find(
      (t) => t === type,
    );
    const rejected = (error: HealthItError): CommandResult => {
      emit({ type: 'command-rejected', commandId, command: commandType, error });
      return { ok: false, commandId, error };
    };
    const accepted = (id: string, command: DeploymentCommandType): CommandResult => {
      emit({ type: 'command-accepted', commandId: id, command });
      return { ok: true, commandId: id, status: status() };
    };
    if (closed) return rejected(new HealthItError('state/invalid', 'the deployment is closed'));
    const parsed = DeploymentCommand.safeParse(raw);
    if (!parsed.success)
      return rejected(ValidationError.fromZod('DeploymentCommand', parsed.error, 'model deployment'));
    const command = parsed.data;
    switch (command.type) {
      case 'deploy':
        return deploy(command).then(
          () => accepted(command.commandId, 'deploy'),
          (e: unknown) => rejected(asHealthItError(e, 'model/load', `deploy ${command.commandId} failed`)),
        );
      case 'promote': {
        if (shadow === undefined) {
          return rejected(
            new HealthItError(
              'state/invalid',
              `promote: no ${modelId} version is in shadow; deploy one first`,
            ),
          );
        }
        if (command.version !== undefined && command.version !== shadow.version) {
          return rejected(
            new HealthItError(
              'state/invalid',
              `promote ${command.version}: the shadow version is ${shadow.version}`,
            ),
          );
        }
        const notReady = shadowReady(shadow);
        if (notReady !== undefined) {
          return rejected(
            new HealthItError('state/invalid', `promote ${modelId}@${shadow.version}: ${notReady}`),
          );
        }
        promote('command');
        return accepted(command.commandId, 'promote');
      }
      case 'rollback':
        if (!rollBack(command.trigger ?? 'command', command.reason)) {
          return rejected(
            new HealthItError(
              'state/invalid',
              `rollback: ${active === undefined ? `no ${modelId} version is active` : `no version before ${active.version} is kept`}`,
            ),
          );
        }
        return accepted(command.commandId, 'rollback');
      case 'discard-shadow': {
        if (shadow === undefined)
          return rejected(new HealthItError('state/invalid', 'discard-shadow: no shadow version'));
        const d = shadow;
        shadow = undefined;
        emit({ type: 'shadow-discarded', version: d.version, reason: 'command' });
        retire(d);
        return accepted(command.commandId, 'discard-shadow');
      }
    }
  }

  async function drain(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        const item = queue.shift() as (typeof queue)[number];
        let result: CommandResult;
        try {
          const r = apply(item.command);
          result = isThenable<CommandResult>(r) ? await r : r;
        } catch (e) {
          result = {
            ok: false,
            commandId: undefined,
            error: asHealthItError(e, 'state/invalid', 'the command failed'),
          };
        }
        item.resolve(result);
      }
    } finally {
      running = false;
    }
  }

  function execute(command: unknown): Promise<CommandResult> {
    if (queue.length + (running ? 1 : 0) >= maxQueued) {
      const commandId = (command as { commandId?: unknown })?.commandId;
      const error = new HealthItError(
        'buffer/overflow',
        `model deployment: ${maxQueued} commands are already waiting; this one is rejected (retry once they have run)`,
        { detail: { maxQueuedCommands: maxQueued } },
      );
      const id = typeof commandId === 'string' ? commandId : undefined;
      emit({ type: 'command-rejected', commandId: id, command: undefined, error });
      return Promise.resolve({ ok: false, commandId: id, error });
    }
    return new Promise<CommandResult>((resolve) => {
      queue.push({ command, resolve });
      void drain();
    });
  }

  // ---- scoring ----

  /** Runs one version on some rows of a batch; calls back per row. */
  function runGroup(
    d: Deployed,
    rows: readonly ArrayLike<number>[],
    done: (verdicts: Verdict[]) => void,
  ): void {
    const n = rows.length;
    const data = new Float32Array(n * width);
    for (let i = 0; i < n; i++) {
      const row = rows[i] as ArrayLike<number>;
      for (let j = 0; j < width; j++) data[i * width + j] = row[j] as number;
    }
    const feeds: Record<string, Tensor> = { [d.inputName]: { type: 'float32', data, dims: [n, width] } };
    const where = `${modelId}@${d.version}`;
    const failAll = (e: unknown) => {
      const error = asHealthItError(e, 'model/run', `${where}: a run of ${n} failed`);
      done(Array.from({ length: n }, () => ({ ok: false, stage: 'run' as const, error })));
    };
    let pending: PromiseLike<Record<string, Tensor>>;
    try {
      pending = d.model.run(feeds);
    } catch (e) {
      failAll(e);
      return;
    }
    pending.then((outputs) => {
      const out = outputs?.[d.outputName];
      if (
        out?.type !== 'float32' ||
        out.dims[0] !== n ||
        out.data.length % Math.max(1, n) !== 0 ||
        out.data.length === 0
      ) {
        const error = new HealthItError(
          'model/run',
          `${where}: output "${d.outputName}" must be float32 [${n}, 1], found ${out === undefined ? 'none' : `${out.type} [${out.dims.join(', ')}]`}`,
        );
        done(Array.from({ length: n }, () => ({ ok: false, stage: 'decode' as const, error })));
        return;
      }
      const k = out.data.length / n;
      done(
        Array.from({ length: n }, (_, i): Verdict => {
          const score = out.data[i * k] as number;
          return score >= 0 && score <= 1
            ? { ok: true, score }
            : {
                ok: false,
                stage: 'decode',
                error: new HealthItError(
                  'model/run',
                  `${where}: output ${i} of ${n} is ${score}, not a probability in 0…1`,
                ),
              };
        }),
      );
    }, failAll);
  }

  /** The batches routed by `encode`, found again by `run` and `decode`. */
  const batches = new WeakMap<object, readonly Prepared<unknown>[]>();
  const outcomes = new WeakMap<object, RowOutcome[]>();

  /** A `LoadedModel` that runs each row of a batch on the versions it was routed to. */
  const router: LoadedModel = {
    id: modelId,
    version: 'deployment',
    inputNames: ['rows'],
    outputNames: [],
    run(feeds) {
      const batch = batches.get(feeds);
      if (batch === undefined)
        throw new HealthItError('state/invalid', 'model deployment: a batch it did not encode');
      const settlement = new Settlement<Record<string, Tensor>>();
      const result: { active: Verdict | undefined; shadow: Verdict | undefined }[] = batch.map(() => ({
        active: undefined,
        shadow: undefined,
      }));
      const groups = new Map<Deployed, { role: 'active' | 'shadow'; indices: number[] }[]>();
      const add = (d: Deployed | undefined, role: 'active' | 'shadow', i: number) => {
        if (d === undefined) return;
        let list = groups.get(d);
        if (list === undefined) {
          list = [];
          groups.set(d, list);
        }
        let g = list.find((x) => x.role === role);
        if (g === undefined) {
          g = { role, indices: [] };
          list.push(g);
        }
        g.indices.push(i);
      };
      batch.forEach((p, i) => {
        add(p.routed.active, 'active', i);
        add(p.routed.shadow, 'shadow', i);
      });
      let open = 0;
      for (const list of groups.values()) open += list.length;
      const outputs: Record<string, Tensor> = {};
      for (const [d, list] of groups) {
        for (const g of list) {
          runGroup(
            d,
            g.indices.map((i) => (batch[i] as Prepared<unknown>).row),
            (verdicts) => {
              g.indices.forEach((i, k) => {
                (result[i] as RowOutcome & { active?: Verdict; shadow?: Verdict })[g.role] = verdicts[
                  k
                ] as Verdict;
              });
              if (--open === 0) {
                outcomes.set(outputs, result);
                settlement.fulfil(outputs);
              }
            },
          );
        }
      }
      return settlement as unknown as Promise<Record<string, Tensor>>;
    },
    async dispose() {},
  };

  function score<In>(
    featuresOf: (input: In) => ArrayLike<number>,
    inferOptions: InferOptions = {},
  ): OperatorFunction<In, ScoringEvent<In>> {
    if (typeof featuresOf !== 'function')
      throw new TypeError('score: features must be a function of the input');
    const codec: InferenceCodec<Routed<In>, RowOutcome, Prepared<In>> = {
      prepare(routed) {
        if (routed.active === undefined && routed.shadow === undefined) {
          throw new HealthItError(
            'state/invalid',
            `no ${modelId} version is deployed; the input is not scored`,
            {
              detail: { noModel: true },
            },
          );
        }
        const row = featuresOf(routed.input);
        if (row?.length !== width) {
          throw new HealthItError(
            'validation/invalid',
            `${modelId}: a row of ${String(row?.length)} values; the deployment's columns are ${width}`,
          );
        }
        for (let i = 0; i < width; i++) {
          const v = row[i];
          if (typeof v !== 'number' || (!Number.isNaN(v) && !(v <= FLOAT32_MAX && v >= -FLOAT32_MAX))) {
            throw new HealthItError(
              'validation/invalid',
              `${modelId}: column ${i} (${features[i]?.name}) is ${String(v)}; use a finite number, or NaN for undefined`,
            );
          }
        }
        return { routed, row };
      },
      encode(batch) {
        const feeds: Record<string, Tensor> = {};
        batches.set(feeds, batch as readonly Prepared<unknown>[]);
        return feeds;
      },
      decode(outputs, index) {
        const rows = outcomes.get(outputs);
        const outcome = rows?.[index];
        if (outcome === undefined)
          throw new HealthItError('state/invalid', 'model deployment: no outcome for a row');
        return outcome;
      },
    };

    return (source) =>
      defer(() => {
        const outstanding = new Set<Routed<In>>();
        const settle = (routed: Routed<In>) => {
          if (!outstanding.delete(routed)) return;
          release(routed.active);
          release(routed.shadow);
        };
        return source.pipe(
          map((input): Routed<In> => {
            // Routed now, once: the version active (and in shadow) at this input's arrival.
            const routed = {
              input,
              active: closed ? undefined : active,
              shadow: closed ? undefined : shadow,
            };
            if (routed.active !== undefined) routed.active.refs++;
            if (routed.shadow !== undefined) routed.shadow.refs++;
            outstanding.add(routed);
            return routed;
          }),
          infer(router, codec, inferOptions),
          mergeMap((event: InferenceEvent<Routed<In>, RowOutcome>) => {
            const out = toScoringEvents(event);
            settle(event.input);
            return out;
          }),
          finalize(() => {
            for (const routed of [...outstanding]) settle(routed);
          }),
        );
      });
  }

  function toScoringEvents<In>(event: InferenceEvent<Routed<In>, RowOutcome>): ScoringEvent<In>[] {
    const { input, active: a, shadow: s } = event.input;
    if (event.type === 'error') {
      const stage: ScoringStage =
        event.stage === 'prepare' &&
        isHealthItError(event.error, 'state/invalid') &&
        event.error.detail.noModel === true
          ? 'no-model'
          : event.stage;
      return [{ type: 'error', input, stage, error: event.error, version: a?.version }];
    }
    const out: ScoringEvent<In>[] = [];
    const verdict = event.output.active;
    if (a === undefined || verdict === undefined) {
      out.push({
        type: 'error',
        input,
        stage: 'no-model',
        error: new HealthItError(
          'state/invalid',
          `no ${modelId} version was active; only the shadow scored the input`,
        ),
        version: undefined,
      });
    } else if (verdict.ok) {
      a.scored++;
      out.push({ type: 'score', input, score: verdict.score, version: a.version });
    } else {
      a.failed++;
      out.push({ type: 'error', input, stage: verdict.stage, error: verdict.error, version: a.version });
    }
    const shadowVerdict = event.output.shadow;
    if (s !== undefined && shadowVerdict !== undefined) {
      if (shadowVerdict.ok) {
        s.shadowScored++;
        out.push({ type: 'shadow-score', input, score: shadowVerdict.score, version: s.version });
      } else {
        s.shadowFailed++;
        out.push({
          type: 'shadow-error',
          input,
          stage: shadowVerdict.stage,
          error: shadowVerdict.error,
          version: s.version,
        });
      }
    }
    if (a !== undefined && verdict !== undefined) recordOutcome(a, !verdict.ok);
    if (autoPromote && s !== undefined && s === shadow && shadowReady(s) === undefined) promote('auto');
    return out;
  }

  return Object.freeze({
    modelId,
    events$: events$.asObservable(),
    execute,
    connect(commands$: Observable<unknown>): Subscription {
      return commands$.subscribe({ next: (c) => void execute(c) });
    },
    score,
    status,
    profileOf(version: string): ReferenceProfile | undefined {
      return [active, shadow, ...previous].find((d) => d?.version === version)?.profile;
    },
    history: () => [...history],
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const all = [active, shadow, ...previous].filter((d): d is Deployed => d !== undefined);
      active = undefined;
      shadow = undefined;
      previous.length = 0;
      for (const d of all) retire(d);
      events$.complete();
    },
  });
}
