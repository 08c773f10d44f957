import { HealthItError, type LedgerRecord, type Reading, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import {
  type Entry,
  EntrySignatureError,
  entryHash,
  readingBatchBody,
  StreamOrderError,
  saltedCommitment,
  signEntry,
  verifyCommitment,
  verifyEntrySignatures,
  verifyReadingBatchBody,
  ZERO_HASH,
} from '../entries/index.js';
import { logIdOf } from '../key.js';
import { createEd25519NoteVerifier } from '../note/index.js';
import { createStack, logKey, ORIGIN, readings, submitter } from '../provenance/test-fixtures/stack.js';
import { createMemoryLogStorage, createTransparencyLog, type TransparencyLog } from '../tlog/index.js';
import { anchorReadings, anchorReadingsByDevice } from './anchor.js';
import { PartialAppendError } from './errors.js';
import { createTransparencyLogSink } from './sink.js';

const D = (c: string): string => c.repeat(64);

const SECURITY_EVENT: LedgerRecord = {
  type: 'security-event',
  body: { severity: 'high', category: 'tamper', subject: 'mon-7', description: 'enclosure opened' },
};
const CONFIG_CHANGE: LedgerRecord = {
  type: 'config-change',
  body: { target: 'mon-7', version: 2, digest: D('c'), reason: 'sample every 5 s' },
};

function batchRecord(rs: readonly Reading[]): LedgerRecord {
  const body = readingBatchBody(rs, { patient: saltedCommitment('patient-42', '11'.repeat(32)) });
  return { type: 'reading-batch', body: body as unknown as LedgerRecord['body'] };
}

function entriesOf(log: TransparencyLog): Entry[] {
  return Array.from({ length: log.size }, (_, i) => log.entry(i).entry);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('createTransparencyLogSink: records → entries', () => {
  it('a reading-batch record becomes a reading.batch entry on the device stream, chained by seq/prev', async () => {
    const { log, sink, logSigner } = createStack();
    const first = await sink.append([batchRecord(readings(3)), batchRecord(readings(2, { from: 4 }))]);
    const [second] = await sink.append([batchRecord(readings(4, { from: 6 }))]);
    const [e0, e1, e2] = entriesOf(log) as [Entry, Entry, Entry];
    expect([e0.kind, e0.stream, e0.seq, e0.prev, e0.origin]).toEqual([
      'reading.batch',
      'device:mon-7',
      0,
      ZERO_HASH,
      ORIGIN,
    ]);
    expect([e1.seq, e1.prev]).toEqual([1, entryHash(e0)]);
    expect([e2.seq, e2.prev]).toEqual([2, entryHash(e1)]);
    expect(verifyReadingBatchBody(readings(4, { from: 6 }), e2.body)).toBe(true);
    // receipts: the v1 log id rule (hex SHA-256 of the log key) and the RFC 9162 leaf hash
    const logId = logIdOf(logSigner.publicKey);
    expect(first).toEqual([
      { logId, index: 0, entryHash: entryHash(e0) },
      { logId, index: 1, entryHash: entryHash(e1) },
    ]);
    expect(second).toEqual({ logId, index: 2, entryHash: entryHash(e2) });
    expect(sink.logId).toBe(logId);
    await log.close();
  });

  it('audit records map to their kinds: device and shipment streams, the others on the audit stream', async () => {
    const { log, sink } = createStack();
    const custody: LedgerRecord = {
      type: 'custody.transfer',
      body: {
        from: 'acme',
        to: 'freight',
        shipment: 'SHP-1',
        conditions: { excursions: 0, sealIntact: true },
      },
    };
    const onboarded: LedgerRecord = {
      type: 'device-onboarded',
      body: { device: 'mon-9', owner: 'ward-3', model: 'M-100' },
    };
    await sink.append([SECURITY_EVENT, CONFIG_CHANGE, custody, onboarded]);
    const got = entriesOf(log).map((e) => [e.kind, e.stream, e.seq]);
    expect(got).toEqual([
      ['security.event', 'device:gateway-7.key', 0],
      ['config.change', 'device:gateway-7.key', 1],
      ['custody.transfer', 'shipment:SHP-1', 0],
      ['device.onboarded', 'device:mon-9', 0],
    ]);
    await log.close();
  });

  it('streamOf and auditStream choose streams', async () => {
    const { log, gateway, logVkey } = createStack();
    const sink = createTransparencyLogSink({
      log,
      logKey: logVkey,
      signers: [gateway],
      auditStream: 'lot:platform-audit',
      streamOf: (kind, body) =>
        kind === 'config.change' ? `device:${(body as { target: string }).target}` : undefined,
    });
    await sink.append([SECURITY_EVENT, CONFIG_CHANGE]);
    expect(entriesOf(log).map((e) => e.stream)).toEqual(['lot:platform-audit', 'device:mon-7']);
    await expect(
      createTransparencyLogSink({ log, logKey: logVkey, signers: [gateway], streamOf: () => 'nope' }).append([
        SECURITY_EVENT,
      ]),
    ).rejects.toBeInstanceOf(ValidationError);
    await log.close();
  });

  it('an unknown record type is a ValidationError and nothing of the call is appended', async () => {
    const { log, sink } = createStack();
    const error = await rejection(sink.append([SECURITY_EVENT, { type: 'custody-event', body: {} }]));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toBe('1.type');
    expect(log.size).toBe(0);
    // the stream did not advance: the next entry is still seq 0
    await sink.append([SECURITY_EVENT]);
    expect(log.entry(0).entry.seq).toBe(0);
    await log.close();
  });

  it('a body that does not match its kind is a ValidationError naming the field', async () => {
    const { log, sink } = createStack();
    const error = await rejection(
      sink.append([
        { type: 'config-change', body: { target: 'mon-7', version: -1, digest: 'x', reason: '' } },
      ]),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['0.body.version', '0.body.digest']),
    );
    expect(log.size).toBe(0);
    await expect(sink.append([{ type: 'reading-batch', body: { device: 'mon-7' } }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(sink.append([{ body: {} } as unknown as LedgerRecord])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await log.close();
  });

  it('an empty call appends nothing and resolves with no receipts', async () => {
    const { log, sink } = createStack();
    expect(await sink.append([])).toEqual([]);
    expect(log.size).toBe(0);
    await log.close();
  });

  it('signs with every signer given', async () => {
    const a = submitter(7);
    const b = submitter(8, 'ward-3.platform');
    const { signer } = logKey(40);
    const log = createTransparencyLog({
      origin: ORIGIN,
      signer,
      keys: new Map([
        [a.keyId, a.publicKey],
        [b.keyId, b.publicKey],
      ]),
      signatures: { requiredKeyIds: [a.keyId, b.keyId] },
      batch: { maxEntries: 8, maxWaitMs: 0 },
      checkpointEveryMs: 0,
    });
    const sink = createTransparencyLogSink({ log, logKey: signer, signers: [a, b] });
    await sink.append([SECURITY_EVENT]);
    const entry = log.entry(0).entry;
    expect(entry.signatures.map((s) => s.keyId)).toEqual([a.keyId, b.keyId]);
    expect(
      verifyEntrySignatures(
        entry,
        new Map([
          [a.keyId, a.publicKey],
          [b.keyId, b.publicKey],
        ]),
      ).ok,
    ).toBe(true);
    await log.close();
  });

  it('receipt(index) names any entry of the log; undefined past the end; RangeError for a bad index', async () => {
    const { log, sink } = createStack();
    const receipts = await sink.append([SECURITY_EVENT, CONFIG_CHANGE]);
    expect(await sink.receipt(1)).toEqual(receipts[1]);
    expect(await sink.receipt(2)).toBeUndefined();
    await expect(sink.receipt(-1)).rejects.toBeInstanceOf(RangeError);
    await expect(sink.receipt(1.5)).rejects.toBeInstanceOf(RangeError);
    await log.close();
  });

  it('calls made without waiting keep their order and their streams gap-free', async () => {
    const { log, sink } = createStack();
    const calls = Array.from({ length: 10 }, (_, i) =>
      sink.append([batchRecord(readings(2, { from: 1 + 2 * i })), SECURITY_EVENT]),
    );
    const receipts = (await Promise.all(calls)).flat();
    expect(receipts.map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const device = entriesOf(log).filter((e) => e.stream === 'device:mon-7');
    expect(device.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await log.close();
  });
});

describe('createTransparencyLogSink: refusals by the log', () => {
  /** A log that refuses (without sequencing) the appends whose call number is in `refuse`. */
  function refusing(log: TransparencyLog, refuse: Set<number>): TransparencyLog {
    let calls = 0;
    return {
      ...log,
      origin: log.origin,
      get size() {
        return log.size;
      },
      entry: (i) => log.entry(i),
      append(entry) {
        const n = calls++;
        if (refuse.has(n)) {
          return Promise.reject(new HealthItError('buffer/overflow', `queue full (append ${n})`));
        }
        return log.append(entry);
      },
    };
  }

  it('some refused: PartialAppendError with the held receipts; the refused records retry at the right seq', async () => {
    const stack = createStack();
    const log = refusing(stack.log, new Set([1]));
    const sink = createTransparencyLogSink({ log, logKey: stack.logVkey, signers: [stack.gateway] });
    const records = [SECURITY_EVENT, CONFIG_CHANGE, batchRecord(readings(2))];
    const error = await rejection(sink.append(records));
    expect(error).toBeInstanceOf(PartialAppendError);
    const partial = error as PartialAppendError;
    expect(partial.retryable).toBe(true);
    expect(partial.failures.map((f) => f.position)).toEqual([1]);
    expect(partial.receipts.map((r) => r?.index)).toEqual([0, undefined, 1]);
    // retry only the refused record: it takes seq 1 of the audit stream (the refused seq was not used)
    const [retried] = await sink.append([CONFIG_CHANGE]);
    expect(retried?.index).toBe(2);
    expect(entriesOf(stack.log).map((e) => [e.stream, e.seq])).toEqual([
      ['device:gateway-7.key', 0],
      ['device:mon-7', 0],
      ['device:gateway-7.key', 1],
    ]);
    await stack.log.close();
  });

  it('later entries of a stream whose entry was refused are refused too (no gap in the log)', async () => {
    const stack = createStack();
    const log = refusing(stack.log, new Set([0]));
    const sink = createTransparencyLogSink({ log, logKey: stack.logVkey, signers: [stack.gateway] });
    const error = await rejection(sink.append([SECURITY_EVENT, CONFIG_CHANGE, batchRecord(readings(1))]));
    const partial = error as PartialAppendError;
    expect(partial.failures.map((f) => f.position)).toEqual([0, 1]);
    expect(partial.failures[1]?.error).toMatchObject({ name: 'StreamOrderError', reason: 'gap' });
    await sink.append([SECURITY_EVENT]);
    expect(entriesOf(stack.log).map((e) => [e.stream, e.seq])).toEqual([
      ['device:mon-7', 0],
      ['device:gateway-7.key', 0],
    ]);
    await stack.log.close();
  });

  it('all refused: the log error itself, nothing appended, heads unchanged', async () => {
    const stack = createStack();
    const stranger = submitter(9, 'unknown.key');
    const sink = createTransparencyLogSink({ log: stack.log, logKey: stack.logVkey, signers: [stranger] });
    await expect(sink.append([SECURITY_EVENT])).rejects.toBeInstanceOf(EntrySignatureError);
    expect(stack.log.size).toBe(0);
    await stack.log.close();
  });

  it('another writer on the same stream: refused once, then the sink re-reads the head from the log', async () => {
    const stack = createStack();
    const { log, sink, gateway } = stack;
    await sink.append([SECURITY_EVENT]);
    // someone else appends seq 1 of the sink's audit stream
    const prev = log.entry(0).entry;
    const foreign = signEntry(
      {
        origin: ORIGIN,
        kind: 'config.change',
        stream: prev.stream,
        seq: 1,
        prev: entryHash(prev),
        ts: prev.ts,
        body: CONFIG_CHANGE.body as never,
      },
      gateway,
    );
    await log.append(foreign);
    const error = await rejection(sink.append([SECURITY_EVENT]));
    expect(error).toBeInstanceOf(StreamOrderError);
    const [receipt] = await sink.append([SECURITY_EVENT]);
    expect(log.entry(receipt?.index ?? -1).entry.seq).toBe(2);
    await log.close();
  });
});

describe('createTransparencyLogSink: state', () => {
  it('continues the streams of a log reopened over its storage', async () => {
    const storage = createMemoryLogStorage();
    const gateway = submitter(7);
    const { signer, vkey } = logKey(40);
    const open = () =>
      createTransparencyLog({
        origin: ORIGIN,
        signer,
        keys: new Map([[gateway.keyId, gateway.publicKey]]),
        storage,
        batch: { maxEntries: 8, maxWaitMs: 0 },
        checkpointEveryMs: 0,
      });
    const first = open();
    await createTransparencyLogSink({ log: first, logKey: vkey, signers: [gateway] }).append([
      SECURITY_EVENT,
      batchRecord(readings(2)),
    ]);
    await first.close();
    const second = open();
    const sink = createTransparencyLogSink({ log: second, logKey: vkey, signers: [gateway] });
    await sink.append([CONFIG_CHANGE, batchRecord(readings(2, { from: 3 }))]);
    expect(entriesOf(second).map((e) => [e.stream, e.seq])).toEqual([
      ['device:gateway-7.key', 0],
      ['device:mon-7', 0],
      ['device:gateway-7.key', 1],
      ['device:mon-7', 1],
    ]);
    await second.close();
  });

  it('with more streams than maxStreams, an evicted stream is found again in the log', async () => {
    const stack = createStack();
    const sink = createTransparencyLogSink({
      log: stack.log,
      logKey: stack.logVkey,
      signers: [stack.gateway],
      maxStreams: 2,
    });
    for (const device of ['mon-1', 'mon-2', 'mon-3', 'mon-1', 'mon-2']) {
      await sink.append([batchRecord(readings(1, { device }))]);
    }
    expect(entriesOf(stack.log).map((e) => [e.stream, e.seq])).toEqual([
      ['device:mon-1', 0],
      ['device:mon-2', 0],
      ['device:mon-3', 0],
      ['device:mon-1', 1],
      ['device:mon-2', 1],
    ]);
    await stack.log.close();
  });

  it('refuses bad options', () => {
    const { log, gateway, logVkey, witnessVkeys } = createStack();
    expect(() => createTransparencyLogSink({ log, logKey: logVkey, signers: [] })).toThrow(RangeError);
    expect(() => createTransparencyLogSink({ log, logKey: logVkey, signers: [gateway, gateway] })).toThrow(
      RangeError,
    );
    expect(() =>
      createTransparencyLogSink({ log, logKey: logVkey, signers: [gateway], auditStream: 'audit' }),
    ).toThrow(RangeError);
    expect(() =>
      createTransparencyLogSink({ log, logKey: logVkey, signers: [gateway], maxStreams: 0 }),
    ).toThrow(RangeError);
    expect(() => createTransparencyLogSink({ log, logKey: 'not+a+key', signers: [gateway] })).toThrow();
    // a witness key names another log id than the log key
    const byWitness = createTransparencyLogSink({
      log,
      logKey: witnessVkeys[0] as string,
      signers: [gateway],
    });
    expect(byWitness.logId).not.toBe(
      createTransparencyLogSink({ log, logKey: logVkey, signers: [gateway] }).logId,
    );
  });

  it('logId is the same from a vkey string, the raw key and a note verifier', () => {
    const { log, gateway, logVkey, logSigner } = createStack();
    const ids = [logVkey, logSigner.publicKey, createEd25519NoteVerifier(logSigner)].map(
      (logKey) => createTransparencyLogSink({ log, logKey, signers: [gateway] }).logId,
    );
    expect(new Set(ids)).toEqual(new Set([logIdOf(logSigner.publicKey)]));
  });
});

describe('anchorReadings', () => {
  it('anchors a device batch: readings in seq order, the body on the log, the patient id off it', async () => {
    const { log, sink } = createStack();
    const batch = readings(5).reverse();
    const anchored = await anchorReadings(sink, 'mon-7', batch);
    expect(anchored.readings.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    const { entry, bytes } = log.entry(anchored.receipt.index);
    expect(entry.kind).toBe('reading.batch');
    expect(entry.body).toEqual(anchored.body);
    expect(verifyReadingBatchBody(batch, entry.body, anchored.patient?.salt)).toBe(true);
    expect(anchored.patient).toBeDefined();
    expect(
      verifyCommitment('patient-42', anchored.patient?.salt ?? '', anchored.patient?.commitment ?? ''),
    ).toBe(true);
    expect(new TextDecoder().decode(bytes)).not.toContain('patient-42');
    await log.close();
  });

  it('uses the patient commitment given, and none for readings without a patient', async () => {
    const { log, sink } = createStack();
    const patient = saltedCommitment('patient-42', '22'.repeat(32));
    const a = await anchorReadings(sink, 'mon-7', readings(2), { patient });
    expect(a.patient).toBe(patient);
    expect((a.body as { patient?: string }).patient).toBe(patient.commitment);
    const b = await anchorReadings(sink, 'mon-7', readings(2, { from: 3, patient: null }));
    expect(b.patient).toBeUndefined();
    expect('patient' in b.body).toBe(false);
    await log.close();
  });

  it('refuses readings of another device, duplicates and an empty batch before appending', async () => {
    const { log, sink } = createStack();
    await expect(anchorReadings(sink, 'mon-8', readings(2))).rejects.toBeInstanceOf(ValidationError);
    await expect(anchorReadings(sink, 'mon-7', [...readings(2), ...readings(1)])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(anchorReadings(sink, 'mon-7', [])).rejects.toBeInstanceOf(ValidationError);
    expect(log.size).toBe(0);
    await log.close();
  });
});

describe('anchorReadingsByDevice', () => {
  it('anchors each device’s readings as its own reading.batch entry, all in one sink call', async () => {
    const { log, sink } = createStack();
    const a = readings(3, { device: 'mon-1', from: 1 });
    const b = readings(2, { device: 'mon-2', from: 5, patient: null });
    const mixed = [a[2], b[0], a[0], b[1], a[1]] as Reading[];
    const anchored = await anchorReadingsByDevice(sink, mixed);
    expect(anchored.map((x) => x.body.device)).toEqual(['mon-1', 'mon-2']);
    expect(anchored.map((x) => x.readings.map((r) => r.seq))).toEqual([
      [1, 2, 3],
      [5, 6],
    ]);
    expect(anchored.map((x) => x.receipt.index)).toEqual([0, 1]);
    expect(anchored[0]?.patient).toBeDefined(); // mon-1's readings name a patient: a fresh commitment
    expect(anchored[1]?.patient).toBeUndefined();
    for (const x of anchored) {
      expect(log.entry(x.receipt.index).entry.body).toEqual(x.body);
      expect(verifyReadingBatchBody(x.readings, x.body, x.patient?.salt)).toBe(true);
    }
    await expect(anchorReadingsByDevice(sink, [])).rejects.toBeInstanceOf(ValidationError);
    expect(log.size).toBe(2);
    await log.close();
  });

  it('with a leafKey, every device’s batch is salted under it (and verifies only with it)', async () => {
    const { log, sink } = createStack();
    const leafKey = new Uint8Array(32).fill(3);
    const mixed = [...readings(2, { device: 'mon-1' }), ...readings(2, { device: 'mon-2', patient: null })];
    const anchored = await anchorReadingsByDevice(sink, mixed, { leafKey });
    const single = await anchorReadings(sink, 'mon-3', readings(2, { device: 'mon-3' }), { leafKey });
    for (const x of [...anchored, single]) {
      expect(x.body.salted).toBe(true);
      expect(log.entry(x.receipt.index).entry.body).toEqual(x.body);
      expect(verifyReadingBatchBody(x.readings, x.body, x.patient?.salt, leafKey)).toBe(true);
      expect(verifyReadingBatchBody(x.readings, x.body, x.patient?.salt)).toBe(false);
    }
    await log.close();
  });
});
