import {
  type Clock,
  HealthItError,
  type LedgerSink,
  type LoadedModel,
  type ModelArtifact,
  type ModelRuntime,
  systemClock,
  ValidationError,
} from '@healthit/core';
import { approveModel } from '../artifacts/approve.js';
import type { ModelApproval, SignedModelArtifact } from '../artifacts/manifest.js';
import { type ArtifactSigner, signModelArtifact } from '../artifacts/sign.js';
import type { ModelSpec } from '../artifacts/spec.js';
import type { TrustedKey } from '../artifacts/verify.js';
import { type BinaryEvaluation, evaluateBinary } from '../evaluation/metrics.js';
import { assertWindowFeatures, type WindowFeatureSpec } from '../features/window-spec.js';
import type { TrainedModelSpec } from '../models/trained-spec.js';
import {
  buildReferenceProfile,
  type SignedReferenceProfile,
  signReferenceProfile,
} from '../monitoring/reference-profile.js';
import { RetrainRequest } from '../monitoring/retrain-request.js';
import {
  datasetFromRows,
  type LabelledDataset,
  splitByPatient,
  type TrainingRow,
} from '../training/dataset.js';
import { exportModel, flatMetrics } from '../training/export-model.js';
import { trainLogisticRegression } from '../training/logistic-regression.js';
import { predict, type TrainedModel } from '../training/trained-model.js';
import {
  decidePromotion,
  type PromotionCriterion,
  type PromotionVerdict,
  resolveCriterion,
} from './criterion.js';

/** The model in service, as the platform's registry holds it. */
export interface CurrentModel {
  /** Its signed artifact: the retrainer evaluates these very bytes and takes the model id and version from the manifest. */
  readonly signed: SignedModelArtifact;
  /** Its approval, when the registry holds one (retraining does not read it). */
  readonly approval?: ModelApproval;
  /** Its signed reference profile, when the registry holds one (retraining does not read it). */
  readonly profile?: SignedReferenceProfile;
}

/** A new version ready to deploy: signed, approved on the ledger, with its signed reference profile. */
export interface ModelRelease {
  /** The candidate's artifact, signed by the retrainer's `signer`; its metrics are the held-out figures. */
  readonly signed: SignedModelArtifact;
  /** The `approver`'s approval of exactly these bytes and manifest, recorded on the ledger (`model.approve`). */
  readonly approval: ModelApproval;
  /** Its reference profile (histograms of its training rows and scores, held-out AUROC and Brier score), signed. */
  readonly profile: SignedReferenceProfile;
  /** Everything about the model but its bytes (training summary, parameters, metrics). */
  readonly spec: TrainedModelSpec;
}

/** What a fresh dataset held. */
export interface DataSummary {
  /** Labelled rows. */
  readonly rows: number;
  /** Of those, labelled 1. */
  readonly positives: number;
  /** Distinct patients the rows belong to. */
  readonly patients: number;
}

/** The evaluation behind a decision: both models on the same held-out rows. */
export interface RetrainEvaluation extends PromotionVerdict {
  /** The current model's version and its evaluation (AUROC, Brier score …) on the held-out rows. */
  readonly current: { readonly version: string; readonly evaluation: BinaryEvaluation };
  /** The version the candidate gets and its evaluation on the same held-out rows. */
  readonly candidate: { readonly version: string; readonly evaluation: BinaryEvaluation };
  /** The rows the candidate was trained on. */
  readonly train: DataSummary;
  /** The held-out rows both models were evaluated on (patients the candidate was not trained on). */
  readonly heldOut: DataSummary;
}

/** What came of a retrain request. */
export type RetrainOutcome =
  /** The candidate was better: signed, profiled, approved (`model.approve` on the ledger). Deploy `release`. */
  | {
      /** `promoted`: the candidate replaces the current model. */
      readonly type: 'promoted';
      /** The retrain request answered, as validated. */
      readonly request: RetrainRequest;
      /** Both models' held-out evaluation and the criterion's verdict. */
      readonly evaluation: RetrainEvaluation;
      /** The new version to deploy (e.g. with {@link deployCommand}). */
      readonly release: ModelRelease;
    }
  /** The candidate was not better by the criterion: nothing signed, nothing recorded, nothing to deploy. */
  | {
      /** `kept-current`: the current model stays in service. */
      readonly type: 'kept-current';
      /** The retrain request answered, as validated. */
      readonly request: RetrainRequest;
      /** Both models' held-out evaluation and why the criterion did not promote the candidate. */
      readonly evaluation: RetrainEvaluation;
    }
  /** Not enough fresh labelled data to train and decide yet: ask again later. */
  | {
      /** `insufficient-data`: no candidate was trained. */
      readonly type: 'insufficient-data';
      /** The retrain request answered, as validated. */
      readonly request: RetrainRequest;
      /** What the whole fresh dataset held (before the split). */
      readonly data: DataSummary;
      /** What was found and what is needed (rows, positives, patients, or held-out rows for the criterion). */
      readonly message: string;
    };

/** Options of {@link createRetrainer}. */
export interface RetrainerOptions {
  /** The feature spec the deployed models take (every dataset must be of it). */
  readonly features: WindowFeatureSpec;
  /**
   * The fresh dataset for a request: labelled feature rows, e.g. from the warehouse (readings and
   * scores since `request.evidence.from`) or a simulator. A `LabelledDataset` or plain rows.
   */
  readonly dataset: (
    request: RetrainRequest,
  ) => Promise<LabelledDataset | Iterable<TrainingRow>> | LabelledDataset | Iterable<TrainingRow>;
  /** Runs both models from their ONNX bytes for the evaluation (the same runtime as the edge's). */
  readonly runtime: ModelRuntime;
  /** Signs artifacts and profiles (the platform's model-signing identity). */
  readonly signer: ArtifactSigner;
  /** Approves a promoted candidate (a second key: not the signer). */
  readonly approver: ArtifactSigner;
  /** Where approvals are recorded (`model.approve`). */
  readonly ledger: LedgerSink;
  /** Whose signatures the approver accepts (include the signer). */
  readonly trustedSigners: readonly TrustedKey[];
  /** What the model is, for the artifact and the approval. */
  readonly model: { readonly task: string; readonly description: string; readonly intendedUse?: string };
  /** Trains a candidate. Default: `trainLogisticRegression`. */
  readonly train?: (data: LabelledDataset) => TrainedModel;
  /** How the fresh data is split by patient (default 30 % held out, seed 1). */
  readonly split?: { readonly testFraction?: number; readonly seed?: number };
  /** When the candidate replaces the current model (see {@link PromotionCriterion} for the defaults). */
  readonly criterion?: PromotionCriterion;
  /** Rows and positives the fresh dataset needs before training is tried (defaults 500 and 30). */
  readonly minRows?: number;
  /** Positives (rows labelled 1) the fresh dataset needs before training is tried: an integer >= 1 (default 30). */
  readonly minPositives?: number;
  /**
   * The candidate's version from the current one (default: semver minor + 1, e.g. 1.0.0 → 1.1.0).
   * A version this retrainer has already signed is never issued again: the function is applied
   * until it gives a new one (so after a rollback to 1.0.0 the next candidate is 1.2.0, not a
   * second, different 1.1.0).
   */
  readonly nextVersion?: (current: string) => string;
  /** Quantile bins of the reference profile (default 10). */
  readonly profileBins?: number;
  /** The time of the artifact's and profile's `createdAt` and the approval's `approvedAt`. Default: the system clock. */
  readonly clock?: Clock;
}

/** Retrains on request, on the platform. */
export interface Retrainer {
  /**
   * Builds a fresh dataset, trains a candidate, evaluates it and the current model on the same
   * held-out rows, and promotes it only if it is better; a promoted candidate is signed, profiled
   * and approved on the ledger, ready to deploy.
   *
   * @throws {ValidationError} for a request that is not a `RetrainRequest`;
   * @throws {HealthItError} `config/invalid` for a request about another model or a dataset of
   *   other features; what the runtime, the signer or the ledger throw.
   */
  retrain(request: unknown, current: CurrentModel): Promise<RetrainOutcome>;
}

/** The next semantic version (minor + 1); otherwise the version with `-r1`, `-r2` … */
export function nextMinorVersion(current: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(current);
  if (m !== null) return `${m[1]}.${Number(m[2]) + 1}.0`;
  const r = /^(.*)-r(\d+)$/.exec(current);
  return r === null ? `${current}-r1` : `${r[1]}-r${Number(r[2]) + 1}`;
}

/**
 * The probabilities a loaded model gives every row of `data`, in batches (the model's first input
 * and output, float32 `[N, columns]` → `[N, 1]`): how the platform evaluates the very bytes it
 * deploys.
 *
 * @throws {HealthItError} `model/run` when a run fails or its output is not one probability per row.
 */
export async function scoreDataset(
  model: LoadedModel,
  data: Pick<LabelledDataset, 'x' | 'rows' | 'features'>,
  options: { readonly batch?: number } = {},
): Promise<Float64Array> {
  const width = data.features.columns.length;
  const batch = options.batch ?? 4096;
  const [inputName] = model.inputNames;
  const [outputName] = model.outputNames;
  if (inputName === undefined || outputName === undefined) {
    throw new HealthItError('model/run', `scoreDataset: ${model.id}@${model.version} has no input or output`);
  }
  const scores = new Float64Array(data.rows);
  for (let start = 0; start < data.rows; start += batch) {
    const n = Math.min(batch, data.rows - start);
    const x = data.x.slice(start * width, (start + n) * width);
    const out = (await model.run({ [inputName]: { type: 'float32', data: x, dims: [n, width] } }))[
      outputName
    ];
    if (out?.type !== 'float32' || out.data.length !== n) {
      throw new HealthItError(
        'model/run',
        `scoreDataset: ${model.id}@${model.version} gave ${out === undefined ? 'no output' : `${out.type} [${out.dims.join(', ')}]`} for ${n} rows`,
      );
    }
    for (let i = 0; i < n; i++) scores[start + i] = out.data[i] as number;
  }
  return scores;
}

function summary(d: LabelledDataset): DataSummary {
  let positives = 0;
  for (let i = 0; i < d.rows; i++) positives += d.y[i] as number;
  return { rows: d.rows, positives, patients: new Set(d.group).size };
}

async function evaluateOn(
  runtime: ModelRuntime,
  artifact: ModelArtifact & { readonly spec: ModelSpec },
  data: LabelledDataset,
): Promise<BinaryEvaluation> {
  const model = await runtime.load(artifact);
  try {
    return evaluateBinary(await scoreDataset(model, data), data.y);
  } finally {
    await model.dispose();
  }
}

/**
 * The platform's side of the retrain-when-accuracy-drops loop (see {@link Retrainer.retrain}):
 *
 * 1. the request (from a gateway's monitor, over the uplink) is validated;
 * 2. `dataset(request)` gives fresh labelled rows (the warehouse, or a simulator); too few rows or
 *    positives → `insufficient-data`;
 * 3. the rows are split by patient; the candidate is trained on one side (`train`);
 * 4. the candidate (its ONNX bytes) and the current model (its signed bytes) are run by `runtime`
 *    on the **same** held-out rows and compared by the {@link PromotionCriterion};
 * 5. not better → `kept-current` (nothing signed, nothing on the ledger); better → the candidate is
 *    signed, its reference profile (histograms of its training rows and scores) is built and
 *    signed, and it is approved through the `LedgerSink` (`model.approve`) → `promoted`, with the
 *    release to deploy (shadow → promote) with {@link deployCommand}.
 *
 * @throws {TypeError} / {RangeError} for bad options.
 * @example
 * ```ts
 * const retrainer = createRetrainer({ features: DETERIORATION_FEATURES, dataset: fromWarehouse, runtime,
 *   signer: platform, approver: biomedLead, ledger, trustedSigners: [publicIdentity(platform)],
 *   model: { task: 'P(NEWS2 >= 7 within 1 h)', description: 'Simulated data only.' } });
 * const outcome = await retrainer.retrain(request, registry.current());
 * if (outcome.type === 'promoted') await gateway.execute(deployCommand(outcome.release, 'redeploy-1'));
 * ```
 */
export function createRetrainer(options: RetrainerOptions): Retrainer {
  if (typeof options?.dataset !== 'function')
    throw new TypeError('createRetrainer: dataset must be a function');
  if (typeof options.runtime?.load !== 'function')
    throw new TypeError('createRetrainer: runtime must be a ModelRuntime');
  const criterion = resolveCriterion(options.criterion);
  const testFraction = options.split?.testFraction ?? 0.3;
  const seed = options.split?.seed ?? 1;
  const minRows = options.minRows ?? 500;
  const minPositives = options.minPositives ?? 30;
  for (const [k, v] of [
    ['minRows', minRows],
    ['minPositives', minPositives],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`createRetrainer: ${k} must be an integer >= 1, got ${v}`);
  }
  const train = options.train ?? ((d: LabelledDataset) => trainLogisticRegression(d));
  const nextVersion = options.nextVersion ?? nextMinorVersion;
  const clock = options.clock ?? systemClock;
  /** Versions signed by this retrainer: never issued twice (bounded by the promotions it makes). */
  const issued = new Set<string>();
  const versionAfter = (current: string): string => {
    let v = nextVersion(current);
    for (let i = 0; issued.has(v) || v === current; i++) {
      if (i >= 1000) throw new RangeError(`retrain: nextVersion gives no new version after ${current}`);
      v = nextVersion(v);
    }
    return v;
  };

  return {
    async retrain(raw, current) {
      const parsed = RetrainRequest.safeParse(raw);
      if (!parsed.success) throw ValidationError.fromZod('RetrainRequest', parsed.error, 'retrainer');
      const request = parsed.data;
      const { manifest } = current.signed;
      if (request.modelId !== manifest.modelId) {
        throw new HealthItError(
          'config/invalid',
          `retrain: the request is about ${request.modelId}, the current model is ${manifest.modelId}`,
        );
      }
      const fresh = await options.dataset(request);
      const data = isDataset(fresh) ? fresh : datasetFromRows(fresh, options.features);
      assertWindowFeatures(options.features, data.features, `retrain ${manifest.modelId}`);
      const all = summary(data);
      const short = (message: string): RetrainOutcome => ({
        type: 'insufficient-data',
        request,
        data: all,
        message,
      });
      if (all.rows < minRows || all.positives < minPositives || all.patients < 2) {
        return short(
          `${all.rows} rows, ${all.positives} positives of ${all.patients} patients; at least ${minRows} rows, ${minPositives} positives and 2 patients are needed`,
        );
      }
      const split = splitByPatient(data, { testFraction, seed });
      const trainSummary = summary(split.train);
      const testSummary = summary(split.test);
      const testNegatives = testSummary.rows - testSummary.positives;
      if (
        testSummary.rows < criterion.minTestRows ||
        testSummary.positives < criterion.minTestPositives ||
        testNegatives < criterion.minTestPositives ||
        trainSummary.positives === 0 ||
        trainSummary.positives === trainSummary.rows
      ) {
        return short(
          `held out ${testSummary.rows} rows with ${testSummary.positives} positives, trained on ${trainSummary.rows} with ${trainSummary.positives}; the criterion needs ${criterion.minTestRows} held-out rows and ${criterion.minTestPositives} positives and negatives`,
        );
      }

      const model = train(split.train);
      const version = versionAfter(manifest.version);
      const exportOptions = {
        id: manifest.modelId,
        version,
        task: options.model.task,
        description: options.model.description,
      };
      const draft = exportModel(model, exportOptions);
      const [currentEvaluation, candidateEvaluation] = [
        await evaluateOn(
          options.runtime,
          {
            id: manifest.modelId,
            version: manifest.version,
            format: 'onnx',
            bytes: current.signed.bytes,
            spec: manifest.spec,
          },
          split.test,
        ),
        await evaluateOn(
          options.runtime,
          { ...draft.signable.artifact, spec: draft.signable.spec },
          split.test,
        ),
      ] as const;
      const verdict = decidePromotion(currentEvaluation, candidateEvaluation, criterion);
      const evaluation: RetrainEvaluation = {
        ...verdict,
        current: { version: manifest.version, evaluation: currentEvaluation },
        candidate: { version, evaluation: candidateEvaluation },
        train: trainSummary,
        heldOut: testSummary,
      };
      if (!verdict.promote) return { type: 'kept-current', request, evaluation };

      const metrics = {
        ...flatMetrics('heldOut', candidateEvaluation),
        'replaced.heldOut.auroc': currentEvaluation.auroc,
        'replaced.heldOut.brier': currentEvaluation.brier,
        'train.rows': trainSummary.rows,
        'train.positives': trainSummary.positives,
        'train.patients': trainSummary.patients,
      };
      const exported = exportModel(model, { ...exportOptions, metrics });
      const signed = await signModelArtifact(exported.signable, options.signer, { clock });
      issued.add(version);
      const profile = signReferenceProfile(
        buildReferenceProfile(
          { columns: data.features.columns, rows: split.train.rows, x: split.train.x },
          predict(model, split.train),
          {
            model: { id: manifest.modelId, version, sha256: signed.manifest.sha256 },
            bins: options.profileBins ?? 10,
            heldOut: {
              auroc: candidateEvaluation.auroc,
              brier: candidateEvaluation.brier,
              n: candidateEvaluation.n,
              positives: candidateEvaluation.positives,
            },
            clock,
          },
        ),
        options.signer,
      );
      const approval = await approveModel(signed, {
        approver: options.approver,
        ledger: options.ledger,
        trustedSigners: options.trustedSigners,
        clock,
        ...(options.model.intendedUse === undefined ? {} : { intendedUse: options.model.intendedUse }),
      });
      return {
        type: 'promoted',
        request,
        evaluation,
        release: { signed, approval, profile, spec: exported.spec },
      };
    },
  };
}

function isDataset(value: unknown): value is LabelledDataset {
  const d = value as Partial<LabelledDataset> | null;
  return d?.x instanceof Float32Array && d.y instanceof Uint8Array && typeof d.rows === 'number';
}
