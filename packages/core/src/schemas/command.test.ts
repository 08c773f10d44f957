import { describe, expect, it } from 'vitest';
import { expectRejected } from '../../test/expect-invalid.js';
import { parse } from '../validate.js';
import { Command, CommandState, CommandStatus, isFinalCommandState, JsonValue } from './command.js';

const T0 = Date.UTC(2025, 0, 1);

const minimalCommand = {
  id: 'cmd-1',
  deviceId: 'o2-valve-1',
  action: 'oxygen.set-flow',
  params: { flowLPerMin: 2 },
  issuedBy: 'rule:spo2-low',
  issuedAt: T0,
} as const;

const fullCommand = {
  ...minimalCommand,
  params: {
    flowLPerMin: 2.5,
    mode: 'continuous',
    humidify: true,
    note: null,
    steps: [1, 2, { at: 30, flow: 3 }],
    limits: { max: { flowLPerMin: 6 } },
  },
  expiresAt: T0 + 60_000,
  causedBy: ['oximeter-3:41', 'oximeter-3:42'],
};

const minimalStatus = {
  commandId: 'cmd-1',
  deviceId: 'o2-valve-1',
  state: 'accepted',
  at: T0 + 5,
} as const;

describe('Command: valid input', () => {
  it('accepts a command with every field, nested JSON parameters included', () => {
    expect(parse(Command, 'Command', fullCommand)).toEqual(fullCommand);
  });

  it('accepts a command without its optional fields and adds none', () => {
    const c = parse(Command, 'Command', minimalCommand);
    expect(c).toEqual(minimalCommand);
    expect('expiresAt' in c || 'causedBy' in c).toBe(false);
  });

  it('accepts empty parameters and an empty causedBy', () => {
    expect(parse(Command, 'Command', { ...minimalCommand, params: {}, causedBy: [] })).toMatchObject({
      params: {},
      causedBy: [],
    });
  });
});

describe('Command: invalid input names the field', () => {
  it.each(['id', 'deviceId', 'action', 'params', 'issuedBy', 'issuedAt'] as const)(
    'rejects a missing %s',
    (field) => {
      const { [field]: _gone, ...rest } = fullCommand;
      expectRejected(Command, 'Command', rest, field);
    },
  );

  it.each([
    ['an empty id', { id: '' }, 'id'],
    ['an id over 300 characters', { id: 'c'.repeat(301) }, 'id'],
    ['a malformed deviceId', { deviceId: 'valve#1' }, 'deviceId'],
    ['an empty action', { action: '' }, 'action'],
    ['array params', { params: [2] }, 'params'],
    ['null params', { params: null }, 'params'],
    ['a NaN parameter', { params: { flowLPerMin: Number.NaN } }, 'params.flowLPerMin'],
    ['an infinite parameter', { params: { flowLPerMin: Number.POSITIVE_INFINITY } }, 'params.flowLPerMin'],
    ['an undefined parameter', { params: { flowLPerMin: undefined } }, 'params.flowLPerMin'],
    ['a function parameter', { params: { callback: () => 1 } }, 'params.callback'],
    ['a Date parameter', { params: { at: new Date(T0) } }, 'params.at'],
    ['a bigint parameter', { params: { big: 1n } }, 'params.big'],
    ['a non-JSON value nested deep', { params: { steps: [1, { flow: Number.NaN }] } }, 'params.steps'],
    ['an empty issuedBy', { issuedBy: '' }, 'issuedBy'],
    ['a negative issuedAt', { issuedAt: -1 }, 'issuedAt'],
    ['a fractional expiresAt', { expiresAt: T0 + 0.5 }, 'expiresAt'],
    ['causedBy that is not an array', { causedBy: 'oximeter-3:42' }, 'causedBy'],
    ['a numeric causedBy entry', { causedBy: ['a', 42] }, 'causedBy.1'],
  ])('rejects %s', (_why, override, path) => {
    expectRejected(Command, 'Command', { ...fullCommand, ...override }, path);
  });

  it('rejects unknown fields (strict)', () => {
    const error = expectRejected(Command, 'Command', { ...fullCommand, priority: 'high' }, '');
    expect(error.message).toContain('"priority"');
  });
});

describe('JsonValue', () => {
  it.each([['text'], [0], [-1.5], [true], [null], [[]], [{}], [{ a: [1, { b: null }] }]])(
    'accepts %j',
    (value) => {
      expect(parse(JsonValue, 'JsonValue', value)).toEqual(value);
    },
  );

  it.each([[undefined], [Number.NaN], [Number.NEGATIVE_INFINITY], [Symbol('s')], [[1, undefined]]])(
    'rejects %s',
    (value) => {
      expectRejected(JsonValue, 'JsonValue', value, '');
    },
  );
});

describe('CommandStatus', () => {
  it.each(CommandState.options)('accepts state %s without a reason', (state) => {
    const s = parse(CommandStatus, 'CommandStatus', { ...minimalStatus, state });
    expect(s).toEqual({ ...minimalStatus, state });
    expect('reason' in s).toBe(false);
  });

  it('accepts a reason', () => {
    const failed = { ...minimalStatus, state: 'rejected', reason: 'exceeds safety limit 6 L/min' };
    expect(parse(CommandStatus, 'CommandStatus', failed)).toEqual(failed);
  });

  it.each(['commandId', 'deviceId', 'state', 'at'] as const)('rejects a missing %s', (field) => {
    const { [field]: _gone, ...rest } = minimalStatus;
    expectRejected(CommandStatus, 'CommandStatus', rest, field);
  });

  it.each([
    ['an empty commandId', { commandId: '' }, 'commandId'],
    ['a malformed deviceId', { deviceId: '' }, 'deviceId'],
    ['an unknown state', { state: 'done' }, 'state'],
    ['a negative at', { at: -5 }, 'at'],
    ['a non-string reason', { reason: 42 }, 'reason'],
    ['an unknown field', { progress: 0.5 }, ''],
  ])('rejects %s', (_why, override, path) => {
    expectRejected(CommandStatus, 'CommandStatus', { ...minimalStatus, ...override }, path);
  });
});

describe('isFinalCommandState', () => {
  it('is true exactly for completed, rejected, failed, expired and cancelled', () => {
    const final = CommandState.options.filter((s) => isFinalCommandState(s));
    expect(final).toEqual(['completed', 'rejected', 'failed', 'expired', 'cancelled']);
    expect(CommandState.options.filter((s) => !isFinalCommandState(s))).toEqual([
      'pending',
      'sent',
      'accepted',
      'running',
    ]);
  });
});
