import { z } from 'zod';
import {
  type FirmwareRecordKey,
  PowerLossError,
  type PowerLossInjector,
  type WritePoint,
} from './power-loss.js';

/** The two firmware slots. */
export type SlotId = 'a' | 'b';

/** The other slot. */
export function otherSlot(slot: SlotId): SlotId {
  return slot === 'a' ? 'b' : 'a';
}

/**
 * Where a slot's image stands: `empty` (never written), `writing` (an install began: not bootable),
 * `ready` (written and checked, may be booted on trial), `confirmed` (booted and confirmed by a
 * self-test), `rejected` (refused or rolled back: never booted again).
 */
export const SlotState = z.enum(['empty', 'writing', 'ready', 'confirmed', 'rejected']);
export type SlotState = z.infer<typeof SlotState>;

/** One firmware slot: the image bytes and what the verified update said of them. */
export const SlotRecord = z.strictObject({
  state: SlotState,
  /** The firmware version, e.g. `2.4.1` (empty for an empty slot). */
  version: z.string().max(64),
  /** The SUIT sequence number of the image (0 for an empty slot). */
  sequence: z.number().int().nonnegative(),
  /** Lowercase hex SHA-256 of the image AS VERIFIED (never recomputed from what was written). */
  sha256: z.string().regex(/^([0-9a-f]{64})?$/),
  /** The verified image length, bytes. */
  length: z.number().int().nonnegative(),
  /** The bytes written so far (all `length` of them once `ready`). */
  image: z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be a Uint8Array'),
  /** The campaign the image was installed for, when known (so a reboot can report on it). */
  campaignId: z.string().min(1).max(128).optional(),
});
export type SlotRecord = z.infer<typeof SlotRecord>;

/**
 * The boot-control record: which slot boots, and whether a new image waits for its trial boot.
 * - `active`: the slot that boots normally (the last confirmed image).
 * - `trial`: a slot to boot once on trial (its image is `ready`), or `null`.
 * - `trialAttempts`: trial boots of `trial` begun so far; the bootloader rolls back once they reach
 *   its limit without a confirmation.
 * - `confirmed`: the image in `active` was confirmed (false only while a trial is pending); the
 *   bootloader moves the anti-rollback counter only to the sequence of a confirmed active image.
 */
export const BootControl = z.strictObject({
  active: z.enum(['a', 'b']),
  trial: z.enum(['a', 'b']).nullable(),
  trialAttempts: z.number().int().nonnegative(),
  confirmed: z.boolean(),
});
export type BootControl = z.infer<typeof BootControl>;

/**
 * What persists across power cycles: the "flash chip", one value per record. Records are replaced
 * whole (atomically); a `Map` of plain, structured-cloneable values.
 */
export type FirmwareMedium = Map<FirmwareRecordKey, unknown>;

/** Options of {@link createFirmwareStorage}. */
export interface FirmwareStorageOptions {
  /**
   * The persistent medium this storage reads and writes (by reference: it is the flash chip).
   * Default a new, blank one. To power on a fresh device after a power cut, pass the old
   * storage's `medium` (or a `snapshot()`).
   */
  readonly medium?: FirmwareMedium;
  /** Called before and after every write; may cut the power. Default: never. */
  readonly powerLoss?: PowerLossInjector;
}

/**
 * A device's firmware storage: two slots, the boot-control record and the anti-rollback counter.
 * Every write replaces one whole record atomically and passes the power-loss injector before and
 * after; reads return copies (nothing read can change what is stored).
 */
export interface FirmwareStorage {
  /** The medium written to (read it freely, also after a power cut). */
  readonly medium: FirmwareMedium;
  /** Writes made since power-on. */
  readonly writes: number;
  /** False once the power was cut: every call but `snapshot` then throws {@link PowerLossError}. */
  readonly powered: boolean;
  /**
   * A slot. An absent record reads as `empty`; a record that is not a valid slot record (damaged,
   * tampered) reads as `rejected`, so it is never booted.
   */
  readSlot(slot: SlotId): SlotRecord;
  /** @throws {PowerLossError} when the injector cuts the power at this write. */
  writeSlot(slot: SlotId, record: SlotRecord): void;
  /** The boot-control record, or `undefined` when absent or unreadable (a device never provisioned). */
  readBootControl(): BootControl | undefined;
  /** @throws {PowerLossError} when the injector cuts the power at this write. */
  writeBootControl(control: BootControl): void;
  /**
   * The anti-rollback counter: the lowest SUIT sequence the bootloader will boot. 0 when absent
   * (never provisioned); `Number.MAX_SAFE_INTEGER` when unreadable (fail closed).
   */
  readCounter(): number;
  /** @throws {PowerLossError} when the injector cuts the power at this write. */
  writeCounter(counter: number): void;
  /** A deep copy of the medium (works after a power cut: the flash keeps what it holds). */
  snapshot(): FirmwareMedium;
}

const EMPTY_SLOT: SlotRecord = Object.freeze({
  state: 'empty',
  version: '',
  sequence: 0,
  sha256: '',
  length: 0,
  image: new Uint8Array(0),
});

const COUNTER = z.strictObject({ counter: z.number().int().nonnegative() });

/** A deep copy of a medium. */
export function cloneMedium(medium: FirmwareMedium): FirmwareMedium {
  return new Map([...medium].map(([key, value]) => [key, structuredClone(value)]));
}

/**
 * Creates the firmware storage of one power-on of a simulated device.
 * @example
 * ```ts
 * const storage = createFirmwareStorage();
 * await provisionFirmware(storage, { image, version: '2.4.0', sequence: 240 });
 * // after a power cut, a fresh device over the same flash:
 * const fresh = createFirmwareStorage({ medium: storage.snapshot() });
 * ```
 */
export function createFirmwareStorage(options: FirmwareStorageOptions = {}): FirmwareStorage {
  const medium: FirmwareMedium = options.medium ?? new Map();
  const powerLoss = options.powerLoss ?? (() => false);
  let writes = 0;
  let cut: WritePoint | undefined;

  const alive = (): void => {
    if (cut !== undefined)
      throw new PowerLossError(cut, `The device has no power (lost ${cut.phase} write ${cut.index})`);
  };
  const write = (record: FirmwareRecordKey, value: unknown): void => {
    alive();
    const index = writes;
    const at = (phase: 'before' | 'after'): void => {
      const point: WritePoint = { index, phase, record, step: 2 * index + (phase === 'after' ? 1 : 0) };
      if (powerLoss(point)) {
        cut = point;
        throw new PowerLossError(point);
      }
    };
    at('before');
    medium.set(record, structuredClone(value)); // the atomic, whole-record write
    writes = index + 1;
    at('after');
  };
  const slotKey = (slot: SlotId): FirmwareRecordKey => (slot === 'a' ? 'slot-a' : 'slot-b');

  return {
    medium,
    get writes() {
      return writes;
    },
    get powered() {
      return cut === undefined;
    },
    readSlot(slot) {
      alive();
      const value = medium.get(slotKey(slot));
      if (value === undefined) return { ...EMPTY_SLOT, image: new Uint8Array(0) };
      const parsed = SlotRecord.safeParse(value);
      if (!parsed.success) return { ...EMPTY_SLOT, state: 'rejected', image: new Uint8Array(0) };
      return { ...parsed.data, image: parsed.data.image.slice() };
    },
    writeSlot(slot, record) {
      write(slotKey(slot), { ...SlotRecord.parse(record), image: record.image.slice() });
    },
    readBootControl() {
      alive();
      const parsed = BootControl.safeParse(medium.get('boot-control'));
      return parsed.success ? { ...parsed.data } : undefined;
    },
    writeBootControl(control) {
      write('boot-control', BootControl.parse(control));
    },
    readCounter() {
      alive();
      const value = medium.get('anti-rollback');
      if (value === undefined) return 0;
      const parsed = COUNTER.safeParse(value);
      // fail closed: a damaged counter must not reopen rollbacks (nothing boots until serviced)
      return parsed.success ? parsed.data.counter : Number.MAX_SAFE_INTEGER;
    },
    writeCounter(counter) {
      write('anti-rollback', COUNTER.parse({ counter }));
    },
    snapshot: () => cloneMedium(medium),
  };
}
