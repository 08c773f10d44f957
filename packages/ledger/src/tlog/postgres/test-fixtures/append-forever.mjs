// @ts-check
/**
 * Plain JavaScript (run with `node --import tsx`) so the package build, which compiles `src/`, skips it.
 * Child process of the PostgreSQL SIGKILL test: appends signed entries of one stream to a
 * PostgreSQL-backed transparency log forever, in batches of 8, printing `acked <index> <leafHashHex>`
 * for each acknowledged append and `checkpoint <size>` for each published checkpoint.
 * Args: connectionString schema logId.
 */
import { ORIGIN, signer, unsigned } from '../../../../test/entries-fixtures.js';
import { entryHash, signEntry } from '../../../entries/index.js';
import { toHex } from '../../../hex.js';
import { createEd25519NoteSigner } from '../../../note/index.js';
import { createTransparencyLog } from '../../log.js';
import { openPostgresLogStorage } from '../postgres-log-storage.js';

const [connectionString, schema, logId] = /** @type {[string, string, string]} */ (process.argv.slice(2));
const alice = signer(1, 'acme-pharma.release');
const storage = await openPostgresLogStorage({ connectionString, schema, logId });
const log = createTransparencyLog({
  origin: ORIGIN,
  signer: createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) }),
  keys: new Map([[alice.keyId, alice.publicKey]]),
  storage,
  batch: { maxEntries: 8, maxWaitMs: 1, maxQueued: 64 },
  checkpointEveryMs: 5,
});
log.events$.subscribe((e) => {
  if (e.type === 'checkpoint') process.stdout.write(`checkpoint ${e.size}\n`);
});
process.stdout.write(`opened ${log.size}\n`);
let seq = log.size;
let prev = seq === 0 ? undefined : entryHash(log.entry(seq - 1).entry);
for (;;) {
  const batch = [];
  for (let i = 0; i < 8; i++) {
    const entry = signEntry(
      unsigned('config.change', { seq, ...(prev === undefined ? {} : { prev }) }),
      alice,
    );
    prev = entryHash(entry);
    seq++;
    batch.push(
      log.append(entry).then((r) => {
        process.stdout.write(`acked ${r.index} ${toHex(r.leafHash)}\n`);
      }),
    );
  }
  await Promise.all(batch);
}
