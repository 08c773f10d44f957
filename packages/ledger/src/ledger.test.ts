import { HealthItError, type LedgerRecord, ValidationError } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { ATTACKER, ledgerWith, rechain, WRITER, withFields } from '../test/fixtures.js';
import { GENESIS_HASH, type LedgerEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import { createHashChainLedger } from './ledger.js';
import { createMemoryLedgerStorage } from './memory-storage.js';
import type { LedgerStorage } from './storage.js';
import { verifyChain } from './verify.js';

const T0 = Date.UTC(2025, 0, 1);

/** A real in-memory storage whose appends take `delayMs` and can be made to fail. */
function slowStorage(
  inner: LedgerStorage,
  delayMs: () => number,
  failWhen?: (batch: readonly LedgerEntry[]) => boolean,
) {
  return {
    ...inner,
    logId: inner.logId,
    length: () => inner.length(),
    read: (from: number, to: number) => inner.read(from, to),
    close: () => inner.close(),
    async append(batch: readonly LedgerEntry[]): Promise<void> {
      await new Promise((r) => setTimeout(r, delayMs()));
      if (failWhen?.(batch)) throw new HealthItError('store/unavailable', 'disk unplugged');
      await inner.append(batch);
    },
  } satisfies LedgerStorage;
}

describe('createHashChainLedger: the LedgerSink port', () => {
  it('appends records and returns one receipt per record, in order', async () => {
    const clock = createFakeClock(T0);
    const ledger = createHashChainLedger({ key: WRITER, clock });
    const receipts = await ledger.append([
      { type: 'custody-event', body: { from: 'ward-3', to: 'lab' } },
      { type: 'config-change', body: { key: 'rate', value: 2 } },
    ]);
    expect(receipts.map((r) => [r.logId, r.index])).toEqual([
      [WRITER.logId, 0],
      [WRITER.logId, 1],
    ]);
    const entries = await ledger.entries();
    expect(entries.map((e) => e.entryHash)).toEqual(receipts.map((r) => r.entryHash));
    expect(entries[0]).toMatchObject({ index: 0, prevHash: GENESIS_HASH, ts: T0, type: 'custody-event' });
    expect(entries[1]).toMatchObject({
      index: 1,
      prevHash: receipts[0]?.entryHash,
      body: { key: 'rate', value: 2 },
    });
    expect(verifyChain(entries, ledger.publicKey)).toEqual({
      ok: true,
      length: 2,
      head: receipts[1]?.entryHash,
    });
  });

  it('timestamps entries from the injected clock', async () => {
    const clock = createFakeClock(T0);
    const ledger = createHashChainLedger({ key: WRITER, clock });
    await ledger.append([{ type: 'a', body: 1 }]);
    clock.advance(5000);
    await ledger.append([{ type: 'b', body: 2 }]);
    expect((await ledger.entries()).map((e) => e.ts)).toEqual([T0, T0 + 5000]);
  });

  it('receipt(index) returns the entry’s receipt, undefined past the end, RangeError for a bad index', async () => {
    const { ledger } = await ledgerWith(3);
    const entries = await ledger.entries();
    expect(await ledger.receipt(1)).toEqual({
      logId: WRITER.logId,
      index: 1,
      entryHash: entries[1]?.entryHash,
    });
    expect(await ledger.receipt(3)).toBeUndefined();
    await expect(ledger.receipt(-1)).rejects.toThrow(RangeError);
    await expect(ledger.receipt(1.5)).rejects.toThrow(RangeError);
  });

  it('head() and entries(from, to)', async () => {
    const ledger = createHashChainLedger({ key: WRITER });
    expect(await ledger.head()).toEqual({ logId: WRITER.logId, length: 0, head: GENESIS_HASH });
    const receipts = await ledger.append([1, 2, 3, 4].map((n) => ({ type: 'n', body: n })));
    expect(await ledger.head()).toEqual({ logId: WRITER.logId, length: 4, head: receipts[3]?.entryHash });
    expect((await ledger.entries(1, 3)).map((e) => e.body)).toEqual([2, 3]);
    expect((await ledger.entries(2)).map((e) => e.body)).toEqual([3, 4]);
    expect(await ledger.entries(9, 12)).toEqual([]);
    await expect(ledger.entries(-1)).rejects.toThrow(RangeError);
  });

  it('exposes logId and a copy of the public key', async () => {
    const ledger = createHashChainLedger({ key: WRITER });
    expect(ledger.logId).toBe(WRITER.logId);
    ledger.publicKey.fill(0);
    expect(ledger.publicKey).toEqual(WRITER.publicKey);
  });

  it('an empty append appends nothing', async () => {
    const ledger = createHashChainLedger({ key: WRITER });
    expect(await ledger.append([])).toEqual([]);
    expect((await ledger.head()).length).toBe(0);
  });
});

describe('createHashChainLedger: validation at the API boundary', () => {
  const bad: [string, unknown][] = [
    ['an empty type', [{ type: '', body: {} }]],
    ['a type that is not a string', [{ type: 7, body: {} }]],
    ['a missing body', [{ type: 't' }]],
    ['a body with undefined', [{ type: 't', body: { a: undefined } }]],
    ['a body with NaN', [{ type: 't', body: [1, Number.NaN] }]],
    ['a body with a Date', [{ type: 't', body: { at: new Date(0) } }]],
    ['a body with a bigint', [{ type: 't', body: 1n }]],
    ['a body with a lone surrogate', [{ type: 't', body: '\ud800' }]],
    ['an unknown record member', [{ type: 't', body: 1, extra: true }]],
    ['records that are not an array', { type: 't', body: 1 }],
  ];
  for (const [what, records] of bad) {
    it(`refuses ${what} with a ValidationError, appending nothing of the call`, async () => {
      const ledger = createHashChainLedger({ key: WRITER });
      const input = Array.isArray(records) ? [{ type: 'good', body: 1 }, ...records] : records;
      const error = await ledger.append(input as LedgerRecord[]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('validation/invalid');
      expect((await ledger.head()).length).toBe(0);
    });
  }

  it('names the offending record and field', async () => {
    const ledger = createHashChainLedger({ key: WRITER });
    const error = (await ledger
      .append([
        { type: 'ok', body: 1 },
        { type: 'ok', body: { deep: [0, Number.POSITIVE_INFINITY] } },
      ])
      .catch((e: unknown) => e)) as ValidationError;
    expect(error.issues.map((i) => i.path)).toEqual(['1.body.deep.1']);
  });

  it('copies records: changing them after append changes nothing stored', async () => {
    const ledger = createHashChainLedger({ key: WRITER });
    const body = { list: [1, 2] };
    await ledger.append([{ type: 't', body }]);
    body.list.push(3);
    const [entry] = await ledger.entries();
    expect(entry?.body).toEqual({ list: [1, 2] });
    expect(Object.isFrozen(entry?.body)).toBe(true);
    verifyChain(await ledger.entries(), WRITER.publicKey);
  });

  it('stores "__proto__" members as data', async () => {
    const ledger = createHashChainLedger({ key: WRITER });
    await ledger.append([{ type: 't', body: JSON.parse('{"__proto__":{"polluted":true}}') }]);
    const [entry] = await ledger.entries();
    expect(Object.keys(entry?.body as object)).toEqual(['__proto__']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    verifyChain(JSON.parse(JSON.stringify(await ledger.entries())), WRITER.publicKey);
  });

  it('refuses a clock that returns something other than integer epoch ms', async () => {
    const ledger = createHashChainLedger({ key: WRITER, clock: { now: () => 1.5 } });
    await expect(ledger.append([{ type: 't', body: 1 }])).rejects.toThrow(RangeError);
    expect((await ledger.head()).length).toBe(0);
  });
});

describe('createHashChainLedger: concurrent appends', () => {
  it('keep call order and the chain, each call’s records consecutive, even with a slow storage', async () => {
    let n = 0;
    const delays = [30, 5, 20, 0, 10, 1];
    const storage = slowStorage(createMemoryLedgerStorage(), () => delays[n++ % delays.length] as number);
    const ledger = createHashChainLedger({ key: WRITER, storage });
    const calls = Array.from({ length: 12 }, (_, call) =>
      ledger.append(Array.from({ length: (call % 3) + 1 }, (_, k) => ({ type: 'call', body: { call, k } }))),
    );
    const receipts = await Promise.all(calls);
    let expectedIndex = 0;
    for (const batch of receipts) {
      for (const r of batch) expect(r.index).toBe(expectedIndex++);
    }
    const entries = await ledger.entries();
    expect(entries.map((e) => e.body)).toEqual(
      Array.from({ length: 12 }, (_, call) =>
        Array.from({ length: (call % 3) + 1 }, (_, k) => ({ call, k })),
      ).flat(),
    );
    expect(verifyChain(entries, WRITER.publicKey).length).toBe(expectedIndex);
  });

  it('a failed call (invalid records or a storage error) does not disturb the calls around it', async () => {
    const storage = slowStorage(
      createMemoryLedgerStorage(),
      () => 2,
      (batch) => batch.some((e) => e.type === 'fails-in-storage'),
    );
    const ledger = createHashChainLedger({ key: WRITER, storage });
    const results = await Promise.allSettled([
      ledger.append([{ type: 'a', body: 0 }]),
      ledger.append([{ type: '', body: 1 }]),
      ledger.append([{ type: 'fails-in-storage', body: 2 }]),
      ledger.append([{ type: 'b', body: 3 }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'store/unavailable' });
    const entries = await ledger.entries();
    expect(entries.map((e) => e.type)).toEqual(['a', 'b']);
    expect(verifyChain(entries, WRITER.publicKey).length).toBe(2);
  });

  it('after a storage error that did land (ambiguous write), continues from what the storage holds', async () => {
    const inner = createMemoryLedgerStorage();
    let failNext = true;
    const storage: LedgerStorage = {
      length: () => inner.length(),
      read: (f, t) => inner.read(f, t),
      close: () => inner.close(),
      async append(batch) {
        await inner.append(batch);
        if (failNext) {
          failNext = false;
          throw new HealthItError('store/unavailable', 'timed out after the write');
        }
      },
    };
    const ledger = createHashChainLedger({ key: WRITER, storage });
    await expect(ledger.append([{ type: 'maybe', body: 1 }])).rejects.toThrow('timed out');
    const [r] = await ledger.append([{ type: 'next', body: 2 }]);
    expect(r?.index).toBe(1);
    expect(verifyChain(await ledger.entries(), WRITER.publicKey).length).toBe(2);
  });
});

describe('createHashChainLedger: over existing storage', () => {
  it('continues a stored log (reopen) after verifying it', async () => {
    const { entries } = await ledgerWith(4);
    const storage = createMemoryLedgerStorage({ entries });
    const reopened = createHashChainLedger({ key: WRITER, storage });
    expect(await reopened.head()).toEqual({ logId: WRITER.logId, length: 4, head: entries[3]?.entryHash });
    const [r] = await reopened.append([{ type: 'after-reopen', body: null }]);
    expect(r?.index).toBe(4);
    expect(verifyChain(await reopened.entries(), WRITER.publicKey).length).toBe(5);
  });

  it('refuses to extend a tampered log, and keeps refusing', async () => {
    const { entries } = await ledgerWith(4);
    const tampered = entries.map((e, i) => (i === 1 ? withFields(e, { body: 'edited' }) : e));
    const ledger = createHashChainLedger({
      key: WRITER,
      storage: createMemoryLedgerStorage({ entries: tampered }),
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await ledger.append([{ type: 't', body: 1 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerIntegrityError);
      expect(error).toMatchObject({ reason: 'entry-hash', index: 1 });
    }
  });

  it('replaced public key in storage: a log re-signed by another key is refused by the writer', async () => {
    const { entries } = await ledgerWith(3);
    const storage = createMemoryLedgerStorage({ entries: rechain(entries, ATTACKER) });
    const ledger = createHashChainLedger({ key: WRITER, storage });
    await expect(ledger.head()).rejects.toMatchObject({
      code: 'ledger/signature',
      reason: 'signature',
      index: 0,
    });
  });

  it("verifyOnOpen 'head' checks only the last entry", async () => {
    const { entries } = await ledgerWith(4);
    const middle = entries.map((e, i) => (i === 1 ? withFields(e, { body: 'edited' }) : e));
    const lenient = createHashChainLedger({
      key: WRITER,
      storage: createMemoryLedgerStorage({ entries: middle }),
      verifyOnOpen: 'head',
    });
    expect((await lenient.head()).length).toBe(4);
    const last = entries.map((e, i) => (i === 3 ? withFields(e, { body: 'edited' }) : e));
    const strictOnLast = createHashChainLedger({
      key: WRITER,
      storage: createMemoryLedgerStorage({ entries: last }),
      verifyOnOpen: 'head',
    });
    await expect(strictOnLast.head()).rejects.toMatchObject({ reason: 'entry-hash' });
    expect(() => createHashChainLedger({ key: WRITER, verifyOnOpen: 'some' as 'full' })).toThrow(RangeError);
  });

  it('refuses a storage bound to another log', () => {
    const storage = { ...createMemoryLedgerStorage(), logId: ATTACKER.logId };
    expect(() => createHashChainLedger({ key: WRITER, storage })).toThrow(RangeError);
  });

  it('receipt() re-checks the stored entry', async () => {
    const { entries } = await ledgerWith(3);
    const tampered = entries.map((e, i) => (i === 2 ? withFields(e, { ts: 0 }) : e));
    const storage = createMemoryLedgerStorage({ entries: tampered });
    const ledger = createHashChainLedger({ key: WRITER, storage, verifyOnOpen: 'head' });
    await expect(ledger.receipt(2)).rejects.toBeInstanceOf(LedgerIntegrityError);
  });
});

describe('createHashChainLedger: close', () => {
  it('waits for pending appends, then refuses further calls; closes only storage it owns', async () => {
    const storage = createMemoryLedgerStorage();
    const ledger = createHashChainLedger({ key: WRITER, storage });
    const pending = ledger.append([{ type: 't', body: 1 }]);
    await ledger.close();
    await expect(pending).resolves.toHaveLength(1);
    await expect(ledger.append([{ type: 't', body: 2 }])).rejects.toMatchObject({ code: 'state/invalid' });
    await expect(ledger.head()).rejects.toMatchObject({ code: 'state/invalid' });
    await ledger.close();
    expect(await storage.length()).toBe(1);

    const owning = createHashChainLedger({ key: WRITER });
    await owning.close();
    await expect(owning.entries()).rejects.toMatchObject({ code: 'state/invalid' });
  });
});

describe('createMemoryLedgerStorage', () => {
  it('refuses appends that do not continue the log, malformed entries and overflow', async () => {
    const { entries } = await ledgerWith(3);
    const storage = createMemoryLedgerStorage({ maxEntries: 3 });
    await expect(storage.append(entries.slice(1, 2))).rejects.toMatchObject({ code: 'state/invalid' });
    await expect(storage.append([{ ...entries[0], index: -1 } as LedgerEntry])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await storage.append(entries.slice(0, 2));
    await expect(storage.append(entries.slice(2, 3).concat(entries.slice(2, 3)))).rejects.toMatchObject({
      code: 'state/invalid',
    });
    await storage.append(entries.slice(2, 3));
    const extra = rechain([...entries, entries[2] as LedgerEntry], WRITER, 3).slice(3);
    await expect(storage.append(extra)).rejects.toMatchObject({ code: 'buffer/overflow' });
    expect(await storage.length()).toBe(3);
    await storage.close();
    await expect(storage.length()).rejects.toMatchObject({ code: 'store/closed' });
    expect(() => createMemoryLedgerStorage({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => createMemoryLedgerStorage({ entries: [{}] })).toThrow(ValidationError);
  });
});
