/** Smallest and largest chunk the arena allocates (an entry is at most 64 KiB, so it always fits). */
const MIN_CHUNK_BYTES = 1 << 16;
const MAX_CHUNK_BYTES = 1 << 20;

/**
 * Append-only byte strings packed into shared chunks (64 KiB growing to 1 MiB), with a 12-byte
 * index per entry (start offset and length). Compared with one `Uint8Array` per entry this saves
 * the typed array and its separately allocated backing store, about 350 bytes per entry in V8.
 * `get` returns a view into a chunk.
 */
export interface EntryArena {
  /** How many entries are stored. */
  readonly length: number;
  /** A view of entry `index`, or undefined when there is none. Callers must not modify it. */
  get(index: number): Uint8Array | undefined;
  /** Copies `bytes` in as the next entry. @throws {RangeError} when it is larger than 64 KiB. */
  push(bytes: Uint8Array): void;
}

/** Creates an empty {@link EntryArena}. */
export function createEntryArena(): EntryArena {
  const chunks: Uint8Array[] = [];
  let chunk = new Uint8Array(0);
  let used = 0; // bytes used in `chunk`
  let total = 0; // bytes of every entry stored
  let starts = new Float64Array(1024); // chunk number · MAX_CHUNK_BYTES + offset
  let lengths = new Uint32Array(1024);
  let count = 0;

  function grow(): void {
    const nextStarts = new Float64Array(starts.length * 2);
    nextStarts.set(starts);
    starts = nextStarts;
    const nextLengths = new Uint32Array(lengths.length * 2);
    nextLengths.set(lengths);
    lengths = nextLengths;
  }

  return {
    get length() {
      return count;
    },
    get(index) {
      if (!(Number.isInteger(index) && index >= 0 && index < count)) return undefined;
      const start = starts[index] as number;
      const bytes = chunks[Math.floor(start / MAX_CHUNK_BYTES)] as Uint8Array;
      const at = start % MAX_CHUNK_BYTES;
      return bytes.subarray(at, at + (lengths[index] as number));
    },
    push(bytes) {
      if (bytes.length > MIN_CHUNK_BYTES) {
        throw new RangeError(`entries must be at most ${MIN_CHUNK_BYTES} bytes, got ${bytes.length}`);
      }
      if (chunks.length === 0 || used + bytes.length > chunk.length) {
        chunk = new Uint8Array(Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, total)));
        chunks.push(chunk);
        used = 0;
      }
      if (count === starts.length) grow();
      chunk.set(bytes, used);
      starts[count] = (chunks.length - 1) * MAX_CHUNK_BYTES + used;
      lengths[count] = bytes.length;
      used += bytes.length;
      total += bytes.length;
      count++;
    },
  };
}
