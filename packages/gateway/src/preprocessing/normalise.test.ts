import { describe, expect, it } from 'vitest';
import { reading } from '../../test/fixtures.js';
import { normaliseReading } from './normalise.js';

describe('normaliseReading', () => {
  it('converts to the canonical unit', () => {
    const r = normaliseReading(reading('thermo-1', 1, 'body-temperature', 98.6, '[degF]'));
    expect(r.ok && r.reading.unit).toBe('Cel');
    expect(r.ok && r.reading.value).toBeCloseTo(37, 10);
  });

  it('passes a canonical reading through unchanged (same object)', () => {
    const input = reading('mon-1', 1, 'heart-rate', 72, '/min');
    const r = normaliseReading(input);
    expect(r.ok && r.reading).toBe(input);
  });

  it('refuses an implausible value as an artefact, naming the range', () => {
    const r = normaliseReading(reading('mon-1', 1, 'heart-rate', 900, '/min'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('validation/invalid');
    expect(!r.ok && r.error.message).toContain('20–300');
  });
});
