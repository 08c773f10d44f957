import { constants } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { HealthItError, parse, utf8Encode } from '@healthit/core';
import { z } from 'zod';
import { LedgerEntry } from '../entry.js';
import { LedgerIntegrityError } from '../errors.js';
import { toHex } from '../hex.js';
import { logIdOf, type PublicKeyInput, toPublicKeyBytes } from '../key.js';
import { createSerialQueue } from '../serial-queue.js';
import { clampRange, type LedgerStorage } from '../storage.js';
import { type ChainVerification, createChainVerifier } from '../verify.js';
import { decodeLine, encodeLine, LEDGER_FILE_FORMAT, LedgerFileHeader } from './format.js';

const LF = 0x0a;
const READ_CHUNK_BYTES = 1 << 20;

/** Options of {@link openFileLedgerStorage}. */
export interface FileLedgerStorageOptions {
  /** The file (created, with its directory, when missing). One process at a time may write it. */
  readonly path: string;
  /**
   * The log's Ed25519 public key (bytes or hex), obtained from a trusted source, not from the file:
   * the file's header must name it and every entry must verify under it.
   */
  readonly publicKey: PublicKeyInput;
  /**
   * What to do when the file ends in a partial line (an append interrupted by a crash, never
   * acknowledged): `false` (default) refuses to open with `LedgerIntegrityError` reason
   * `torn-tail`; `true` cuts the partial line off and opens.
   */
  readonly repairTornTail?: boolean;
}

/** A {@link LedgerStorage} in an append-only JSON-lines file. */
export interface FileLedgerStorage extends LedgerStorage {
  /** The absolute path of the file. */
  readonly path: string;
  /** The id of the log the file holds (from its verified header). */
  readonly logId: string;
  /** What the verification on open found: the stored length and head. */
  readonly verifiedAtOpen: ChainVerification;
  /** Bytes cut off a torn tail when opening with `repairTornTail` (0 when none). */
  readonly repairedBytes: number;
}

const Entries = z.array(LedgerEntry);

function ioError(path: string, action: string, cause: unknown): HealthItError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new HealthItError('store/unavailable', `Could not ${action} ledger file ${path}: ${message}`, {
    cause,
    detail: { path, code: (cause as { code?: unknown } | null)?.code ?? null },
  });
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) and file systems cannot fsync a directory; the file itself is synced.
    const code = (error as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'EACCES') {
      throw error;
    }
  } finally {
    await handle?.close();
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    offset += bytesWritten;
  }
}

interface Scan {
  /** Byte offset of each entry line. */
  readonly starts: number[];
  /** Byte length of the complete lines (where the next append goes). */
  readonly end: number;
  readonly verification: ChainVerification;
  readonly tornBytes: number;
}

/**
 * Reads the whole file line by line (in 1 MiB chunks), checks the header and verifies every entry.
 */
async function scan(handle: FileHandle, size: number, path: string, publicKey: Uint8Array): Promise<Scan> {
  const verifier = createChainVerifier(publicKey);
  const logId = verifier.logId;
  const publicKeyHex = toHex(publicKey);
  const starts: number[] = [];
  let pending: Uint8Array = new Uint8Array(0);
  let pendingStart = 0;
  let line = 0;
  let position = 0;

  const onLine = (bytes: Uint8Array, start: number): void => {
    line += 1;
    const where = `${path} line ${line}`;
    if (line === 1) {
      const header = LedgerFileHeader.safeParse(decodeLine(bytes, where, -1));
      if (!header.success) {
        throw new LedgerIntegrityError('ledger/integrity', `${where} is not a ${LEDGER_FILE_FORMAT} header`, {
          reason: 'malformed',
          index: -1,
          expected: `a ${LEDGER_FILE_FORMAT} v1 header`,
          actual: header.error.message,
          cause: header.error,
        });
      }
      const { publicKey: named, logId: namedLogId } = header.data;
      if (named !== publicKeyHex || namedLogId !== logId) {
        throw new LedgerIntegrityError(
          'ledger/signature',
          `${path} names log ${namedLogId} (public key ${named}) but the trusted public key is log ${logId}: ` +
            'the file was replaced or its key swapped, or you passed the wrong key',
          { reason: 'log-id', index: -1, expected: publicKeyHex, actual: named },
        );
      }
      return;
    }
    const index = starts.length;
    try {
      verifier.push(decodeLine(bytes, where, index));
    } catch (error) {
      if (!(error instanceof LedgerIntegrityError)) throw error;
      throw new LedgerIntegrityError(error.code as 'ledger/integrity', `${where}: ${error.message}`, {
        reason: error.reason,
        index: error.index,
        expected: error.expected,
        actual: error.actual,
        cause: error.cause,
      });
    }
    starts.push(start);
  };

  const buffer = new Uint8Array(Math.min(READ_CHUNK_BYTES, Math.max(size, 1)));
  while (position < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    let from = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, from)) {
      const piece = chunk.subarray(from, lf);
      const bytes = pending.length === 0 ? piece : concat(pending, piece);
      onLine(bytes, pending.length === 0 ? position + from : pendingStart);
      pending = new Uint8Array(0);
      from = lf + 1;
    }
    if (from < chunk.length) {
      if (pending.length === 0) pendingStart = position + from;
      pending = concat(pending, chunk.subarray(from));
    }
    position += bytesRead;
  }
  const end = pending.length === 0 ? position : pendingStart;
  return { starts, end, verification: verifier.result(), tornBytes: pending.length };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Opens (or creates) an append-only ledger file and verifies it: the header must name the trusted
 * `publicKey`, and every entry must verify under it (see `verifyChain`), so a ledger never extends
 * a file that was tampered with while it was closed.
 *
 * The file is JSON lines: a header `{"format":"healthit-ledger-jsonl","logId":…,"publicKey":…,"v":1}`,
 * then one entry per line, each line the RFC 8785 canonical JSON of the entry. `append` writes a
 * batch with one write and resolves after `fsync`.
 *
 * @throws {LedgerIntegrityError} when the header names another key (`ledger/signature`, reason
 *   `log-id`), a line is malformed or an entry fails verification, or the file ends in a partial
 *   line and `repairTornTail` is false.
 * @throws {HealthItError} `store/unavailable` when the file cannot be opened, read or created.
 * @throws {TypeError} / {RangeError} for a malformed public key.
 * @example
 * ```ts
 * const storage = await openFileLedgerStorage({ path: 'var/ledger.jsonl', publicKey: key.publicKey });
 * const ledger = createHashChainLedger({ key, storage, verifyOnOpen: 'head' });
 * ```
 */
export async function openFileLedgerStorage(options: FileLedgerStorageOptions): Promise<FileLedgerStorage> {
  const publicKey = toPublicKeyBytes(options.publicKey);
  const logId = logIdOf(publicKey);
  if (typeof options.path !== 'string' || options.path === '') {
    throw new TypeError('path must be a non-empty string');
  }
  const path = resolve(options.path);
  const repairTornTail = options.repairTornTail ?? false;

  let handle: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true });
    handle = await open(path, 'a+');
  } catch (error) {
    throw ioError(path, 'open', error);
  }

  let scanned: Scan;
  try {
    let { size } = await handle.stat();
    scanned = await scan(handle, size, path, publicKey);
    if (scanned.tornBytes > 0) {
      if (!repairTornTail) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `${path} ends in a partial line of ${scanned.tornBytes} bytes (an append interrupted by a crash, or a ` +
            'truncated file); it holds no acknowledged entry. Open with repairTornTail: true to cut it off',
          {
            reason: 'torn-tail',
            index: scanned.starts.length,
            expected: 'a file ending in a line feed',
            actual: `${scanned.tornBytes} bytes without a line feed`,
          },
        );
      }
      await handle.truncate(scanned.end);
      await handle.sync();
      size = scanned.end;
    }
    if (size === 0) {
      const header: LedgerFileHeader = {
        format: LEDGER_FILE_FORMAT,
        v: 1,
        logId,
        publicKey: toHex(publicKey),
      };
      await writeAll(handle, utf8Encode(encodeLine(header)));
      await handle.sync();
      await syncDirectory(dirname(path));
      scanned = await scan(handle, (await handle.stat()).size, path, publicKey);
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof HealthItError) throw error;
    throw ioError(path, 'read', error);
  }

  const fh = handle;
  const starts = scanned.starts;
  let end = scanned.end;
  let closed = false;
  /** Set when a failed append could not be rolled back: the file must be reopened (and re-verified). */
  let broken: unknown;
  const queue = createSerialQueue();

  function assertUsable(): void {
    if (closed) throw new HealthItError('store/closed', `The ledger file ${path} has been closed`);
    if (broken !== undefined) {
      throw new HealthItError(
        'state/invalid',
        `A failed append to ${path} could not be rolled back; reopen the file to verify and continue`,
        { cause: broken },
      );
    }
  }

  async function readLines(from: number, to: number): Promise<LedgerEntry[]> {
    const startByte = starts[from] as number;
    const endByte = to < starts.length ? (starts[to] as number) : end;
    const bytes = new Uint8Array(endByte - startByte);
    for (let offset = 0; offset < bytes.length; ) {
      const { bytesRead } = await fh.read(bytes, offset, bytes.length - offset, startByte + offset);
      if (bytesRead === 0) {
        throw new LedgerIntegrityError('ledger/integrity', `${path} is shorter than when it was opened`, {
          reason: 'truncated',
          index: from,
          expected: `${endByte} bytes`,
          actual: `${startByte + offset} bytes`,
        });
      }
      offset += bytesRead;
    }
    const out: unknown[] = [];
    let lineStart = 0;
    for (let i = from; i < to; i++) {
      const lf = bytes.indexOf(LF, lineStart);
      const lineEnd = lf === -1 ? bytes.length : lf;
      out.push(decodeLine(bytes.subarray(lineStart, lineEnd), `${path} entry ${i}`, i));
      lineStart = lineEnd + 1;
    }
    const parsed = Entries.safeParse(out);
    if (!parsed.success) {
      throw new LedgerIntegrityError('ledger/integrity', `${path} was changed since it was opened`, {
        reason: 'malformed',
        index: from,
        expected: 'well-formed ledger entries',
        actual: parsed.error.message,
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  return {
    path,
    logId,
    verifiedAtOpen: scanned.verification,
    repairedBytes: scanned.tornBytes,

    length: () =>
      queue.run(() => {
        assertUsable();
        return starts.length;
      }),

    read: (from: number, to: number) => {
      clampRange(from, to, 0);
      return queue.run(async () => {
        assertUsable();
        const [start, stop] = clampRange(from, to, starts.length);
        return start < stop ? readLines(start, stop) : [];
      });
    },

    append: (entries: readonly LedgerEntry[]) => {
      return queue.run(async () => {
        assertUsable();
        const batch = parse(Entries, 'LedgerEntry[]', entries, 'append');
        batch.forEach((entry, i) => {
          if (entry.index !== starts.length + i) {
            throw new HealthItError(
              'state/invalid',
              `Cannot append entry with index ${entry.index} at position ${starts.length + i} of ${path}: ` +
                'appended entries must continue the log',
              { detail: { expected: starts.length + i, actual: entry.index } },
            );
          }
        });
        if (batch.length === 0) return;
        const lines = batch.map((e) => utf8Encode(encodeLine(e)));
        const bytes = new Uint8Array(lines.reduce((n, l) => n + l.length, 0));
        lines.reduce((offset, l) => {
          bytes.set(l, offset);
          return offset + l.length;
        }, 0);
        try {
          await writeAll(fh, bytes);
          await fh.sync();
        } catch (error) {
          try {
            await fh.truncate(end);
            await fh.sync();
          } catch (rollback) {
            broken = rollback;
          }
          throw ioError(path, 'append to', error);
        }
        let offset = end;
        for (const line of lines) {
          starts.push(offset);
          offset += line.length;
        }
        end = offset;
      });
    },

    close: () =>
      queue.run(async () => {
        if (closed) return;
        closed = true;
        await fh.close();
      }),
  };
}
