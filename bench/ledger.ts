/**
 * The hash-chained, Ed25519-signed ledger: appends and chain verification beside bare node:crypto
 * (one SHA-256 and one Ed25519 sign or verify per entry over as many bytes), and the reading-batch
 * anchor digest beside raw hashing of the same readings as JSON.
 */
import { generateKeyPairSync, hash, sign, verify } from 'node:crypto';
import type { Reading } from '@healthit/core';
import { createHashChainLedger, generateLedgerKey, readingBatchRecord, verifyChain } from '@healthit/ledger';
import { against, type Figure, medianRate } from './measure.js';

const ENTRIES = 200;

/** Hash-chained, Ed25519-signed ledger: append and verify rates (in-memory storage). */
export async function benchLedger(): Promise<Figure[]> {
  const key = generateLedgerKey();
  const ledger = createHashChainLedger({ key });
  const readings = Array.from({ length: 100 }, (_, i) => ({
    id: `m:${i}`,
    deviceId: 'm',
    metric: 'spo2',
    value: 97,
    unit: '%',
    ts: i,
    seq: i,
  })) as Reading[];
  const record = readingBatchRecord(readings);
  const append = await medianRate(3, ENTRIES, async () => {
    for (let i = 0; i < ENTRIES; i++) await ledger.append([record]);
  });
  const entries = await ledger.entries();
  const verifyRate = await medianRate(3, entries.length, () => {
    verifyChain(entries, ledger.publicKey);
  });
  const anchor = await medianRate(3, 100 * 200, () => {
    for (let i = 0; i < 200; i++) readingBatchRecord(readings);
  });

  // Ceilings on node:crypto: an entry's bytes hashed and signed (or verified), nothing else.
  const ed = generateKeyPairSync('ed25519');
  const entryBytes = Buffer.from(JSON.stringify(entries[0]));
  const signature = sign(null, entryBytes, ed.privateKey);
  const nativeAppend = await medianRate(3, ENTRIES, () => {
    for (let i = 0; i < ENTRIES; i++) sign(null, hash('sha256', entryBytes, 'buffer'), ed.privateKey);
  });
  const nativeVerify = await medianRate(3, entries.length, () => {
    for (let i = 0; i < entries.length; i++) {
      hash('sha256', entryBytes, 'buffer');
      if (!verify(null, entryBytes, ed.publicKey, signature)) throw new Error('bench: bad signature');
    }
  });
  const readingBytes = readings.map((r) => Buffer.from(JSON.stringify(r)));
  const rawDigest = await medianRate(3, 100 * 200, () => {
    for (let i = 0; i < 200; i++) for (const b of readingBytes) hash('sha256', b, 'buffer');
  });
  await ledger.close();
  return [
    {
      name: 'ledger append (one signed entry per call)',
      value: append,
      unit: 'entries/s',
      ...against(
        append,
        'entries/s',
        `node:crypto SHA-256 + Ed25519 sign of ${entryBytes.length} bytes`,
        nativeAppend,
      ),
    },
    {
      name: `ledger verifyChain (${entries.length} entries)`,
      value: verifyRate,
      unit: 'entries/s',
      ...against(verifyRate, 'entries/s', 'node:crypto SHA-256 + Ed25519 verify per entry', nativeVerify),
    },
    {
      name: 'reading-batch anchor digest (batches of 100)',
      value: anchor,
      unit: 'readings/s',
      ...against(anchor, 'readings/s', 'raw crypto.hash of each reading as JSON', rawDigest),
    },
  ];
}
