import { describe, expect, it } from 'vitest';
import { type ErrorCode, ErrorCodes } from './codes.js';
import { HealthItError, isHealthItError } from './health-it-error.js';
import { ValidationError } from './validation-error.js';

describe('ErrorCodes', () => {
  it('classes every code as transient, ambiguous or permanent and summarises it', () => {
    for (const [code, { class: errorClass, summary }] of Object.entries(ErrorCodes)) {
      expect(['transient', 'ambiguous', 'permanent']).toContain(errorClass);
      expect(summary.length).toBeGreaterThan(0);
      expect(code).toMatch(/^[a-z]+\/[a-z-]+$/);
    }
  });
});

describe('HealthItError', () => {
  it.each([
    ['transport/disconnected', 'transient', true],
    ['store/unavailable', 'transient', true],
    ['transport/publish-failed', 'ambiguous', true],
    ['ledger/integrity', 'permanent', false],
    ['units/unsupported', 'permanent', false],
  ] as const)('%s is %s (retryable: %s)', (code, errorClass, retryable) => {
    const e = new HealthItError(code, 'what happened');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('HealthItError');
    expect(e.code).toBe(code);
    expect(e.errorClass).toBe(errorClass);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toBe('what happened');
    expect(e.detail).toEqual({});
    expect(e.stack).toContain('what happened');
  });

  it('retryable is exactly "not permanent" for every code', () => {
    for (const code of Object.keys(ErrorCodes) as ErrorCode[]) {
      const e = new HealthItError(code, code);
      expect(e.retryable).toBe(ErrorCodes[code].class !== 'permanent');
    }
  });

  it('carries an ES2022 cause only when given one', () => {
    const socketError = new Error('ECONNREFUSED 127.0.0.1:1883');
    const wrapped = new HealthItError('transport/disconnected', 'MQTT broker unreachable', {
      cause: socketError,
    });
    expect(wrapped.cause).toBe(socketError);
    expect('cause' in new HealthItError('transport/disconnected', 'no cause')).toBe(false);
  });

  it('keeps a falsy but defined cause', () => {
    expect(new HealthItError('model/run', 'x', { cause: 0 }).cause).toBe(0);
    expect(new HealthItError('model/run', 'x', { cause: null }).cause).toBe(null);
  });

  it('toJSON is JSON-safe and leaves the cause out', () => {
    const e = new HealthItError('transport/publish-failed', 'publish to devices/x timed out after 5000 ms', {
      cause: new Error('timeout'),
      detail: { topic: 'devices/x', timeoutMs: 5000 },
    });
    const json = e.toJSON();
    expect(json).toEqual({
      name: 'HealthItError',
      code: 'transport/publish-failed',
      message: 'publish to devices/x timed out after 5000 ms',
      retryable: true,
      detail: { topic: 'devices/x', timeoutMs: 5000 },
    });
    expect(JSON.parse(JSON.stringify(e))).toEqual(json);
    // The JSON view is a copy: changing it does not change the error.
    json.detail.topic = 'changed';
    expect(e.detail.topic).toBe('devices/x');
  });
});

describe('isHealthItError', () => {
  const e = new HealthItError('store/closed', 'the store has been closed');

  it('recognises HealthItErrors and their subclasses', () => {
    expect(isHealthItError(e)).toBe(true);
    expect(isHealthItError(new ValidationError('Reading', []))).toBe(true);
  });

  it('checks the code when one is given', () => {
    expect(isHealthItError(e, 'store/closed')).toBe(true);
    expect(isHealthItError(e, 'store/unavailable')).toBe(false);
    expect(isHealthItError(new ValidationError('Reading', []), 'validation/invalid')).toBe(true);
  });

  it('rejects look-alikes and non-errors', () => {
    const lookAlike = Object.assign(new Error('x'), { code: 'store/closed', retryable: false });
    for (const v of [lookAlike, e.toJSON(), new Error('x'), 'store/closed', null, undefined]) {
      expect(isHealthItError(v)).toBe(false);
    }
  });
});

describe('ValidationError', () => {
  const issues = [
    { path: 'value', message: 'Invalid input: expected number, received string', code: 'invalid_type' },
    { path: '', message: 'Unrecognized key: "bpm"', code: 'unrecognized_keys' },
  ];

  it('formats "Invalid <schema> (from <source>): <path>: <message>; ..." with (root) for the input itself', () => {
    const e = new ValidationError('Reading', issues, { source: 'devices/mon-1/readings' });
    expect(e.message).toBe(
      'Invalid Reading (from devices/mon-1/readings): value: Invalid input: expected number, received string; ' +
        '(root): Unrecognized key: "bpm"',
    );
  });

  it('omits the source when there is none', () => {
    const e = new ValidationError('Reading', issues.slice(0, 1));
    expect(e.message).toBe('Invalid Reading: value: Invalid input: expected number, received string');
    expect(e.source).toBe('');
  });

  it('is a permanent validation/invalid HealthItError with structured detail', () => {
    const cause = new Error('zod');
    const e = new ValidationError('Reading', issues, { source: 'src', cause });
    expect(e).toBeInstanceOf(HealthItError);
    expect(e.name).toBe('ValidationError');
    expect(e.code).toBe('validation/invalid');
    expect(e.errorClass).toBe('permanent');
    expect(e.retryable).toBe(false);
    expect(e.schema).toBe('Reading');
    expect(e.source).toBe('src');
    expect(e.issues).toEqual(issues);
    expect(e.cause).toBe(cause);
    expect(e.toJSON()).toEqual({
      name: 'ValidationError',
      code: 'validation/invalid',
      message: e.message,
      retryable: false,
      detail: { schema: 'Reading', source: 'src', issues },
    });
  });
});
