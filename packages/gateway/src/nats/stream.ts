import { DiscardPolicy, type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** What {@link ensureStream} makes sure of. */
export interface StreamRequirements {
  readonly stream: string;
  /** The subject filter the stream must capture, e.g. `healthit.ward-a.>`. */
  readonly subjects: string;
  readonly duplicateWindowMs: number;
}

/** True when the stream subject `filter` captures every subject of `wanted` (itself a filter). */
export function filterCovers(filter: string, wanted: string): boolean {
  const f = filter.split('.');
  const w = wanted.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return i < w.length;
    const other = w[i];
    if (other === undefined || other === '>') return false;
    if (token !== '*' && token !== other) return false;
  }
  return f.length === w.length;
}

/**
 * Creates the stream if it does not exist (file storage, limits retention, one replica, no
 * limits — an operator sets those — and discard new: a full stream refuses records, which stay in
 * the outbox, rather than deleting stored ones the platform may not have read), otherwise makes sure it captures `subjects` and has
 * the de-duplication window, updating only those two fields and keeping everything else an
 * operator configured.
 *
 * @throws the JetStream manager's errors (no JetStream, no permission, overlapping subjects).
 */
export async function ensureStream(jsm: JetStreamManager, req: StreamRequirements): Promise<void> {
  const window = nanos(req.duplicateWindowMs);
  let info: Awaited<ReturnType<JetStreamManager['streams']['info']>>;
  try {
    info = await jsm.streams.info(req.stream);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 10059) throw error; // StreamNotFound
    await jsm.streams.add({
      name: req.stream,
      description: 'Health-IT gateway uplink records (readings, alerts, commands, events)',
      subjects: [req.subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      num_replicas: 1,
      duplicate_window: window,
    });
    return;
  }
  const subjects = info.config.subjects ?? [];
  const covered = subjects.some((s) => filterCovers(s, req.subjects));
  if (covered && info.config.duplicate_window === window) return;
  await jsm.streams.update(req.stream, {
    subjects: covered ? subjects : [...subjects, req.subjects],
    duplicate_window: window,
  });
}
