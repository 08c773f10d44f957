import { HealthItError, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { isUnreachableError, wrapDriverError } from './driver-errors.js';

/** An error shaped like the ones drivers throw: a message and a `code`. */
function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('wrapDriverError', () => {
  it('classes lost or refused connections as store/unavailable', () => {
    for (const e of [
      driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      driverError('terminating connection due to administrator command', '57P01'),
      driverError('the database system is starting up', '57P03'),
      driverError('sorry, too many clients already', '53300'),
      driverError('connection failure', '08006'),
      driverError('Connection terminated unexpectedly'),
      new AggregateError([driverError('x', 'ECONNREFUSED')], 'all attempts failed'),
      new Error('query failed', { cause: driverError('y', 'ETIMEDOUT') }),
    ]) {
      const wrapped = wrapDriverError(e, 'test store', 'append');
      expect(wrapped.code, e.message).toBe('store/unavailable');
      expect(wrapped.retryable).toBe(true);
      expect(wrapped.cause).toBe(e);
      expect(wrapped.message).toContain('test store: append failed');
    }
  });

  it('classes everything else as store/query-failed, naming the SQLSTATE', () => {
    const e = driverError('duplicate key value violates unique constraint', '23505');
    const wrapped = wrapDriverError(e, 'test store', 'append');
    expect(wrapped.code).toBe('store/query-failed');
    expect(wrapped.retryable).toBe(false);
    expect(wrapped.message).toContain('SQLSTATE 23505');
    expect(wrapped.detail).toEqual({ operation: 'append', code: '23505' });
    expect(isUnreachableError('ECONNREFUSED')).toBe(false);
  });

  it('passes our own errors through unchanged', () => {
    const ours = new HealthItError('store/closed', 'closed');
    expect(wrapDriverError(ours, 's', 'count')).toBe(ours);
    const invalid = new ValidationError('Reading', []);
    expect(wrapDriverError(invalid, 's', 'append')).toBe(invalid);
  });
});
