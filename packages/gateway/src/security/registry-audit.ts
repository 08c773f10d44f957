import { HealthItError, type LedgerRecord, type LedgerSink } from '@healthit/core';
import type { DeviceRegistry, RegistryChange } from './device-registry.js';

/** The ledger record of a registry change: a `security-event` naming the device, who and why. */
export function registryChangeRecord(change: RegistryChange): LedgerRecord {
  const what =
    change.type === 'state-changed'
      ? `${change.from} → ${change.to}`
      : change.type === 'registered'
        ? `registered (${change.state})`
        : change.type === 'owner-changed'
          ? `owner ${change.from} → ${change.to}`
          : `${change.type} ${change.keyId}`;
  const severity =
    change.type === 'key-revoked' || (change.type === 'state-changed' && change.to !== 'active')
      ? 'medium'
      : 'info';
  return {
    type: 'security-event',
    body: {
      severity,
      category: 'device-lifecycle',
      subject: change.deviceId,
      description: `${what} by ${change.by} at ${new Date(change.at).toISOString()}: ${change.reason}`.slice(
        0,
        2048,
      ),
    },
  };
}

/** What {@link auditRegistry} returns. */
export interface RegistryAudit {
  /** Changes waiting to be appended. */
  readonly pending: number;
  /** Changes that could not be recorded (sink failure, or more than `maxPending` waiting). */
  readonly lost: number;
  /** Resolves once every change so far was appended (or given up). */
  flush(): Promise<void>;
  /** Stops listening to the registry: later changes are not recorded (those queued still are). */
  stop(): void;
}

/**
 * Records every registry change through a `LedgerSink` (the transparency log, or any other), in
 * order, several changes per append when they queue up. Bounded: at most `maxPending` changes wait
 * (default 10 000); beyond that, and when the sink fails, the change is counted in `lost` and
 * reported to `onError` (a `buffer/overflow` or the sink's error) — the registry keeps working.
 */
export function auditRegistry(
  registry: DeviceRegistry,
  sink: LedgerSink,
  options: {
    readonly maxPending?: number;
    readonly onError?: (error: unknown, change: RegistryChange) => void;
  } = {},
): RegistryAudit {
  const maxPending = options.maxPending ?? 10_000;
  if (!Number.isSafeInteger(maxPending) || maxPending < 1)
    throw new RangeError(`maxPending must be an integer ≥ 1, got ${maxPending}`);
  const queue: RegistryChange[] = [];
  let lost = 0;
  let running: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.splice(0, 256);
      try {
        await sink.append(batch.map(registryChangeRecord));
      } catch (error) {
        lost += batch.length;
        for (const change of batch) options.onError?.(error, change);
      }
    }
  };
  const kick = (): void => {
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
  };
  const sub = registry.changes$.subscribe((change) => {
    if (queue.length >= maxPending) {
      lost++;
      options.onError?.(
        new HealthItError(
          'buffer/overflow',
          `${maxPending} registry changes wait for the ledger (maxPending)`,
          { detail: { maxPending } },
        ),
        change,
      );
      return;
    }
    queue.push(change);
    kick();
  });
  return {
    get pending() {
      return queue.length;
    },
    get lost() {
      return lost;
    },
    async flush() {
      while (running !== undefined) await running;
    },
    stop: () => sub.unsubscribe(),
  };
}
