import { Command } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { controlCommandId, MAX_CONTROL_COMMAND_ID_LENGTH } from './command-id.js';

describe('controlCommandId', () => {
  it('is ctl:<rule>:<reading>, stable, and hashes the tail of an id that would be too long', () => {
    expect(controlCommandId('spo2-oxygen', 'ox-p1:30000')).toBe('ctl:spo2-oxygen:ox-p1:30000');
    const long = `${'m'.repeat(280)}:1`;
    const other = `${'m'.repeat(280)}:2`;
    const a = controlCommandId('spo2-oxygen', long);
    expect(a).toHaveLength(MAX_CONTROL_COMMAND_ID_LENGTH);
    expect(a).toBe(controlCommandId('spo2-oxygen', long));
    expect(a).not.toBe(controlCommandId('spo2-oxygen', other));
    expect(a).toMatch(/^ctl:spo2-oxygen:m+~[0-9a-f]{16}$/);
    // Valid as a core command id, with room for the alert suffix.
    expect(() => Command.shape.id.parse(`${a}:timed-out`)).not.toThrow();
  });
});
