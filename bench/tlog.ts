import { createPrivateKey, hash, sign } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { type Reading, readingId } from '@healthit/core';
import {
  createEd25519NoteSigner,
  ed25519VerifyStrict,
  entries,
  generateLedgerKey,
  tlog,
} from '@healthit/ledger';
import { createWorkerSignatureVerifier } from '@healthit/ledger/workers';
import { against, type Figure, medianRate, printFigures } from './measure.js';

const ORIGIN = 'ledger.example.org/cold-chain';
const ENTRIES = 20_000;
const STREAMS = 100;
/** DER prefix of a PKCS #8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/**
 * `count` one-signature `config.change` entries over `STREAMS` streams, each stream chained. Signed
 * with node:crypto (the bench's setup, not what is measured; `signEntry` signs with @noble).
 */
function signedEntries(
  count: number,
  key: { publicKey: Uint8Array; secretKey: Uint8Array },
): entries.Entry[] {
  const keyId = entries.keyIdOf(key.publicKey);
  const pkcs8 = new Uint8Array([...PKCS8_ED25519_PREFIX, ...key.secretKey]);
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const prev = new Map<string, string>();
  const out: entries.Entry[] = [];
  for (let i = 0; i < count; i++) {
    const stream = `device:logger-${i % STREAMS}`;
    const seq = Math.floor(i / STREAMS);
    const unsigned = {
      origin: ORIGIN,
      kind: 'config.change' as const,
      stream,
      seq,
      prev: prev.get(stream) ?? entries.ZERO_HASH,
      ts: 1_767_225_600_000 + i,
      body: {
        target: `logger-${i % STREAMS}`,
        version: seq,
        digest: 'c'.repeat(64),
        reason: 'sample every 60 s',
      },
    };
    const sig = sign(null, entries.entrySigningMessage(unsigned), privateKey).toString('hex');
    const entry = entries.parseEntry({ ...unsigned, signatures: [{ keyId, sig }] });
    prev.set(stream, entries.entryHash(entry));
    out.push(entry);
  }
  return out;
}

/** Appends every input to a fresh in-memory log and waits for the last write. */
async function appendAll(
  inputs: readonly (entries.Entry | Uint8Array)[],
  keys: entries.KeyLookup,
  signatureVerifier?: tlog.ParallelSignatureVerifier,
): Promise<void> {
  const log = tlog.createTransparencyLog({
    ...(signatureVerifier === undefined ? {} : { signatureVerifier }),
    origin: ORIGIN,
    signer: createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) }),
    keys,
    batch: { maxEntries: 256, maxWaitMs: 5, maxQueued: 1024 },
    checkpointEveryMs: 60_000,
  });
  // a steady producer: at most 1 024 appends outstanding (batch.maxQueued), topped up as the
  // oldest 256 settle
  const pending: Promise<unknown>[] = [];
  for (const input of inputs) {
    pending.push(log.append(input));
    if (pending.length === 1024) await Promise.all(pending.splice(0, 256));
  }
  await Promise.all(pending);
  await log.close();
}

/** `n` valid readings of one device (pulse oximetry), as a gateway batches them. */
function makeReadings(n: number, withPatient: boolean): Reading[] {
  return Array.from({ length: n }, (_, seq) => ({
    id: readingId('oxi-7', seq),
    deviceId: 'oxi-7',
    ...(withPatient ? { patientId: 'patient-42' } : {}),
    metric: 'spo2',
    value: 90 + (seq % 10),
    unit: '%',
    ts: 1_767_225_600_000 + seq * 1000,
    seq,
    quality: 'good',
  })) as Reading[];
}

/**
 * Transparency log (`@healthit/ledger` tlog and entries modules): reading-batch anchoring and
 * signed-entry append with verification, each beside its ceiling measured in the same run.
 */
export async function benchTlog(): Promise<Figure[]> {
  return [...(await benchReadingBatches()), ...(await benchTlogAppend())];
}

/**
 * Signed-entry append with verification into an in-memory transparency log, 20 000 one-signature
 * `config.change` entries over 100 streams, beside its ceiling: strict native Ed25519
 * verification alone.
 */
export async function benchTlogAppend(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const key = generateLedgerKey();
  const keys = new Map([[entries.keyIdOf(key.publicKey), key.publicKey]]);
  const signed = signedEntries(ENTRIES, key);
  const bytes = signed.map((e) => entries.encodeEntry(e));

  const messages = signed.map((e) => entries.entrySigningMessage(e));
  const sigs = signed.map((e) =>
    Uint8Array.from(Buffer.from((e.signatures[0] as { sig: string }).sig, 'hex')),
  );
  const verify = await medianRate(3, 5000, () => {
    for (let i = 0; i < 5000; i++) {
      if (!ed25519VerifyStrict(sigs[i] as Uint8Array, messages[i] as Uint8Array, key.publicKey))
        throw new Error('bench: signature failed');
    }
  });
  const verifyName = 'strict native Ed25519 verify of the same entries, one thread';
  const asObjects = await medianRate(3, ENTRIES, () => appendAll(signed, keys));
  const asBytes = await medianRate(3, ENTRIES, () => appendAll(bytes, keys));
  // signatures checked by worker threads: the default pool (one per core but one) and one per core
  const parallel: { threads: number; rate: number }[] = [];
  for (const threads of new Set([Math.max(1, availableParallelism() - 1), availableParallelism()])) {
    const verifier = createWorkerSignatureVerifier({ threads });
    parallel.push({ threads, rate: await medianRate(3, ENTRIES, () => appendAll(bytes, keys, verifier)) });
    await verifier.close();
  }
  figures.push(
    {
      name: 'tlog append, entries as objects (memory, batches of 256)',
      value: asObjects,
      unit: 'entries/s',
      ...against(asObjects, 'entries/s', verifyName, verify),
    },
    {
      name: 'tlog append, entries as canonical bytes',
      value: asBytes,
      unit: 'entries/s',
      ...against(asBytes, 'entries/s', verifyName, verify),
    },
    ...parallel.map(({ threads, rate }) => ({
      name: `tlog append, canonical bytes, signatures checked by ${threads} worker thread(s)`,
      value: rate,
      unit: 'entries/s',
      note: `${availableParallelism()} cores`,
      ...against(rate, 'entries/s', verifyName, verify),
    })),
  );
  return figures;
}

/**
 * Reading-batch anchoring (readings → `reading.batch` body and Merkle root) beside the raw Merkle
 * hashing of the same leaves.
 */
export async function benchReadingBatches(): Promise<Figure[]> {
  const figures: Figure[] = [];

  const leafKey = entries.generateLeafKey();
  for (const [n, withPatient, salted] of [
    [1_000, false, false],
    [1_000, true, false],
    [1_000, true, true],
    [100_000, false, false],
  ] as const) {
    const readings = makeReadings(n, withPatient);
    const patient = withPatient ? entries.saltedCommitment('patient-42') : undefined;
    const leaves = readings.map((r) => entries.readingLeaf(r));
    const rounds = Math.max(1, Math.floor(100_000 / n));
    // the ceiling of bench/merkle.ts, on these leaves: one leaf and (about) one node crypto.hash
    // per reading, each digest a new Buffer, nothing else
    const raw = await medianRate(5, n * rounds, () => {
      const node = new Uint8Array(65);
      for (let i = 0; i < rounds; i++) {
        for (const leaf of leaves) {
          const buf = new Uint8Array(leaf.length + 1);
          buf.set(leaf, 1);
          node.set(hash('sha256', buf, 'buffer'), 1);
          hash('sha256', node, 'buffer');
        }
      }
    });
    const anchor = await medianRate(5, n * rounds, () => {
      for (let i = 0; i < rounds; i++)
        entries.readingBatchBody(readings, {
          ...(patient === undefined ? {} : { patient }),
          ...(salted ? { leafKey } : {}),
        });
    });
    const label = `${n.toLocaleString('en-US')} readings (${leaves[0]?.length} B leaves${withPatient ? ', patient' : ''}${salted ? ', salted leaves' : ''})`;
    figures.push({
      name: `readingBatchBody (validate, sort, leaves, root), ${label}`,
      value: anchor,
      unit: 'readings/s',
      ...against(anchor, 'readings/s', 'raw crypto.hash of one leaf and one node per reading', raw),
    });
  }
  return figures;
}

// `node --conditions=@healthit/source --import tsx bench/tlog.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Ledger transparency log', await benchTlog());
}
