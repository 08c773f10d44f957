/**
 * Remembers the highest accepted `seq` per device, for de-duplication. Bounded: at most
 * `maxDevices` devices are remembered; past that, the device heard from least recently is
 * forgotten (a forgotten device's next reading is accepted as new).
 */
export interface SequenceGuard {
  /** Records `seq` for `deviceId` and returns undefined if it is new, or the last seq if it is not. */
  check(deviceId: string, seq: number): number | undefined;
  /** How many devices are remembered now (at most `maxDevices`). */
  readonly size: number;
}

/** @throws {RangeError} when `maxDevices` is not a positive integer. */
export function createSequenceGuard(maxDevices = 100_000): SequenceGuard {
  if (!Number.isInteger(maxDevices) || maxDevices < 1) {
    throw new RangeError(`maxDevices must be a positive integer, got ${maxDevices}`);
  }
  const last = new Map<string, number>();
  // The device heard from most recently, the Map's last key: a device's readings come in runs (a
  // message's batch), and updating it in place keeps it last without a delete and re-insert.
  let newest: string | undefined;
  return {
    get size() {
      return last.size;
    },
    check(deviceId, seq) {
      const prev = last.get(deviceId);
      if (prev !== undefined && seq <= prev) return prev;
      if (deviceId === newest) {
        last.set(deviceId, seq);
        return undefined;
      }
      newest = deviceId;
      last.delete(deviceId);
      if (last.size >= maxDevices) {
        const oldest = last.keys().next().value;
        if (oldest !== undefined) last.delete(oldest);
      }
      last.set(deviceId, seq);
      return undefined;
    },
  };
}
