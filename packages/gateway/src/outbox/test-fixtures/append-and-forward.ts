/**
 * Child process of `sigkill.test.ts`: appends numbered readings to a SQLite outbox in batches and
 * forwards them over an in-process uplink, printing one line per fact to stdout (synchronous on a
 * pipe, so a printed line was true before any kill):
 *
 * - `resume <position|none> <pending>` at start: the first unacknowledged position;
 * - `appended <first> <last>` after an append call returned (the readings are durable);
 * - `received <id> <position>` when the uplink delivered a record;
 * - `acked <position>` after the outbox acknowledged up to it;
 * - `done` when every reading up to `to` is appended and acknowledged.
 *
 * Usage: `node --conditions=@healthit/source --import tsx append-and-forward.ts <db> <from> <to> <batch> <intervalMs>`
 */
import { createForwarder } from '../../uplink/forwarder.js';
import { createInProcessUplink } from '../../uplink/in-process-uplink.js';
import type { OutboxEntry } from '../../uplink/outbox.js';
import type { UplinkRecord } from '../../uplink/uplink.js';
import { createSqliteOutbox } from '../sqlite-outbox.js';

const [path, fromArg, toArg, batchArg, intervalArg] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: append-and-forward.ts <db> <from> <to> <batch> <intervalMs>');
const from = Number(fromArg);
const to = Number(toArg);
const batch = Number(batchArg ?? 20);
const intervalMs = Number(intervalArg ?? 2);
const DEVICES = 3;

const print = (line: string) => process.stdout.write(`${line}\n`);
const encoder = new TextEncoder();

const outbox = createSqliteOutbox({ path, maxBytes: 256 * 2 ** 20, whenFull: 'refuse-new' });
const first = outbox.peek(1)[0];
print(`resume ${first?.position ?? 'none'} ${outbox.stats().pending}`);

const uplink = createInProcessUplink({ ackDelayMs: 3 });
uplink.received$.subscribe((r) => print(`received ${r.id} ${(r as OutboxEntry).position}`));
const forwarder = createForwarder({ outbox, uplink, batchSize: 25, pollMs: 5 });
forwarder.events$.subscribe((e) => {
  if (e.type === 'sent') print(`acked ${e.lastPosition}`);
});
forwarder.start();

function reading(n: number): UplinkRecord {
  const device = `dev-${n % DEVICES}`;
  return {
    id: `${device}/${n}`,
    kind: 'reading',
    key: device,
    payload: encoder.encode(JSON.stringify({ deviceId: device, seq: n, value: 60 + (n % 40) })),
  };
}

let next = from;
const timer = setInterval(() => {
  if (next >= to) {
    clearInterval(timer);
    const check = setInterval(() => {
      if (outbox.stats().pending > 0) return;
      clearInterval(check);
      void forwarder.stop().then(async () => {
        await uplink.close();
        outbox.close();
        print('done');
      });
    }, 5);
    return;
  }
  const last = Math.min(to, next + batch) - 1;
  const records: UplinkRecord[] = [];
  for (let n = next; n <= last; n++) records.push(reading(n));
  const result = outbox.append(records);
  if (result.accepted !== records.length) throw new Error(`outbox refused ${result.refused.length} readings`);
  print(`appended ${next} ${last}`);
  next = last + 1;
  forwarder.wake();
}, intervalMs);
