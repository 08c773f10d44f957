/**
 * `@healthit/ai/retraining`: the platform's side of the retrain-when-accuracy-drops loop. On a
 * gateway's retrain request: a fresh dataset, a candidate trained, the candidate and the current
 * model evaluated on the same held-out rows, promotion only if better, then signing, a reference
 * profile for drift monitoring, approval on the ledger and the command that redeploys it. Trains and
 * writes ONNX (`onnx-proto`), which is why it is not on the root entry.
 * @packageDocumentation
 */
export {
  decidePromotion,
  type PromotionCriterion,
  type PromotionVerdict,
  type ResolvedCriterion,
  resolveCriterion,
} from './criterion.js';
export { type DeployCommandOptions, deployCommand } from './release.js';
export {
  type CurrentModel,
  createRetrainer,
  type DataSummary,
  type ModelRelease,
  nextMinorVersion,
  type RetrainEvaluation,
  type Retrainer,
  type RetrainerOptions,
  type RetrainOutcome,
  scoreDataset,
} from './retrain.js';
