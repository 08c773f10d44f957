/** Reads a site's JetStream stream back (the gateway's uplink) and checks it as a delivery. */
import { connect } from '@nats-io/transport-node';
import { readStream } from '../../../packages/gateway/src/nats/test-fixtures/stream-reader.js';
import { type DeliveryReport, deliveryReport, readingIdsOfRecord } from './readings.js';

/** The stream as the platform will read it. */
export interface StreamContents {
  /** Messages in the stream. */
  readonly messages: number;
  /** Record ids stored more than once (JetStream de-duplicates by `Nats-Msg-Id`: must be 0). */
  readonly duplicateRecords: number;
  /** The reading ids the records carry, in stream order. */
  readonly readingIds: readonly string[];
  /** The stream sequence of the message carrying each reading. */
  readonly streamSeqOf: ReadonlyMap<string, number>;
}

/** Every message of `stream` on the server at `url`. */
export async function readUplinkStream(url: string, stream: string): Promise<StreamContents> {
  const nc = await connect({ servers: url });
  try {
    const stored = await readStream(nc, stream);
    const recordIds = stored.map((m) => m.msgId ?? '');
    const readingIds: string[] = [];
    const streamSeqOf = new Map<string, number>();
    for (const m of stored) {
      for (const id of readingIdsOfRecord(m.msgId ?? '')) {
        readingIds.push(id);
        if (!streamSeqOf.has(id)) streamSeqOf.set(id, m.seq);
      }
    }
    return {
      messages: stored.length,
      duplicateRecords: recordIds.length - new Set(recordIds).size,
      readingIds,
      streamSeqOf,
    };
  } finally {
    await nc.close();
  }
}

/** {@link deliveryReport} of the stream's readings against `expected`, in stream order. */
export function streamReport(contents: StreamContents, expected: Iterable<string>): DeliveryReport {
  return deliveryReport(expected, contents.readingIds);
}
