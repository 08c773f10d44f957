import { describe, expect, it } from 'vitest';
import { createMemoryOutbox } from './memory-outbox.js';
import { describeOutboxConformance } from './outbox-conformance.js';

describeOutboxConformance(
  'memory outbox',
  (bounds) => {
    let outbox: ReturnType<typeof createMemoryOutbox> | undefined;
    return {
      open: () => {
        outbox = createMemoryOutbox(bounds);
        return outbox;
      },
      dispose: () => outbox?.close(),
    };
  },
  { durable: false },
);

describe('createMemoryOutbox', () => {
  it('stays fast and correct through many acknowledgements and compactions', () => {
    const outbox = createMemoryOutbox({ maxBytes: 1 << 30, whenFull: 'refuse-new' });
    const payload = new Uint8Array(8);
    let next = 0;
    for (let round = 0; round < 50; round++) {
      outbox.append(
        Array.from({ length: 1000 }, () => ({
          id: `r${next++}`,
          kind: 'reading' as const,
          key: 'd',
          payload,
        })),
      );
      const batch = outbox.peek(900);
      outbox.ack(batch.at(-1)!.position);
    }
    const left = outbox.peek(100_000);
    expect(left).toHaveLength(50 * 100);
    expect(left[0]!.id).toBe(`r${50 * 900}`);
    expect(outbox.stats()).toMatchObject({ pending: 5000, appended: 50_000, acknowledged: 45_000 });
  });

  it('compacts the holes shed behind entries in flight', () => {
    const outbox = createMemoryOutbox({ maxBytes: 10 * 72, whenFull: 'shed-oldest-readings' });
    const payload = new Uint8Array(8);
    outbox.append([
      { id: 'a0', kind: 'alert', key: 'd', payload },
      { id: 'r', kind: 'reading', key: 'd', payload },
    ]);
    outbox.lease(2);
    for (let i = 0; i < 5000; i++) outbox.append([{ id: `r${i}`, kind: 'reading', key: 'd', payload }]);
    expect(outbox.peek(100).map((e) => e.id)).toEqual([
      'a0',
      'r',
      ...Array.from({ length: 9 }, (_, i) => `r${4991 + i}`),
    ]);
    expect(outbox.stats()).toMatchObject({ pending: 11, shed: 4991 });
  });

  it('finds acknowledged positions among thousands of pending entries in both lanes', () => {
    const outbox = createMemoryOutbox({ maxBytes: 1 << 30, whenFull: 'refuse-new' });
    const payload = new Uint8Array(8);
    outbox.append(
      Array.from({ length: 20_000 }, (_, i) => ({
        id: `x${i}`,
        kind: i % 100 === 0 ? ('alert' as const) : ('reading' as const),
        key: 'd',
        payload,
      })),
    );
    // Acknowledge every other entry, from the back.
    const all = outbox.peek(20_000);
    outbox.ack(
      all
        .filter((_, i) => i % 2 === 1)
        .map((e) => e.position)
        .reverse(),
    );
    const left = outbox.peek(20_000);
    expect(left.map((e) => e.id)).toEqual(all.filter((_, i) => i % 2 === 0).map((e) => e.id));
    expect(outbox.stats()).toMatchObject({ pending: 10_000, acknowledged: 10_000 });
    outbox.ack(left.map((e) => e.position));
    expect(outbox.stats()).toMatchObject({ pending: 0, pendingBytes: 0, pendingAlertBytes: 0 });
  });
});
