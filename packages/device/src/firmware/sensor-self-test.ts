import { isPlausible, type MetricId } from '@healthit/core';
import {
  checkFailed,
  checkOk,
  type SelfTestCheck,
  type SelfTestReport,
  selfTestReport,
} from '../actuators/self-test.js';
import type { BootedImage } from './bootloader.js';

/**
 * The self-test a new image must pass on its trial boot before it is confirmed: a report whose
 * `passed` is true confirms it; false, a throw or a timeout rolls it back.
 */
export type FirmwareSelfTest = (image: BootedImage) => SelfTestReport | Promise<SelfTestReport>;

/** One sensor reading taken during a self-test. */
export interface SelfTestReading {
  /** The core metric the reading is of, e.g. `spo2`; its plausible range decides the check of that name. */
  readonly metric: MetricId;
  /** In the metric's canonical unit (see the core metric catalogue). */
  readonly value: number;
}

/**
 * A {@link FirmwareSelfTest} from the device's sensors: takes a sample with the new firmware and
 * passes when every reading is physiologically plausible (the core catalogue's range for its
 * metric). One check per metric (the first implausible value fails it); no readings at all fail
 * (a self-test that checked nothing does not pass).
 * @example
 * ```ts
 * const selfTest = sensorSelfTest(() => [{ metric: 'spo2', value: sensor.spo2() }, { metric: 'heart-rate', value: sensor.hr() }]);
 * ```
 */
export function sensorSelfTest(
  sample: (image: BootedImage) => Iterable<SelfTestReading> | Promise<Iterable<SelfTestReading>>,
): FirmwareSelfTest {
  return async (image) => {
    const checks: Record<string, SelfTestCheck> = {};
    for (const { metric, value } of await sample(image)) {
      if (checks[metric]?.status === 'failed') continue;
      checks[metric] = isPlausible(metric, value)
        ? checkOk(`${metric} reads ${value}, within the plausible range`)
        : checkFailed(`${metric} reads ${value}, outside the plausible range`);
    }
    if (Object.keys(checks).length === 0) checks.sensors = checkFailed('no reading was produced');
    return selfTestReport(checks, { version: image.version });
  };
}
