import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMerkleTree, LedgerIntegrityError, LogVerificationError, verifyLog } from '@healthit/ledger';
import { LOG_FILES, openFileLogStorage } from '@healthit/ledger/tlog/file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createColdChainLog, type JourneyResult, runJourney } from '../journey.js';
import { buildVialHistory } from './build.js';
import { verifyVialHistory } from './verify.js';

let dir: string;
let journey: JourneyResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cold-chain-'));
  const storage = await openFileLogStorage({ dir });
  journey = await runJourney({ seed: 42, storage });
  await storage.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Replaces `from` by `to` (same length) in the entries file: an edit of the stored bytes. */
async function editEntriesFile(from: string, to: string): Promise<void> {
  const path = join(dir, LOG_FILES.entries);
  const bytes = await readFile(path);
  const at = bytes.indexOf(from);
  expect(at).toBeGreaterThan(0);
  expect(bytes.indexOf(from, at + 1)).toBe(-1);
  bytes.write(to, at, 'latin1');
  await writeFile(path, bytes);
}

describe('the log in append-only files', () => {
  it('reopens clean, and the files verify', async () => {
    const storage = await openFileLogStorage({ dir });
    const entries = Array.from({ length: storage.entryCount() }, (_, i) => storage.entry(i) as Uint8Array);
    const report = verifyLog({
      policy: journey.consortium.policy,
      entries,
      checkpoint: storage.latestCheckpoint() as string,
      logKey: journey.consortium.logVkey,
    });
    expect(report.size).toBe(journey.log.size);
    await storage.close();
  });

  it('an edited entry file is detected: by the log on reopening, by verifyLog, by the vial-history verifier', async () => {
    // the classic fraud: make the receiving transfer say "no excursion"
    await editEntriesFile('"excursions":1', '"excursions":0');
    const storage = await openFileLogStorage({ dir });
    const clock = { now: () => journey.plan.startTs };
    expect(() => createColdChainLog(journey.consortium, { storage, clock })).toThrow(LedgerIntegrityError);

    const entries = Array.from({ length: storage.entryCount() }, (_, i) => storage.entry(i) as Uint8Array);
    const checkpoint = storage.latestCheckpoint() as string;
    const audit = () =>
      verifyLog({
        policy: journey.consortium.policy,
        entries,
        checkpoint,
        logKey: journey.consortium.logVkey,
      });
    expect(audit).toThrow(LogVerificationError);
    try {
      audit();
    } catch (e) {
      expect(e).toMatchObject({ reason: 'signature' });
    }

    // a history built straight from the edited files (entries + the stored tree) does not verify
    const tree = createMerkleTree({ storage: storage.tree });
    const history = buildVialHistory({
      log: {
        entry: (i) => ({ bytes: storage.entry(i) as Uint8Array }),
        inclusionProof: (i, n) => tree.inclusionProof(i, n),
      },
      checkpoint,
      vial: { gtin: journey.plan.gtin, lot: 'LOT-A2231', serial: '0117' },
      shipment: journey.plan.shipment,
      readingsOf: (i) => journey.batches.get(i),
    });
    const verdict = verifyVialHistory(JSON.parse(JSON.stringify(history)), {
      logKey: journey.consortium.logVkey,
      policy: journey.consortium.policy,
    });
    expect(verdict).toMatchObject({ ok: false, step: 'signatures' });
    await storage.close();
  });
});
