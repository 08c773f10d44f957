import { describe, expect, it } from 'vitest';
import { createMemoryLogStorage } from './memory-storage.js';
import { describeLogStorageConformance } from './storage-conformance.js';

describeLogStorageConformance('memory', async (options) => {
  const storage = createMemoryLogStorage(options);
  return {
    storage,
    async corruptEntry(index) {
      const bytes = storage.entry(index);
      if (bytes === undefined) throw new RangeError(`no entry ${index}`);
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x01; // entry() is the stored buffer
    },
    close: async () => undefined,
  };
});

describe('createMemoryLogStorage', () => {
  it('refuses a maxEntries that is not a positive safe integer', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => createMemoryLogStorage({ maxEntries })).toThrow(RangeError);
    }
  });
});
