/**
 * Where a model runs — edge, cloud or split — decided from declared facts by documented rules, and
 * the split placement as an operator (screen at the edge, confirm candidates in the cloud).
 * @module
 */
export {
  decidePlacement,
  PLACEMENTS,
  type Placement,
  type PlacementDecision,
  type PlacementEstimates,
  PlacementInfeasibleError,
  type PlacementReason,
  type PlacementRule,
} from './decide.js';
export { GatewayCapacity, ModelProfile, PlacementConstraints, SplitFacts, UplinkFacts } from './facts.js';
export {
  type Candidate,
  candidateCodec,
  type ScreenAndForwardOptions,
  type SplitCounts,
  type SplitEvent,
  screenAndForward,
} from './split.js';
