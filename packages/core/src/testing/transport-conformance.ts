import {
  firstValueFrom,
  type Observable,
  filter as rxFilter,
  type Subscription,
  take,
  timeout,
  toArray,
} from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { isHealthItError } from '../errors/health-it-error.js';
import type { ConnectionState, Transport, TransportMessage } from '../ports/transport.js';

/** Two transports joined to the same bus or broker (they may be one and the same object). */
export interface TransportPair {
  /** The transport the suite publishes on. */
  readonly publisher: Transport;
  /** The transport the suite subscribes on; it must receive what `publisher` publishes. */
  readonly subscriber: Transport;
  /** Closes what the factory opened. */
  dispose(): Promise<void>;
}

/** Options of {@link describeTransportConformance}. */
export interface TransportConformanceOptions {
  /** How long to wait for a message that should arrive (default 5 000 ms). */
  readonly deliveryTimeoutMs?: number;
  /** How long to wait before deciding a message did not arrive (default 300 ms). */
  readonly quietMs?: number;
}

const PROBE = 'conformance-probe';
const PROBE_BYTES = utf8Encode(PROBE);

function isProbe(payload: Uint8Array): boolean {
  return payload.byteLength === PROBE_BYTES.byteLength && payload.every((b, i) => b === PROBE_BYTES[i]);
}

let counter = 0;
function uniqueRoot(): string {
  counter += 1;
  return `conformance/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${counter}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A live subscription that records messages. `ready` resolves once the transport demonstrably
 * delivers on the filter (a probe published to `probeTopic` came back), since real brokers
 * acknowledge subscriptions asynchronously.
 */
async function record(pair: TransportPair, filter: string, probeTopic: string, timeoutMs: number) {
  const received: TransportMessage[] = [];
  let probed = false;
  let completed = false;
  let error: unknown;
  const sub: Subscription = pair.subscriber.subscribe(filter).subscribe({
    next: (m) => {
      if (m.topic === probeTopic && isProbe(m.payload)) probed = true;
      else received.push(m);
    },
    error: (e) => {
      error = e;
    },
    complete: () => {
      completed = true;
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!probed) {
    if (error !== undefined) throw error;
    if (Date.now() > deadline)
      throw new Error(`subscription to "${filter}" never delivered a probe on "${probeTopic}"`);
    await pair.publisher.publish(probeTopic, utf8Encode(PROBE), { qos: 1 });
    await sleep(20);
  }
  return {
    received,
    sub,
    get completed() {
      return completed;
    },
    async waitFor(n: number): Promise<TransportMessage[]> {
      const until = Date.now() + timeoutMs;
      while (received.length < n && Date.now() < until) await sleep(5);
      return received;
    },
  };
}

/**
 * The conformance suite every {@link Transport} implementation must pass. Call it inside a test
 * file; `makePair` opens a fresh publisher/subscriber pair for each test.
 *
 * @example
 * ```ts
 * describeTransportConformance('in-process', async () => {
 *   const t = createInProcessTransport();
 *   return { publisher: t, subscriber: t, dispose: () => t.close() };
 * });
 * ```
 */
export function describeTransportConformance(
  name: string,
  makePair: () => Promise<TransportPair>,
  options: TransportConformanceOptions = {},
): void {
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 5000;
  const quietMs = options.quietMs ?? 300;

  describe(`Transport conformance: ${name}`, () => {
    let pair: TransportPair;
    let root: string;
    beforeEach(async () => {
      pair = await makePair();
      root = uniqueRoot();
    });
    afterEach(async () => {
      await pair.dispose();
    });

    it('delivers every byte of a payload unchanged on an exact topic', async () => {
      const topic = `${root}/exact`;
      const rec = await record(pair, topic, topic, deliveryTimeoutMs);
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      await pair.publisher.publish(topic, bytes);
      const [m] = await rec.waitFor(1);
      expect(m?.topic).toBe(topic);
      expect(Array.from(m?.payload ?? [])).toEqual(Array.from(bytes));
      expect(m?.retained).toBe(false);
      rec.sub.unsubscribe();
    });

    it('matches "+" to exactly one level', async () => {
      const rec = await record(pair, `${root}/+/readings`, `${root}/probe/readings`, deliveryTimeoutMs);
      await pair.publisher.publish(`${root}/a/readings`, utf8Encode('1'));
      await pair.publisher.publish(`${root}/a/b/readings`, utf8Encode('2'));
      await pair.publisher.publish(`${root}/readings`, utf8Encode('3'));
      await pair.publisher.publish(`${root}/c/readings`, utf8Encode('4'));
      await rec.waitFor(2);
      await sleep(quietMs);
      expect(rec.received.map((m) => utf8Decode(m.payload))).toEqual(['1', '4']);
      rec.sub.unsubscribe();
    });

    it('matches "#" to the parent level and everything below it', async () => {
      const rec = await record(pair, `${root}/a/#`, `${root}/a/probe`, deliveryTimeoutMs);
      await pair.publisher.publish(`${root}/a`, utf8Encode('parent'));
      await pair.publisher.publish(`${root}/a/b`, utf8Encode('child'));
      await pair.publisher.publish(`${root}/a/b/c/d`, utf8Encode('deep'));
      await pair.publisher.publish(`${root}/b/a`, utf8Encode('other'));
      await rec.waitFor(3);
      await sleep(quietMs);
      expect(rec.received.map((m) => utf8Decode(m.payload))).toEqual(['parent', 'child', 'deep']);
      rec.sub.unsubscribe();
    });

    it('preserves the order of messages from one publisher', async () => {
      const topic = `${root}/order`;
      const rec = await record(pair, topic, topic, deliveryTimeoutMs);
      const n = 200;
      for (let i = 0; i < n; i++) await pair.publisher.publish(topic, utf8Encode(String(i)), { qos: 1 });
      await rec.waitFor(n);
      expect(rec.received.map((m) => Number(utf8Decode(m.payload)))).toEqual(
        Array.from({ length: n }, (_, i) => i),
      );
      rec.sub.unsubscribe();
    });

    it('stops delivering after unsubscribe', async () => {
      const topic = `${root}/unsub`;
      const rec = await record(pair, topic, topic, deliveryTimeoutMs);
      await pair.publisher.publish(topic, utf8Encode('before'));
      await rec.waitFor(1);
      rec.sub.unsubscribe();
      await sleep(quietMs / 3);
      await pair.publisher.publish(topic, utf8Encode('after'));
      await sleep(quietMs);
      expect(rec.received.map((m) => utf8Decode(m.payload))).toEqual(['before']);
    });

    it('delivers the retained message to a later subscriber, and an empty retained payload clears it', async () => {
      const topic = `${root}/retained/state`;
      await pair.publisher.publish(topic, utf8Encode('v1'), { retain: true, qos: 1 });
      await pair.publisher.publish(topic, utf8Encode('v2'), { retain: true, qos: 1 });
      await sleep(quietMs / 3);
      const m = await firstValueFrom(
        pair.subscriber.subscribe(topic).pipe(take(1), timeout(deliveryTimeoutMs)),
      );
      expect(utf8Decode(m.payload)).toBe('v2');
      expect(m.retained).toBe(true);

      await pair.publisher.publish(topic, new Uint8Array(0), { retain: true, qos: 1 });
      await sleep(quietMs / 3);
      const rec = await record(pair, `${root}/retained/#`, `${root}/retained/probe`, deliveryTimeoutMs);
      await sleep(quietMs);
      expect(rec.received.filter((x) => x.topic === topic && x.payload.byteLength > 0)).toEqual([]);
      rec.sub.unsubscribe();
    });

    it('rejects malformed filters with transport/invalid-topic', async () => {
      for (const bad of ['', 'a/#/b', 'a/b#', 'a+/b']) {
        const err = await firstValueFrom(pair.subscriber.subscribe(bad)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isHealthItError(err, 'transport/invalid-topic'), `filter "${bad}"`).toBe(true);
      }
    });

    it('rejects publishing to an empty topic or one with wildcards', async () => {
      for (const bad of ['', `${root}/+`, `${root}/#`]) {
        const err = await pair.publisher.publish(bad, utf8Encode('x')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isHealthItError(err, 'transport/invalid-topic'), `topic "${bad}"`).toBe(true);
      }
    });

    it('reports connected, then closed on close: subscriptions complete, publish rejects, close is idempotent', async () => {
      const states: ConnectionState[] = [];
      const stateSub = (pair.subscriber.state$ as Observable<ConnectionState>).subscribe((s) =>
        states.push(s),
      );
      const connected = await firstValueFrom(
        pair.subscriber.state$.pipe(
          rxFilter((s) => s === 'connected'),
          timeout(deliveryTimeoutMs),
        ),
      );
      expect(connected).toBe('connected');
      const topic = `${root}/closing`;
      const rec = await record(pair, topic, topic, deliveryTimeoutMs);
      const allStates = firstValueFrom(pair.subscriber.state$.pipe(toArray(), timeout(deliveryTimeoutMs)));
      await pair.subscriber.close();
      await pair.subscriber.close();
      expect(await allStates).toContain('closed');
      expect(states.at(-1)).toBe('closed');
      expect(rec.completed).toBe(true);
      const err = await pair.subscriber.publish(topic, utf8Encode('late')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isHealthItError(err, 'transport/closed')).toBe(true);
      stateSub.unsubscribe();
    });
  });
}
