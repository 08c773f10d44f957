import { z } from 'zod';

const positive = z.number().positive().finite();
const nonNegative = z.number().nonnegative().finite();
const fraction = z.number().min(0).max(1);

/**
 * What a model costs to run, declared by whoever built or measured it. Per-inference time may be
 * measured (`edgeMsPerInference` on the gateway's hardware, `cloudMsPerInference` on the
 * platform's) or estimated from `flopsPerInference` and each side's sustained FLOP rate; a measured
 * time wins over an estimate.
 */
export const ModelProfile = z.strictObject({
  id: z.string().min(1).max(128),
  /** Size of the model file, bytes. */
  sizeBytes: z.number().int().positive(),
  /** Memory it needs loaded (weights, arena, runtime), bytes. Default: 2 × `sizeBytes`. */
  memoryBytes: z.number().int().positive().optional(),
  /** Floating-point operations per inference (one input row). */
  flopsPerInference: positive.optional(),
  /** Measured time of one inference on the gateway, ms. */
  edgeMsPerInference: positive.optional(),
  /** Measured time of one inference on the platform, ms. Default: from FLOPs, else 0 (the platform scales out). */
  cloudMsPerInference: nonNegative.optional(),
  /** How much history one inference reads, ms (e.g. 24 h of trends). Default 0. */
  inputWindowMs: nonNegative.optional(),
  /** The model reads data of many sites or patients at once (population mining, cohort models). Default false. */
  needsFleetData: z.boolean().optional(),
});
export type ModelProfile = z.infer<typeof ModelProfile>;

/** The gateway where an edge or split placement would run. */
export const GatewayCapacity = z.strictObject({
  /** Memory free for models, bytes. */
  freeMemoryBytes: z.number().int().nonnegative(),
  /** Sustained FLOP rate of one core for inference (needed when a model declares FLOPs, not edge ms). */
  flopsPerSecond: positive.optional(),
  /** Current CPU load of that core, 0..1 (what other stages already use). */
  load: fraction,
  /** How much history the gateway keeps (its historian's window), ms. Default: unbounded. */
  historyMs: nonNegative.optional(),
});
export type GatewayCapacity = z.infer<typeof GatewayCapacity>;

/** The gateway's uplink to the platform. */
export const UplinkFacts = z.strictObject({
  /** Sustained bandwidth, bits per second. */
  bandwidthBitsPerSecond: positive,
  /** Round-trip time to the platform, ms. */
  rttMs: nonNegative,
  /** Fraction of time the uplink is up, 0..1 (e.g. 0.99 for hospital Wi-Fi with a 4G fallback). */
  availability: fraction,
});
export type UplinkFacts = z.infer<typeof UplinkFacts>;

/** A split placement's screening stage: a cheap model at the edge that forwards only candidates. */
export const SplitFacts = z.strictObject({
  /** The screening model (run at the edge for every input). */
  screen: ModelProfile,
  /** Fraction of inputs the screen forwards (its positive rate at the chosen threshold), 0..1. */
  candidateFraction: fraction,
});
export type SplitFacts = z.infer<typeof SplitFacts>;

/** The declared facts of a use case at one site. */
export const PlacementConstraints = z.strictObject({
  /**
   * Time from an input's arrival to its result, ms, that the use case needs (e.g. 1000 for a
   * bedside alert). Omit when there is none (batch analytics).
   */
  latencyBudgetMs: positive.optional(),
  /** Inferences the model must run per second at this site. */
  inferencesPerSecond: nonNegative,
  /** Raw input data the site produces for this model, bytes per second (what cloud placement uploads). */
  dataBytesPerSecond: nonNegative,
  /** Privacy: whether the model's raw input data must stay on site (a hospital's or a law's rule). */
  privacy: z.strictObject({ rawDataMustStayOnSite: z.boolean() }),
  gateway: GatewayCapacity,
  uplink: UplinkFacts,
  /** Fraction of time results must be available, 0..1 (e.g. 0.9999 for alarms). Omit when outages can wait. */
  requiredAvailability: fraction.optional(),
  /** The platform's sustained FLOP rate per inference worker, to estimate cloud time from FLOPs. */
  cloudFlopsPerSecond: positive.optional(),
  /** The screening stage, when a split placement is an option. */
  split: SplitFacts.optional(),
  /**
   * Share of free capacity (gateway CPU, uplink bandwidth) a placement may plan to use, 0..1.
   * Default 0.7: 30 % headroom for bursts, retries and catch-up after an outage.
   */
  headroom: z.number().gt(0).max(1).optional(),
});
export type PlacementConstraints = z.infer<typeof PlacementConstraints>;
