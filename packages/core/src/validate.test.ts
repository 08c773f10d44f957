import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from './errors/validation-error.js';
import { parse, parseJsonText, safeParse } from './validate.js';

const Point = z.strictObject({ x: z.number(), y: z.number(), tags: z.array(z.string()).optional() });

describe('parse', () => {
  it('returns the parsed value for valid input', () => {
    expect(parse(Point, 'Point', { x: 1, y: 2 })).toEqual({ x: 1, y: 2 });
  });

  it('returns the schema output (transforms applied), not the input', () => {
    const Celsius = z.number().transform((f) => ((f - 32) * 5) / 9);
    expect(parse(Celsius, 'Celsius', 212)).toBe(100);
  });

  it('throws a ValidationError naming schema, source and the dotted path of each offending field', () => {
    let error: unknown;
    try {
      parse(Point, 'Point', { x: '1', y: 2, tags: ['a', 3] }, 'file:points.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.schema).toBe('Point');
    expect(v.source).toBe('file:points.json');
    expect(v.issues.map((i) => [i.path, i.code])).toEqual([
      ['x', 'invalid_type'],
      ['tags.1', 'invalid_type'],
    ]);
    expect(v.message).toBe(
      'Invalid Point (from file:points.json): x: Invalid input: expected number, received string; ' +
        'tags.1: Invalid input: expected string, received number',
    );
    expect(v.cause).toBeInstanceOf(z.ZodError);
  });

  it('leaves the source out of the message when none is given', () => {
    expect(() => parse(Point, 'Point', { x: 1 })).toThrow(
      /^Invalid Point: y: Invalid input: expected number, received undefined$/,
    );
    try {
      parse(Point, 'Point', { x: 1 });
    } catch (e) {
      expect((e as ValidationError).source).toBe('');
    }
  });
});

describe('safeParse', () => {
  it('returns ok with the value for valid input', () => {
    expect(safeParse(Point, 'Point', { x: 0, y: -1 })).toEqual({ ok: true, value: { x: 0, y: -1 } });
  });

  it('returns the same ValidationError parse would throw, without throwing', () => {
    const input = { x: 1, y: 2, z: 3 };
    const result = safeParse(Point, 'Point', input, 'topic/a');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ValidationError);
    expect(() => parse(Point, 'Point', input, 'topic/a')).toThrow(result.error.message);
    expect(result.error.issues).toEqual([
      { path: '', code: 'unrecognized_keys', message: 'Unrecognized key: "z"' },
    ]);
  });
});

describe('parseJsonText', () => {
  it('parses text, passes values through, and names a text that is not JSON with the hint', () => {
    expect(parseJsonText('[1,2]', 'RuleSet', 'give an array')).toEqual([1, 2]);
    const value = { rules: [] };
    expect(parseJsonText(value, 'RuleSet', 'give an array')).toBe(value);
    try {
      parseJsonText('{ nope', 'RuleSet', 'give an array', 'rules.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues).toEqual([
        {
          path: '',
          code: 'invalid_json',
          message: expect.stringMatching(/^not JSON \(.*\); give an array$/),
        },
      ]);
      expect((e as ValidationError).message).toContain('rules.json');
    }
  });
});
