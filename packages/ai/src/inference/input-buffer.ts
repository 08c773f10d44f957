import type { HealthItError } from '@healthit/core';

/** Inputs taken from the buffer for one run, oldest first. */
export interface Batch<In, P> {
  readonly inputs: In[];
  readonly prepared: P[];
  /** Per input, why `prepare` refused it; undefined when none was refused (the common case). */
  readonly failures: (HealthItError | undefined)[] | undefined;
}

/** Slots a buffer starts with; it doubles up to its capacity as inputs queue up. */
const INITIAL_SLOTS = 256;

/**
 * The bounded FIFO of inputs waiting for a run, as parallel ring arrays (input, prepared value,
 * refusal, arrival time): no object per input, O(1) push and shift, batches taken in one pass. The
 * rings start small and double up to `capacity`, so a generous bound costs memory only when used.
 * The caller applies the overflow policy ({@link InputBuffer.full}); `push` on a full buffer is a bug.
 * @internal
 */
export class InputBuffer<In, P> {
  readonly capacity: number;
  private slots: number;
  private inputs: (In | undefined)[];
  private prepared: (P | undefined)[];
  private failures: (HealthItError | undefined)[];
  private arrivals: Float64Array;
  private head = 0;
  private size = 0;
  /** Refused inputs currently buffered: lets `take` skip the refusal column when there are none. */
  private refused = 0;
  /** The arrival time of the last removed input that had one (a lower bound for those after it). */
  private lastRemovedArrival = Number.NaN;

  /** @throws {RangeError} when `capacity` is not a positive safe integer. */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`InputBuffer: capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.slots = Math.min(capacity, INITIAL_SLOTS);
    this.inputs = new Array<In | undefined>(this.slots);
    this.prepared = new Array<P | undefined>(this.slots);
    this.failures = new Array<HealthItError | undefined>(this.slots);
    this.arrivals = new Float64Array(this.slots);
  }

  /** Doubles the rings (up to `capacity`), moving the queued inputs to the front in order. */
  private grow(): void {
    const slots = Math.min(this.capacity, this.slots * 2);
    const inputs = new Array<In | undefined>(slots);
    const prepared = new Array<P | undefined>(slots);
    const failures = new Array<HealthItError | undefined>(slots);
    const arrivals = new Float64Array(slots);
    for (let k = 0, h = this.head; k < this.size; k++, h = h + 1 === this.slots ? 0 : h + 1) {
      inputs[k] = this.inputs[h];
      prepared[k] = this.prepared[h];
      failures[k] = this.failures[h];
      arrivals[k] = this.arrivals[h] as number;
    }
    this.inputs = inputs;
    this.prepared = prepared;
    this.failures = failures;
    this.arrivals = arrivals;
    this.slots = slots;
    this.head = 0;
  }

  get length(): number {
    return this.size;
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /**
   * Arrival time of the oldest input, or a lower bound of it when its time was not recorded (NaN
   * at `push`): the time of the latest input before it that had one (inputs arrive in order), else
   * `-Infinity`. NaN when empty.
   */
  oldestArrival(): number {
    if (this.size === 0) return Number.NaN;
    const at = this.arrivals[this.head] as number;
    if (!Number.isNaN(at)) return at;
    return Number.isNaN(this.lastRemovedArrival) ? Number.NEGATIVE_INFINITY : this.lastRemovedArrival;
  }

  /**
   * Appends an input; `arrivedAt` may be NaN when the caller did not read the clock (see
   * {@link oldestArrival}).
   * @throws {Error} when the buffer is full (check {@link full} first).
   */
  push(input: In, prepared: P | undefined, failure: HealthItError | undefined, arrivedAt: number): void {
    if (this.size === this.capacity) throw new Error('InputBuffer: push on a full buffer');
    if (this.size === this.slots) this.grow();
    let i = this.head + this.size;
    if (i >= this.slots) i -= this.slots;
    this.inputs[i] = input;
    this.prepared[i] = prepared;
    this.failures[i] = failure;
    this.arrivals[i] = arrivedAt;
    if (failure !== undefined) this.refused++;
    this.size++;
  }

  /** Removes the oldest input and returns it (undefined when empty). */
  shift(): In | undefined {
    if (this.size === 0) return undefined;
    const h = this.head;
    const input = this.inputs[h];
    if (this.failures[h] !== undefined) this.refused--;
    const at = this.arrivals[h] as number;
    if (!Number.isNaN(at)) this.lastRemovedArrival = at;
    this.inputs[h] = undefined;
    this.prepared[h] = undefined;
    this.failures[h] = undefined;
    this.head = h + 1 === this.slots ? 0 : h + 1;
    this.size--;
    return input;
  }

  /** Removes up to `n` oldest inputs as one batch. */
  take(n: number): Batch<In, P> {
    const count = Math.min(n, this.size);
    const inputs = new Array<In>(count);
    const prepared = new Array<P>(count);
    const failures = this.refused > 0 ? new Array<HealthItError | undefined>(count) : undefined;
    let h = this.head;
    for (let k = 0; k < count; k++) {
      inputs[k] = this.inputs[h] as In;
      prepared[k] = this.prepared[h] as P;
      const at = this.arrivals[h] as number;
      if (!Number.isNaN(at)) this.lastRemovedArrival = at;
      this.inputs[h] = undefined;
      this.prepared[h] = undefined;
      if (failures !== undefined) {
        const f = this.failures[h];
        failures[k] = f;
        if (f !== undefined) {
          this.refused--;
          this.failures[h] = undefined;
        }
      }
      h = h + 1 === this.slots ? 0 : h + 1;
    }
    this.head = h;
    this.size -= count;
    return { inputs, prepared, failures };
  }
}
