import type { Reading } from '@healthit/core';
import { createHashChainLedger, generateLedgerKey, readingBatchRecord, verifyChain } from '@healthit/ledger';
import { bestRate, type Figure } from './measure.js';

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
  const append = await bestRate(3, ENTRIES, async () => {
    for (let i = 0; i < ENTRIES; i++) await ledger.append([record]);
  });
  const entries = await ledger.entries();
  const verify = await bestRate(3, entries.length, () => {
    verifyChain(entries, ledger.publicKey);
  });
  const anchor = await bestRate(3, 100 * 200, () => {
    for (let i = 0; i < 200; i++) readingBatchRecord(readings);
  });
  await ledger.close();
  return [
    { name: 'ledger append (one signed entry per call)', value: append, unit: 'entries/s' },
    { name: `ledger verifyChain (${entries.length} entries)`, value: verify, unit: 'entries/s' },
    { name: 'reading-batch anchor digest (batches of 100)', value: anchor, unit: 'readings/s' },
  ];
}
