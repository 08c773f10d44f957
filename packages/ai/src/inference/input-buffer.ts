import type { HealthItError } from '@healthit/core';

/** Inputs taken from the buffer for one run, oldest first. */
export interface Batch<In, P> {
  readonly inputs: In[];
  /** Per input, what `prepare` kept (empty in row mode). */
  readonly prepared: P[];
  /** Per input, why it was refused; undefined when none was (the common case). */
  readonly failures: (HealthItError | undefined)[] | undefined;
  /** Row mode: the rows of the inputs not refused, in order, from offset 0 (`rows` × width values). */
  readonly data: Float32Array | undefined;
  /** Row mode: how many rows `data` holds. */
  readonly rows: number;
}

/** Up to `maxBatch` consecutive inputs, filled as they arrive and run as one batch. */
interface Chunk<In, P> {
  inputs: In[];
  prepared: P[];
  /** Created at the first refusal, then as long as `inputs`. */
  failures: (HealthItError | undefined)[] | undefined;
  /** Inputs at the front already removed (dropped by `shift`, or moved to an earlier batch). */
  start: number;
  /** Arrival time of the chunk's first input (a lower bound for the others). */
  arrivedAt: number;
  /** Row mode: `maxBatch` × width values; the rows of the inputs not refused, in order. */
  data: Float32Array | undefined;
  /** Row mode: rows before this one were removed with their inputs. */
  rowStart: number;
  /** Row mode: rows written. */
  rows: number;
}

/**
 * The bounded FIFO of inputs waiting for a run, kept as the batches they will run in: inputs are
 * appended to the last chunk until it holds `maxBatch`, and a run takes the oldest chunk's arrays
 * as they are — no per-input copy into a batch, no per-input bookkeeping object. Only after
 * `shift` (a drop-oldest drop) does `take` move inputs between chunks, to keep runs full.
 *
 * **Row mode** (`width > 0`): each chunk also owns a float32 buffer of `maxBatch × width` values,
 * the future batch tensor; the caller writes an input's row straight into it on arrival
 * ({@link rowTarget}, {@link rowOffset}) and `take` hands it over. Buffers come back through
 * {@link recycle} once their run settled.
 *
 * Each chunk records the arrival time of its first input (the caller reads the clock only when
 * {@link startsChunk}): the deadline of a batch is its oldest input's. After a `shift`, the oldest
 * input may be a later one than its chunk's first: its time is then a lower bound (a batch may run
 * early, never late).
 *
 * The caller applies the overflow policy ({@link full}); `push` on a full buffer is a bug.
 * @internal
 */
export class InputBuffer<In, P> {
  readonly capacity: number;
  readonly maxBatch: number;
  /** Values per row in row mode; 0 otherwise. */
  readonly width: number;
  private readonly chunks: Chunk<In, P>[] = [];
  /** The chunk being filled (the last one), while it has room. */
  private tail: Chunk<In, P> | undefined;
  private size = 0;
  /** Row buffers of settled runs, for the next chunks: as many as the buffer can need at once. */
  private readonly pool: Float32Array[] = [];
  private readonly poolSize: number;

  /** @throws {RangeError} when `capacity` or `maxBatch` is not a positive safe integer, or `width` a non-negative one. */
  constructor(capacity: number, maxBatch: number, width = 0) {
    for (const [name, v, min] of [
      ['capacity', capacity, 1],
      ['maxBatch', maxBatch, 1],
      ['width', width, 0],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < min) {
        throw new RangeError(`InputBuffer: ${name} must be an integer >= ${min}, got ${v}`);
      }
    }
    this.capacity = capacity;
    this.maxBatch = maxBatch;
    this.width = width;
    this.poolSize = Math.ceil(capacity / maxBatch) + 1;
  }

  get length(): number {
    return this.size;
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** Whether the next `push` starts a chunk (its time is then recorded: read the clock). */
  get startsChunk(): boolean {
    return this.tail === undefined;
  }

  /** Arrival time of the oldest input, or a lower bound of it (see the class comment). NaN when empty. */
  oldestArrival(): number {
    const head = this.chunks[0];
    return head === undefined ? Number.NaN : head.arrivedAt;
  }

  private open(arrivedAt: number): Chunk<In, P> {
    let data: Float32Array | undefined;
    if (this.width > 0) data = this.pool.pop() ?? new Float32Array(this.maxBatch * this.width);
    const chunk: Chunk<In, P> = {
      inputs: [],
      prepared: [],
      failures: undefined,
      start: 0,
      arrivedAt,
      data,
      rowStart: 0,
      rows: 0,
    };
    this.chunks.push(chunk);
    this.tail = chunk;
    return chunk;
  }

  /**
   * Row mode: the buffer the next input's row goes into, at {@link rowOffset} (opens a chunk when
   * {@link startsChunk}, with `arrivedAt` as its time). Write the row, then `push` the input.
   */
  rowTarget(arrivedAt: number): Float32Array {
    return (this.tail ?? this.open(arrivedAt)).data as Float32Array;
  }

  /** Row mode: where in {@link rowTarget} the next row goes. */
  get rowOffset(): number {
    return this.tail === undefined ? 0 : this.tail.rows * this.width;
  }

  /**
   * Appends an input; `arrivedAt` is used only when it starts a chunk ({@link startsChunk}). In row
   * mode, an input not refused has just had its row written at {@link rowOffset}.
   * @throws {Error} when the buffer is full (check {@link full} first).
   */
  push(input: In, prepared: P, failure: HealthItError | undefined, arrivedAt: number): void {
    if (this.size === this.capacity) throw new Error('InputBuffer: push on a full buffer');
    const chunk = this.tail ?? this.open(arrivedAt);
    const i = chunk.inputs.push(input) - 1;
    if (this.width === 0) chunk.prepared.push(prepared);
    if (failure !== undefined) {
      chunk.failures ??= new Array<HealthItError | undefined>(i).fill(undefined);
      chunk.failures.push(failure);
    } else {
      chunk.failures?.push(undefined);
      chunk.rows++;
    }
    this.size++;
    if (i + 1 === this.maxBatch) this.tail = undefined;
  }

  /** Removes the oldest input and returns it (undefined when empty). */
  shift(): In | undefined {
    const head = this.chunks[0];
    if (head === undefined) return undefined;
    const s = head.start;
    const input = head.inputs[s];
    // Release the references; the slots are cut off when the chunk is taken.
    head.inputs[s] = undefined as In;
    if (this.width === 0) head.prepared[s] = undefined as P;
    if (head.failures?.[s] !== undefined) head.failures[s] = undefined;
    else head.rowStart++;
    head.start = s + 1;
    this.size--;
    if (head.start === head.inputs.length) this.removeHead(true);
    return input;
  }

  private removeHead(emptied: boolean): void {
    const head = this.chunks.shift();
    if (head === this.tail) this.tail = undefined;
    if (emptied && head?.data !== undefined) this.recycle(head.data);
  }

  /** Row mode: gives back the `data` of a batch whose run has settled, for a later chunk. */
  recycle(data: Float32Array | undefined): void {
    if (
      data !== undefined &&
      data.length === this.maxBatch * this.width &&
      this.pool.length < this.poolSize
    ) {
      this.pool.push(data);
    }
  }

  /** Removes up to `maxBatch` oldest inputs as one batch (empty when the buffer is). */
  take(): Batch<In, P> {
    const head = this.chunks[0];
    if (head === undefined) {
      return { inputs: [], prepared: [], failures: undefined, data: undefined, rows: 0 };
    }
    this.removeHead(false);
    const w = this.width;
    let { inputs, prepared, failures, rows } = head;
    const { data } = head;
    if (head.start > 0) {
      inputs = inputs.slice(head.start);
      prepared = prepared.slice(head.start);
      failures = failures?.slice(head.start);
      if (data !== undefined && head.rowStart > 0) data.copyWithin(0, head.rowStart * w, rows * w);
      rows -= head.rowStart;
    }
    this.size -= inputs.length;
    // After drops the oldest chunk is short: fill the batch from the next chunks.
    while (inputs.length < this.maxBatch && this.chunks.length > 0) {
      const next = this.chunks[0] as Chunk<In, P>;
      const n = Math.min(this.maxBatch - inputs.length, next.inputs.length - next.start);
      const from = next.start;
      if (next.failures !== undefined && failures === undefined) {
        failures = new Array<HealthItError | undefined>(inputs.length).fill(undefined);
      }
      let moved = 0; // rows of the inputs moved
      for (let k = from; k < from + n; k++) {
        inputs.push(next.inputs[k] as In);
        if (w === 0) prepared.push(next.prepared[k] as P);
        const f = next.failures?.[k];
        failures?.push(f);
        if (f === undefined) moved++;
        next.inputs[k] = undefined as In;
        if (w === 0) next.prepared[k] = undefined as P;
        if (next.failures !== undefined) next.failures[k] = undefined;
      }
      if (data !== undefined && next.data !== undefined && moved > 0) {
        data.set(next.data.subarray(next.rowStart * w, (next.rowStart + moved) * w), rows * w);
      }
      rows += moved;
      next.rowStart += moved;
      next.start = from + n;
      this.size -= n;
      if (next.start === next.inputs.length) this.removeHead(true);
    }
    if (failures?.every((f) => f === undefined)) failures = undefined;
    return { inputs, prepared, failures, data, rows: w === 0 ? 0 : rows };
  }
}
