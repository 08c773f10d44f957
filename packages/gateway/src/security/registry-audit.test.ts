import { createIdentity, type LedgerRecord, type LedgerSink } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry } from './device-registry.js';
import { auditRegistry } from './registry-audit.js';

/** A ledger port that keeps what it is given, and can be made to fail. */
function recordingSink(): LedgerSink & { records: LedgerRecord[]; fail: boolean; calls: number } {
  const sink = {
    records: [] as LedgerRecord[],
    fail: false,
    calls: 0,
    async append(batch: readonly LedgerRecord[]) {
      sink.calls++;
      await new Promise((r) => setTimeout(r, 1));
      if (sink.fail) throw new Error('ledger down');
      sink.records.push(...batch);
      return batch.map((_, i) => ({
        logId: 'l',
        index: sink.records.length - batch.length + i,
        entryHash: '0'.repeat(64),
      }));
    },
    async receipt() {
      return undefined;
    },
  };
  return sink;
}

describe('auditRegistry', () => {
  it('records every registry change, in order, as a security-event naming the device, who and why', async () => {
    const registry = createDeviceRegistry({ clock: createFakeClock(Date.UTC(2026, 0, 1)) });
    const sink = recordingSink();
    const audit = auditRegistry(registry, sink);
    const d = createIdentity({ id: 'monitor-7', kind: 'device' });
    registry.register(
      { deviceId: 'monitor-7', publicKey: d.signing.publicKey },
      { by: 'biomed:ana', reason: 'new' },
    );
    registry.setState('monitor-7', 'active', { by: 'biomed:ana', reason: 'onboarded' });
    registry.revokeKey('monitor-7', d.keyId, { by: 'soc:lee', reason: 'key leaked' });
    registry.setState('monitor-7', 'suspended', { by: 'soc:lee', reason: 'investigation' });
    await audit.flush();
    expect(sink.records.map((r) => (r.body as { description: string }).description)).toEqual([
      'registered (pending) by biomed:ana at 2026-01-01T00:00:00.000Z: new',
      'pending → active by biomed:ana at 2026-01-01T00:00:00.000Z: onboarded',
      `key-revoked ${d.keyId} by soc:lee at 2026-01-01T00:00:00.000Z: key leaked`,
      'active → suspended by soc:lee at 2026-01-01T00:00:00.000Z: investigation',
    ]);
    expect(sink.records.every((r) => r.type === 'security-event')).toBe(true);
    expect(sink.records.map((r) => (r.body as { severity: string }).severity)).toEqual([
      'info',
      'info',
      'medium',
      'medium',
    ]);
    expect(sink.calls).toBeLessThan(4); // queued changes go in one append
    audit.stop();
  });

  it('a failing sink or a full queue: the change is counted as lost and reported, the registry keeps working', async () => {
    const registry = createDeviceRegistry();
    const sink = recordingSink();
    const errors: unknown[] = [];
    const audit = auditRegistry(registry, sink, { maxPending: 1, onError: (e) => errors.push(e) });
    sink.fail = true;
    for (let i = 0; i < 3; i++) {
      const d = createIdentity({ id: `m-${i}`, kind: 'device' });
      registry.register({ deviceId: `m-${i}`, publicKey: d.signing.publicKey }, { by: 'x', reason: 'y' });
    }
    await audit.flush();
    expect(registry.size).toBe(3);
    expect(audit.lost).toBe(3);
    expect(errors).toHaveLength(3);
    audit.stop();
  });
});
