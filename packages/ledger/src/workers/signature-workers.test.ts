import { isHealthItError } from '@healthit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { signer } from '../../test/entries-fixtures.js';
import { ed25519VerifyStrict } from '../note/ed25519.js';
import { ed25519Sign } from '../signing.js';
import type { SignatureJob } from '../tlog/parallel-verifier.js';
import { createWorkerSignatureVerifier } from './signature-workers.js';

const ALICE = signer(1);
const BOB = signer(2);

/** `n` jobs: every third signature made by the wrong key, every fifth message altered after signing. */
function jobs(n: number): SignatureJob[] {
  return Array.from({ length: n }, (_, i) => {
    const message = new TextEncoder().encode(`entry ${i}`);
    const by = i % 3 === 0 ? BOB : ALICE;
    const signature = ed25519Sign(message, by.secretKey);
    const sent = i % 5 === 0 ? Uint8Array.from(message, (b, j) => (j === 0 ? b ^ 1 : b)) : message;
    return { signature, message: sent, publicKey: ALICE.publicKey };
  });
}

const strict = (j: SignatureJob) => ed25519VerifyStrict(j.signature, j.message, j.publicKey);

describe('createWorkerSignatureVerifier', () => {
  const verifier = createWorkerSignatureVerifier({ threads: 2, chunkSize: 16 });
  afterAll(() => verifier.close());

  it('answers one verdict per job, in order, equal to ed25519VerifyStrict, across calls made in one tick (chunks over 2 threads)', async () => {
    const all = jobs(300);
    // calls of 1 to 4 jobs, all made before any answer arrives
    const calls: SignatureJob[][] = [];
    for (let i = 0; i < all.length; ) {
      const n = 1 + (i % 4);
      calls.push(all.slice(i, i + n));
      i += n;
    }
    const answers = await Promise.all(calls.map((c) => verifier.verify(c)));
    expect(answers.flat()).toEqual(all.map(strict));
    expect(answers.flat().filter(Boolean).length).toBeGreaterThan(100); // control: not all false
    expect(verifier.pending).toBe(0);
  });

  it('an empty call resolves with no verdicts', async () => {
    await expect(verifier.verify([])).resolves.toEqual([]);
  });

  it('attack: a signature or key of the wrong length, or a key outside the prime-order subgroup → false, like ed25519VerifyStrict', async () => {
    const [good] = jobs(2).slice(1) as [SignatureJob];
    const identity = new Uint8Array(32);
    identity[0] = 1; // the identity point: small order, every [S]B = R "verifies" under it
    const cases: SignatureJob[] = [
      good,
      { ...good, signature: good.signature.subarray(0, 63) },
      { ...good, publicKey: good.publicKey.subarray(0, 31) },
      { ...good, publicKey: identity },
    ];
    expect(await verifier.verify(cases)).toEqual([true, false, false, false]);
    expect(cases.map(strict)).toEqual([true, false, false, false]);
  });

  it('refuses more than maxPending unanswered jobs with a retryable buffer/overflow, and accepts again once answered', async () => {
    const small = createWorkerSignatureVerifier({ threads: 1, maxPending: 4 });
    const first = small.verify(jobs(3));
    const error = await small.verify(jobs(2)).catch((e: unknown) => e);
    expect(isHealthItError(error, 'buffer/overflow')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect(await first).toHaveLength(3);
    expect(await small.verify(jobs(2))).toHaveLength(2);
    await small.close();
  });

  it('a worker that dies rejects its calls (state/invalid), and the next call gets a new worker', async () => {
    // a stand-in worker that exits on a chunk of one job and answers "verifies" to anything else
    const dying = createWorkerSignatureVerifier({
      threads: 1,
      workerSource: `
        const { parentPort } = require('node:worker_threads');
        parentPort.on('message', (buffer) => {
          const count = new DataView(buffer).getUint32(0);
          if (count === 1) process.exit(3);
          parentPort.postMessage(new Uint8Array(count).fill(1));
        });`,
    });
    const error = await dying.verify(jobs(1)).catch((e: unknown) => e);
    expect(isHealthItError(error, 'state/invalid')).toBe(true);
    expect(String((error as Error).cause)).toContain('code 3');
    expect(dying.pending).toBe(0);
    expect(await dying.verify(jobs(2))).toEqual([true, true]); // answered by a new worker
    await dying.close();
  });

  it('close rejects later calls with state/invalid and is idempotent', async () => {
    const v = createWorkerSignatureVerifier({ threads: 1 });
    expect(await v.verify(jobs(1))).toEqual([false]); // job 0 is signed by the wrong key
    await v.close();
    await v.close();
    await expect(v.verify(jobs(1))).rejects.toMatchObject({ code: 'state/invalid' });
  });

  it('rejects invalid options', () => {
    expect(() => createWorkerSignatureVerifier({ threads: 0 })).toThrow(RangeError);
    expect(() => createWorkerSignatureVerifier({ chunkSize: 1.5 })).toThrow(/chunkSize/);
    expect(() => createWorkerSignatureVerifier({ maxPending: -1 })).toThrow(/maxPending/);
  });
});
