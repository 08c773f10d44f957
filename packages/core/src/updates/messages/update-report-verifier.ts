import { type Clock, systemClock } from '../../ports/clock.js';
import { keyIdOf } from '../../security/identity.js';
import { createReplayGuard } from '../../security/replay-guard.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { firstIssue, verifyMessage } from './signed-message.js';
import { UPDATE_REPORT_DOMAIN, UpdateReport } from './update-report.js';

/** Default of {@link UpdateReportVerifierOptions.maxAgeMs}: 7 days (a device may report late, through a store-and-forward uplink). */
export const DEFAULT_UPDATE_REPORT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Default of {@link UpdateReportVerifierOptions.maxDevices}. */
export const DEFAULT_UPDATE_REPORT_MAX_DEVICES = 100_000;

/** Options of {@link createUpdateReportVerifier}. */
export interface UpdateReportVerifierOptions {
  /** The device registry: device id → its Ed25519 public key (undefined: unknown or revoked). */
  readonly deviceKey: (deviceId: string) => Uint8Array | undefined;
  /** Reports dated (`at`) further back than this, ms, are refused as `expired`. Default 7 days. */
  readonly maxAgeMs?: number;
  /** Reports dated further ahead of the clock than this, ms, are refused as `expired`. Default 60 000. */
  readonly maxAheadMs?: number;
  /**
   * Devices whose replay state is kept at most (default 100 000). When full, the device heard from
   * least recently is forgotten, and from then on every report dated at or before the newest `at`
   * accepted from any forgotten device is refused as `expired` (forgetting never lets an old
   * report back in). Size it above the fleet to never refuse a live report.
   */
  readonly maxDevices?: number;
  /** The platform's clock, against which a report's `at` is judged (default: the system clock). */
  readonly clock?: Clock;
}

/** What the transport vouches for about a report, checked against its content. */
export interface UpdateReportExpectation {
  /** The device the report came from (e.g. its authenticated connection or topic). */
  readonly deviceId?: string;
}

/** Verifies update reports from a fleet (see {@link createUpdateReportVerifier}). */
export interface UpdateReportVerifier {
  /**
   * Checks a report (any input) and, when it passes, remembers its counter.
   * @throws {UpdateRejectedError} `malformed` (not an UpdateReport), `wrong-device` (not the device
   * the transport vouches for), `signature` (unknown device, a key id that is not the device's, or
   * a signature that does not verify), `expired` (dated outside the accepted period), `replay`
   * (a counter at or below the highest accepted from that device). Nothing is accepted when it
   * throws.
   */
  verify(input: unknown, expected?: UpdateReportExpectation): UpdateReport;
  /** Devices whose replay state is kept now. */
  readonly devices: number;
}

/**
 * The platform side of update reports. Checks, in order: the schema, the sender the transport
 * vouches for, the device's registered key and signature (domain `healthit-update-report/v1\n`),
 * then time and counter in the core `ReplayGuard` with a window of 1 — each report accepted once,
 * in counter order, an older one refused as a `replay`. Only authenticated reports touch the
 * replay state. Memory: at most `maxDevices` devices × one counter (see
 * {@link UpdateReportVerifierOptions.maxDevices} for the policy when full).
 * @throws {RangeError} for an invalid option.
 * @example
 * ```ts
 * const reports = createUpdateReportVerifier({ deviceKey: (id) => registry.get(id)?.signingKey });
 * const report = reports.verify(JSON.parse(text), { deviceId: topicDeviceId }); // throws UpdateRejectedError
 * rollout.record(report);
 * ```
 */
export function createUpdateReportVerifier(options: UpdateReportVerifierOptions): UpdateReportVerifier {
  const clock = options.clock ?? systemClock;
  const guard = createReplayGuard({
    window: 1,
    maxAgeMs: options.maxAgeMs ?? DEFAULT_UPDATE_REPORT_MAX_AGE_MS,
    maxAheadMs: options.maxAheadMs ?? 60_000,
    maxSenders: options.maxDevices ?? DEFAULT_UPDATE_REPORT_MAX_DEVICES,
    clock,
  });

  return {
    get devices() {
      return guard.senders;
    },
    verify(input, expected = {}) {
      const parsed = UpdateReport.safeParse(input);
      if (!parsed.success) {
        throw new UpdateRejectedError('malformed', `Not an update report: ${firstIssue(parsed.error)}`, {
          subject: 'update report',
        });
      }
      const report = parsed.data;
      const subject = `update report ${report.counter} of ${report.deviceId}`;
      if (expected.deviceId !== undefined && report.deviceId !== expected.deviceId) {
        throw new UpdateRejectedError('wrong-device', `The ${subject} arrived from ${expected.deviceId}`, {
          subject,
          detail: { claimed: report.deviceId, from: expected.deviceId },
        });
      }
      const key = options.deviceKey(report.deviceId);
      if (key === undefined) {
        throw new UpdateRejectedError('signature', `The ${subject} comes from an unknown or revoked device`, {
          subject,
        });
      }
      if (report.sig.kid !== keyIdOf(key) || !verifyMessage(UPDATE_REPORT_DOMAIN, report, key)) {
        throw new UpdateRejectedError(
          'signature',
          `The ${subject} is not signed by ${report.deviceId}'s registered key`,
          { subject, detail: { kid: report.sig.kid } },
        );
      }
      const verdict = guard.check(report.deviceId, report.counter, report.at);
      if (!verdict.ok) {
        const replay = verdict.reason === 'replay' || verdict.reason === 'too-old';
        throw new UpdateRejectedError(
          replay ? 'replay' : 'expired',
          replay
            ? `The ${subject} is a replay: its counter was accepted before or a newer report was`
            : `The ${subject} is dated ${new Date(report.at).toISOString()}, outside the accepted period (${verdict.reason})`,
          { subject, detail: { counter: report.counter, at: report.at, guard: verdict.reason } },
        );
      }
      return report;
    },
  };
}
