import { type Clock, systemClock } from '../../ports/clock.js';
import type { UpdateRejection } from '../update-rejected-error.js';
import type { UpdateMessageSigner } from './signed-message.js';
import { signUpdateReport, type UpdateReport } from './update-report.js';
import type { UpdateState } from './update-state.js';

/** Options of {@link createUpdateReporter}. */
export interface UpdateReporterOptions {
  /** The id of the reporting device, put in every report. */
  readonly deviceId: string;
  /** The device's signing key. */
  readonly signer: UpdateMessageSigner;
  /** The highest report counter this device used before (from its persistent storage). Default 0. */
  readonly lastCounter?: number;
  /**
   * Called with each new counter BEFORE the report carrying it is signed (write-ahead): persist it
   * here, so a power cycle never reuses a counter (the platform would refuse the report as a
   * replay). When it throws, no report is signed and the error propagates.
   */
  readonly persistCounter?: (counter: number) => void;
  /** Stamps `at` when the caller gives none. */
  readonly clock?: Clock;
}

/** What a device says in one report; the reporter adds device id, counter, signature. */
export interface UpdateReportRequest {
  /** The update campaign reported on. */
  readonly campaignId: string;
  /** The state the device entered. */
  readonly state: UpdateState;
  /** What happened, in words a biomedical engineer can act on (at most 1 024 characters). Default: empty. */
  readonly detail?: string;
  /** Default: the clock's now. */
  readonly at?: number;
  /** The firmware version the state is about (the target, or the one running after a rollback). */
  readonly version?: string;
  /** For `failed`: the check that refused the image, as `UpdateRejectedError.reason`. */
  readonly reason?: UpdateRejection;
}

/** Signs a device's update reports with a persistent counter (see {@link createUpdateReporter}). */
export interface UpdateReporter {
  /** Signs the next report. @throws {ZodError} when a field is malformed. */
  report(request: UpdateReportRequest): UpdateReport;
  /** The highest counter used so far. */
  readonly lastCounter: number;
}

/**
 * The device side of update reports: every report gets the next counter and the device's
 * signature.
 * @throws {RangeError} for a `lastCounter` that is not an integer ≥ 0.
 * @example
 * ```ts
 * const reporter = createUpdateReporter({ deviceId: 'po-12', signer, lastCounter: stored, persistCounter: save });
 * agent.update(source, { campaignId }).subscribe((s) => uplink(reporter.report({ campaignId, ...s })));
 * ```
 */
export function createUpdateReporter(options: UpdateReporterOptions): UpdateReporter {
  let lastCounter = options.lastCounter ?? 0;
  if (!Number.isSafeInteger(lastCounter) || lastCounter < 0) {
    throw new RangeError(`lastCounter must be an integer ≥ 0, got ${lastCounter}`);
  }
  const clock = options.clock ?? systemClock;
  return {
    get lastCounter() {
      return lastCounter;
    },
    report(request) {
      const counter = lastCounter + 1;
      options.persistCounter?.(counter);
      lastCounter = counter;
      return signUpdateReport(
        {
          campaignId: request.campaignId,
          deviceId: options.deviceId,
          state: request.state,
          detail: request.detail ?? '',
          at: request.at ?? clock.now(),
          counter,
          ...(request.version === undefined ? {} : { version: request.version }),
          ...(request.reason === undefined ? {} : { reason: request.reason }),
        },
        options.signer,
      );
    },
  };
}
