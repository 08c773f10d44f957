import { HealthItError } from '@healthit/core';

/** The records of a device's firmware storage (see `FirmwareStorage`). */
export type FirmwareRecordKey = 'slot-a' | 'slot-b' | 'boot-control' | 'anti-rollback';

/** One side of one write to firmware storage: where a power-loss injector may cut the power. */
export interface WritePoint {
  /** 0-based number of the write since this storage was powered on. */
  readonly index: number;
  /** `before`: the record still holds its old value; `after`: it holds the new one. */
  readonly phase: 'before' | 'after';
  /** The storage record being written. */
  readonly record: FirmwareRecordKey;
  /**
   * The step number over all points since power-on: `2 × index` before a write, `2 × index + 1`
   * after it (what {@link cutPowerAt} takes).
   */
  readonly step: number;
}

/**
 * A hook called before and after every write to firmware storage; returning `true` cuts the power
 * there: the write throws {@link PowerLossError} (leaving the record as it was `before`, or as
 * written `after`) and the storage refuses every further call, as a device that lost power does.
 */
export type PowerLossInjector = (point: WritePoint) => boolean;

/**
 * The power was cut (by a {@link PowerLossInjector}). Everything in memory is gone: discard the
 * device and power on a fresh one over a snapshot of its storage.
 */
export class PowerLossError extends HealthItError {
  /** Always `PowerLossError`. */
  override readonly name = 'PowerLossError';
  /** Where the power was cut. */
  readonly point: WritePoint;

  /**
   * Creates the error, with code `state/invalid` and the write point as its `detail`.
   * @param point - Where the power was cut.
   * @param message - Default names the phase, the write index and the record, e.g.
   *   `Power lost before write 3 (slot-b)`.
   */
  constructor(
    point: WritePoint,
    message = `Power lost ${point.phase} write ${point.index} (${point.record})`,
  ) {
    super('state/invalid', message, { detail: { ...point } });
    this.point = point;
  }
}

/**
 * An injector that cuts the power at one step (see {@link WritePoint.step}); `undefined` never cuts.
 * @example
 * ```ts
 * const storage = createFirmwareStorage({ medium, powerLoss: cutPowerAt(7) }); // after write 3
 * ```
 */
export function cutPowerAt(step: number | undefined): PowerLossInjector {
  return (point) => point.step === step;
}

/** An injector that never cuts and records every point it sees, in order (to count a flow's steps). */
export function recordWritePoints(): PowerLossInjector & { readonly points: readonly WritePoint[] } {
  const points: WritePoint[] = [];
  const injector = (point: WritePoint): boolean => {
    points.push(point);
    return false;
  };
  return Object.assign(injector, { points });
}
