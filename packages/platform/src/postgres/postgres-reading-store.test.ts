import { isHealthItError } from '@healthit/core';
import { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { isUnreachableError } from '../sql/driver-errors.js';
import { createPostgresReadingStore } from './index.js';

// Port 1 on the loopback interface: nothing listens there, so connecting is refused at once.
const NOBODY_HOME = 'postgres://postgres@127.0.0.1:1/test';

describe('createPostgresReadingStore without a server', () => {
  it('fails with store/unavailable (retryable), the driver error as cause', async () => {
    const err = await createPostgresReadingStore({ connectionString: NOBODY_HOME }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHealthItError(err, 'store/unavailable')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect((err as Error).message).toContain('migrate');
    expect(isUnreachableError((err as Error).cause)).toBe(true);
  });

  it('leaves a caller-owned pool usable after a failure', async () => {
    const pool = new Pool({ connectionString: NOBODY_HOME });
    const err = await createPostgresReadingStore({ pool }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHealthItError(err, 'store/unavailable')).toBe(true);
    expect(pool.ended).toBe(false);
    await pool.end();
  });

  it('refuses options without exactly one of pool and connectionString', async () => {
    await expect(createPostgresReadingStore({})).rejects.toThrow(TypeError);
    const pool = new Pool({ connectionString: NOBODY_HOME });
    await expect(createPostgresReadingStore({ pool, connectionString: NOBODY_HOME })).rejects.toThrow(
      TypeError,
    );
    await expect(createPostgresReadingStore({ pool, schema: 'Bad-Name' })).rejects.toThrow(RangeError);
    await pool.end();
  });
});
