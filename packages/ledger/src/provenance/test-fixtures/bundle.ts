/** A reading's provenance bundle from a fresh witnessed log, for the provenance and CLI tests. */
import type { Reading } from '@healthit/core';
import { anchorReadings } from '../../sink/index.js';
import { buildProvenanceBundle } from '../build.js';
import type { ProvenanceBundle } from '../bundle.js';
import { createStack, readings, type Stack } from './stack.js';

/** What {@link anchoredBundle} returns. */
export interface AnchoredBundle {
  readonly stack: Stack;
  readonly bundle: ProvenanceBundle;
  /** The proven reading's batch, in seq order. */
  readonly batch: readonly Reading[];
  /** Another batch of the same device, anchored after it. */
  readonly otherBatch: readonly Reading[];
  /** The patient commitment salt of the proven batch (must never appear in the bundle). */
  readonly salt: string;
  /** The log index of the proven batch's entry. */
  readonly index: number;
}

/**
 * Anchors a security event, a batch of `size` readings and another batch, waits for a cosigned
 * checkpoint and builds the bundle of the batch's reading at `pick` (in seq order).
 */
export async function anchoredBundle(
  options: {
    size?: number;
    pick?: number;
    witnessCount?: number;
    batch?: readonly Reading[];
    /** Anchor the proven batch with salted leaves under this key. */
    leafKey?: Uint8Array;
  } = {},
): Promise<AnchoredBundle> {
  const stack = createStack({ witnessCount: options.witnessCount ?? 1 });
  const { sink, log } = stack;
  await sink.append([
    {
      type: 'security-event',
      body: { severity: 'info', category: 'boot', subject: 'gw-1', description: 'gateway started' },
    },
  ]);
  const leafKey = options.leafKey === undefined ? {} : { leafKey: options.leafKey };
  const anchored = await anchorReadings(sink, 'mon-7', options.batch ?? readings(options.size ?? 7), leafKey);
  const otherBatch = readings(3, { from: 1000 });
  await anchorReadings(sink, 'mon-7', otherBatch);
  const index = anchored.receipt.index;
  const checkpointNote = await log.awaitCheckpoint(log.size - 1);
  const reading = anchored.readings[options.pick ?? 2] as Reading;
  const bundle = buildProvenanceBundle({
    reading,
    batchReadings: anchored.readings,
    log,
    index,
    checkpointNote,
    ...leafKey,
  });
  return { stack, bundle, batch: anchored.readings, otherBatch, salt: anchored.patient?.salt ?? '', index };
}
