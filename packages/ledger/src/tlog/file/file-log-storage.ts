import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HealthItError } from '@healthit/core';
import { MAX_ENTRY_BYTES } from '../../entries/index.js';
import { LedgerIntegrityError } from '../../errors.js';
import { createMemoryTreeStorage, HASH_LENGTH, type TreeStorage } from '../../merkle/index.js';
import { createSerialQueue } from '../../serial-queue.js';
import type { LogStorage } from '../storage.js';

/** First bytes of the entries file. */
export const ENTRIES_MAGIC = 'HITLOGE1\n';
/** First bytes of the tree file. */
export const TREE_MAGIC = 'HITLOGT1\n';
/** File names inside the log directory. */
export const LOG_FILES = {
  entries: 'entries.bin',
  tree: 'tree.bin',
  checkpoint: 'checkpoint',
  checkpointTemp: 'checkpoint.tmp',
} as const;

/** Options of {@link openFileLogStorage}. */
export interface FileLogStorageOptions {
  /** The log's directory (created when missing). One process at a time may write it. */
  readonly dir: string;
  /** The most entries the storage accepts (default 1 048 576; all are held in memory). */
  readonly maxEntries?: number;
}

/** A {@link LogStorage} in append-only files (see {@link openFileLogStorage}). */
export interface FileLogStorage extends LogStorage {
  /** The absolute path of the directory. */
  readonly dir: string;
  /** Bytes of partial records cut off the entries and tree files when opening (0 when none). */
  readonly repairedBytes: number;
  /** Writes pending tree nodes and closes the files. Idempotent; later writes reject. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function ioError(path: string, action: string, cause: unknown): HealthItError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new HealthItError('store/unavailable', `Could not ${action} log file ${path}: ${message}`, {
    cause,
    detail: { path },
  });
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'EACCES') {
      throw error;
    }
  } finally {
    await handle?.close();
  }
}

async function readOrEmpty(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return new Uint8Array(0);
    throw ioError(path, 'read', error);
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

/** Opens `path` for appending; when it is empty or only a partial header (a crash while creating), writes the header. */
async function openAppendFile(path: string, bytes: Uint8Array, magic: Uint8Array): Promise<FileHandle> {
  const fresh =
    bytes.length < magic.length && magic.subarray(0, bytes.length).every((b, i) => bytes[i] === b);
  if (!fresh && !startsWith(bytes, magic)) {
    throw new LedgerIntegrityError('ledger/integrity', `${path} is not a transparency log file`, {
      reason: 'malformed',
      index: -1,
      expected: JSON.stringify(new TextDecoder().decode(magic)),
      actual: JSON.stringify(new TextDecoder().decode(bytes.subarray(0, magic.length))),
    });
  }
  if (fresh && bytes.length > 0) await truncate(path, 0);
  const handle = await open(path, 'a');
  if (fresh) {
    await handle.write(magic);
    await handle.sync();
  }
  return handle;
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** Entry records: u32 big-endian length ‖ canonical entry bytes. Returns the entries and the end of the last complete record. */
function scanEntries(bytes: Uint8Array, path: string): { entries: Uint8Array[]; end: number } {
  const entries: Uint8Array[] = [];
  let at = ENTRIES_MAGIC.length;
  while (at + 4 <= bytes.length) {
    const length = u32(bytes, at);
    if (length === 0 || length > MAX_ENTRY_BYTES) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `${path}: entry ${entries.length} has an impossible length ${length}: the file is damaged`,
        {
          reason: 'malformed',
          index: entries.length,
          expected: `1..${MAX_ENTRY_BYTES}`,
          actual: String(length),
        },
      );
    }
    if (at + 4 + length > bytes.length) break; // torn tail
    entries.push(bytes.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { entries, end: at };
}

/** Node count one leaf append at `index` completes: 1 + the trailing one bits of `index`. */
function nodesAt(index: number): number {
  let k = 1;
  for (let i = index; i % 2 === 1; i = (i - 1) / 2) k++;
  return k;
}

/** Tree records: the node hashes one leaf append completes, `nodesAt(leaf)` × 32 bytes. */
function scanTree(bytes: Uint8Array, tree: TreeStorage, maxLeaves: number): number {
  let at = TREE_MAGIC.length;
  for (let leaf = 0; leaf < maxLeaves; leaf++) {
    const length = nodesAt(leaf) * HASH_LENGTH;
    if (at + length > bytes.length) break; // torn tail
    const hashes: Uint8Array[] = [];
    for (let o = at; o < at + length; o += HASH_LENGTH) hashes.push(bytes.slice(o, o + HASH_LENGTH));
    tree.append(hashes);
    at += length;
  }
  return at;
}

/**
 * Opens (or creates) a transparency log's files in `dir` (Node only): `entries.bin` (append-only
 * length-prefixed canonical entries), `tree.bin` (append-only node hashes, one record per leaf) and
 * `checkpoint` (the latest checkpoint note, replaced atomically: written to `checkpoint.tmp`,
 * fsynced, renamed, directory fsynced).
 *
 * Write order: new entries are written and fsynced before `appendEntries` resolves; tree nodes are
 * buffered and written (fsynced) before the next entries and before every checkpoint; the
 * checkpoint last. A crash at any point leaves prefixes of the two append-only files and a whole
 * checkpoint that they cover: on open, partial records at the end are cut off (they were never
 * acknowledged), and the log re-hashes entries the tree file does not hold yet. An acknowledged
 * index is never reused. Everything is loaded into memory at open.
 *
 * @throws {LedgerIntegrityError} `malformed` for a file that is not a log file or an entry record
 *   of impossible length; {HealthItError} `store/unavailable` when a file cannot be read or written.
 * @example
 * ```ts
 * import { openFileLogStorage } from '@healthit/ledger/tlog/file';
 * const storage = await openFileLogStorage({ dir: '/var/lib/healthit/ledger' });
 * const log = createTransparencyLog({ ...options, storage });
 * ```
 */
export async function openFileLogStorage(options: FileLogStorageOptions): Promise<FileLogStorage> {
  const dir = resolve(options.dir);
  const maxEntries = options.maxEntries ?? 1_048_576;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive safe integer, got ${maxEntries}`);
  }
  const paths = {
    entries: join(dir, LOG_FILES.entries),
    tree: join(dir, LOG_FILES.tree),
    checkpoint: join(dir, LOG_FILES.checkpoint),
    checkpointTemp: join(dir, LOG_FILES.checkpointTemp),
  };
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError(dir, 'create', error);
  }
  const entryBytes = await readOrEmpty(paths.entries);
  const treeBytes = await readOrEmpty(paths.tree);
  const checkpointBytes = await readOrEmpty(paths.checkpoint);

  const entriesMagic = encoder.encode(ENTRIES_MAGIC);
  const treeMagic = encoder.encode(TREE_MAGIC);
  const memoryTree = createMemoryTreeStorage({ maxLeaves: maxEntries });
  let entries: Uint8Array[] = [];
  let repairedBytes = 0;
  // Partial records at the end are cut off only before the first write, never at open: a log that
  // refuses this storage (a damaged length prefix looks like a torn tail) leaves the files intact.
  const cuts: { path: string; at: number }[] = [];
  if (startsWith(entryBytes, entriesMagic)) {
    const scanned = scanEntries(entryBytes, paths.entries);
    entries = scanned.entries;
    if (scanned.end < entryBytes.length) {
      repairedBytes += entryBytes.length - scanned.end;
      cuts.push({ path: paths.entries, at: scanned.end });
    }
  }
  if (startsWith(treeBytes, treeMagic)) {
    const end = scanTree(treeBytes, memoryTree, maxEntries);
    if (end < treeBytes.length) {
      repairedBytes += treeBytes.length - end;
      cuts.push({ path: paths.tree, at: end });
    }
  }
  let entriesFile: FileHandle;
  let treeFile: FileHandle;
  try {
    entriesFile = await openAppendFile(paths.entries, entryBytes, entriesMagic);
    treeFile = await openAppendFile(paths.tree, treeBytes, treeMagic);
    await syncDirectory(dir);
  } catch (error) {
    if (error instanceof LedgerIntegrityError) throw error;
    throw ioError(dir, 'open', error);
  }
  let checkpoint = checkpointBytes.length > 0 ? new TextDecoder().decode(checkpointBytes) : undefined;
  const pendingTree: Uint8Array[] = [];
  const queue = createSerialQueue();
  let closed = false;

  const tree: TreeStorage = {
    count: (level) => memoryTree.count(level),
    get: (level, index) => memoryTree.get(level, index),
    append(hashes) {
      memoryTree.append(hashes);
      const record = new Uint8Array(hashes.length * HASH_LENGTH);
      hashes.forEach((h, i) => {
        record.set(h, i * HASH_LENGTH);
      });
      pendingTree.push(record);
    },
  };

  function checkOpen(): void {
    if (closed) throw new HealthItError('store/closed', `The log storage in ${dir} is closed`);
  }

  /** Cuts the torn tails found at open, once, before the first write (appends go to the end). */
  async function repair(): Promise<void> {
    for (const { path, at } of cuts.splice(0)) {
      try {
        await truncate(path, at);
      } catch (error) {
        throw ioError(path, 'repair', error);
      }
    }
  }

  async function writeAll(handle: FileHandle, path: string, chunks: readonly Uint8Array[]): Promise<void> {
    if (chunks.length === 0) return;
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    try {
      for (let offset = 0; offset < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
        offset += bytesWritten;
      }
      await handle.sync();
    } catch (error) {
      throw ioError(path, 'write', error);
    }
  }

  async function flushTree(): Promise<void> {
    const records = pendingTree.splice(0);
    await writeAll(treeFile, paths.tree, records);
  }

  return {
    dir,
    repairedBytes,
    tree,
    entryCount: () => entries.length,
    entry: (index) => entries[index],
    appendEntries(first, batch) {
      return queue.run(async () => {
        checkOpen();
        if (first !== entries.length) {
          throw new RangeError(
            `appendEntries: first must be ${entries.length} (the entry count), got ${first}`,
          );
        }
        if (entries.length + batch.length > maxEntries) {
          throw new RangeError(`The log storage is full (maxEntries ${maxEntries}): nothing was appended`);
        }
        const records = batch.map((bytes) => {
          if (bytes.length === 0 || bytes.length > MAX_ENTRY_BYTES) {
            throw new RangeError(`entries must be 1..${MAX_ENTRY_BYTES} bytes, got ${bytes.length}`);
          }
          const record = new Uint8Array(4 + bytes.length);
          new DataView(record.buffer).setUint32(0, bytes.length);
          record.set(bytes, 4);
          return record;
        });
        await repair();
        await flushTree();
        await writeAll(entriesFile, paths.entries, records);
        for (const bytes of batch) entries.push(Uint8Array.from(bytes));
      });
    },
    latestCheckpoint: () => checkpoint,
    writeCheckpoint(note) {
      return queue.run(async () => {
        checkOpen();
        await repair();
        await flushTree();
        let temp: FileHandle | undefined;
        try {
          temp = await open(paths.checkpointTemp, 'w');
          await temp.write(encoder.encode(note));
          await temp.sync();
          await temp.close();
          temp = undefined;
          await rename(paths.checkpointTemp, paths.checkpoint);
          await syncDirectory(dir);
        } catch (error) {
          await temp?.close();
          throw ioError(paths.checkpoint, 'write', error);
        }
        checkpoint = note;
      });
    },
    close() {
      return queue.run(async () => {
        if (closed) return;
        closed = true;
        try {
          if (pendingTree.length > 0) await repair();
          await flushTree();
        } finally {
          await entriesFile.close();
          await treeFile.close();
        }
      });
    },
  };
}
