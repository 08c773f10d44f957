import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeLogStorageConformance, type LogStorageUnderTest } from '../storage-conformance.js';
import {
  ENTRIES_MAGIC,
  type FileLogStorage,
  type FileLogStorageOptions,
  LOG_FILES,
  openFileLogStorage,
} from './file-log-storage.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Flips a bit in the middle of entry record `index` of entries.bin. */
function corruptEntryFile(dir: string, index: number): void {
  const path = join(dir, LOG_FILES.entries);
  const bytes = readFileSync(path);
  let at = ENTRIES_MAGIC.length;
  for (let i = 0; i < index; i++) at += 4 + bytes.readUInt32BE(at);
  const length = bytes.readUInt32BE(at);
  const target = at + 4 + (length >> 1);
  bytes[target] = (bytes[target] as number) ^ 0x01;
  writeFileSync(path, bytes);
}

async function openIn(options: FileLogStorageOptions): Promise<LogStorageUnderTest> {
  const storage = await openFileLogStorage(options);
  return {
    storage,
    corruptEntry: async (index) => corruptEntryFile(storage.dir, index),
    close: () => storage.close(),
  };
}

describeLogStorageConformance(
  'append-only files',
  async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'tlog-conformance-'));
    dirs.push(dir);
    return openIn({ dir, ...options });
  },
  async (closed) => openIn({ dir: (closed.storage as FileLogStorage).dir }),
);
