import { describe, expect, it } from 'vitest';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { readBounded } from './read-bounded.js';

async function* chunks(...parts: number[]) {
  for (const n of parts) yield new Uint8Array(n).fill(n);
}

describe('readBounded', () => {
  it('joins chunks up to the cap', async () => {
    expect(await readBounded(chunks(1, 2, 3), { maxLength: 6, subject: 's' })).toEqual(
      new Uint8Array([1, 2, 2, 3, 3, 3]),
    );
  });

  it('refuses more than maxLength bytes as too-large, without reading on', async () => {
    let pulled = 0;
    async function* endless() {
      while (true) {
        pulled++;
        yield new Uint8Array(100);
      }
    }
    await expect(readBounded(endless(), { maxLength: 250, subject: 's' })).rejects.toMatchObject({
      reason: 'too-large',
      subject: 's',
    });
    expect(pulled).toBe(3);
  });

  it('stops at an abort with the signal reason, or timeout', async () => {
    async function* never(): AsyncGenerator<Uint8Array> {
      await new Promise(() => undefined);
    }
    const controller = new AbortController();
    const reading = readBounded(never(), { maxLength: 10, signal: controller.signal, subject: 's' });
    const reason = new UpdateRejectedError('timeout', 'deadline', { subject: 's' });
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
    await expect(
      readBounded(chunks(1), { maxLength: 10, signal: AbortSignal.abort(), subject: 's' }),
    ).rejects.toMatchObject({ reason: 'timeout' });
  });
});
