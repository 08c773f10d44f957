/** Test helper: reads a whole JetStream stream back with an ordered consumer. */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** One stored message, as the tests look at it. */
export interface StoredRecord {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly kind: string | undefined;
  readonly contentType: string | undefined;
  readonly payload: string;
}

/** Every message of `stream`, in stream order (an ordered consumer from the first sequence). */
export async function readStream(nc: NatsConnection, stream: string): Promise<StoredRecord[]> {
  const jsm = await jetstreamManager(nc);
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: StoredRecord[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const decoder = new TextDecoder();
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(total - out.length, 1000), expires: 3_000 });
    let got = 0;
    for await (const m of batch) {
      got += 1;
      out.push({
        seq: m.seq,
        subject: m.subject,
        msgId: m.headers?.get('Nats-Msg-Id'),
        kind: m.headers?.get('Healthit-Kind'),
        contentType: m.headers?.get('Content-Type'),
        payload: decoder.decode(m.data),
      });
    }
    if (got === 0)
      throw new Error(`stream ${stream}: read ${out.length} of ${total} messages, then nothing more`);
  }
  return out;
}
