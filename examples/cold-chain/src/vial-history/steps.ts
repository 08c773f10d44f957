/**
 * The checks of `verifyVialHistory`, in the order they run:
 *
 * | step         | checks                                                                                                   |
 * | ------------ | -------------------------------------------------------------------------------------------------------- |
 * | `bundle`     | the history's shape: format, version, members, hex, canonical base64, increasing indexes                 |
 * | `checkpoint` | the checkpoint note is signed by the log key and names the expected origin                               |
 * | `witnesses`  | at least `witnessThreshold` distinct witnesses cosigned it                                               |
 * | `entries`    | every entry is canonical, names the checkpoint's origin, and lies below its size                         |
 * | `signatures` | every signature verifies under the policy's keys; each entry meets its kind's endorsement rule at its time; a transfer is signed by both organisations it names |
 * | `inclusion`  | every entry's proof leads to the checkpoint's root                                                       |
 * | `custody`    | the shipment's stream is complete from seq 0 (seq, prev); each transfer hands on from the last receiver, lists the vial's lot and names its loggers; each flag is signed by the custodian of its time |
 * | `readings`   | every batch's readings are temperature readings in Cel that reproduce its Merkle root; each logger's batches are contiguous; each batch comes from a logger the custodian named, signed by the custodian |
 * | `coverage`   | readings cover every custody period with no silence longer than `maxGapMs`                               |
 * | `excursions` | the excursion rules re-run on the readings raise exactly the flagged alerts (same digests), and each transfer reports the excursions of the period it ends |
 */
export const VialHistorySteps = [
  'bundle',
  'checkpoint',
  'witnesses',
  'entries',
  'signatures',
  'inclusion',
  'custody',
  'readings',
  'coverage',
  'excursions',
] as const;

/** One of {@link VialHistorySteps}. */
export type VialHistoryStep = (typeof VialHistorySteps)[number];

/** The outcome of one step. */
export interface HistoryStepOutcome {
  readonly step: VialHistoryStep;
  readonly ok: boolean;
  /** What failed (only when `ok` is false). */
  readonly reason?: string;
}

/** Thrown inside the verifier only, to stop at a step; never escapes it. */
export class StepFailure {
  constructor(
    readonly step: VialHistoryStep,
    readonly reason: string,
  ) {}
}

/** Stops the verification at `step` with `reason`. */
export function failStep(step: VialHistoryStep, reason: string): never {
  throw new StepFailure(step, reason);
}

/** Runs one step: records it as passed when `run` returns. */
export type StepRunner = <T>(name: VialHistoryStep, run: () => T) => T;
