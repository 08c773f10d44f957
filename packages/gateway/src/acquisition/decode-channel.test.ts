import { type ChannelDecoder, HealthItError, utf8Decode, utf8Encode } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { reading } from '../../test/fixtures.js';
import { decodeChannelMessage } from './decode-channel.js';

const msg = (topic: string, text: string) => ({ topic, payload: utf8Encode(text), retained: false });
const ctx = (topic: string, params: Record<string, string> = {}) => ({
  inputName: 'ble',
  topic,
  params,
  receivedAt: 1000,
});

/** A toy decoder: "metric=value" → one reading of the topic's device, seq 1. */
const toy: ChannelDecoder = {
  name: 'toy',
  requiredParams: ['deviceId'],
  decode(bytes, { params, receivedAt }) {
    const [metric, value] = utf8Decode(bytes).split('=');
    if (value === undefined) throw new HealthItError('codec/decode', 'toy: expected metric=value');
    const r = reading(params.deviceId ?? 'x', 1, metric as 'spo2', Number(value), '%');
    return { readings: [{ ...r, ts: receivedAt }], notices: [{ type: 'toy-note', message: 'decoded' }] };
  },
};

describe('decodeChannelMessage', () => {
  it('gives the decoder the topic context and passes its readings and notices on', () => {
    const out = decodeChannelMessage(
      msg('ble/ox-1/x', 'spo2=97'),
      toy,
      ctx('ble/ox-1/x', { deviceId: 'ox-1' }),
    );
    expect(out.readings).toEqual([{ ...reading('ox-1', 1, 'spo2', 97, '%'), ts: 1000 }]);
    expect(out.events).toEqual([
      {
        type: 'decoder-notice',
        inputName: 'ble',
        topic: 'ble/ox-1/x',
        decoder: 'toy',
        notice: { type: 'toy-note', message: 'decoded' },
      },
    ]);
  });

  it('refuses a malformed message with an event naming the input, topic and reason', () => {
    const out = decodeChannelMessage(
      msg('ble/ox-1/x', 'garbage'),
      toy,
      ctx('ble/ox-1/x', { deviceId: 'ox-1' }),
    );
    expect(out.readings).toEqual([]);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]).toMatchObject({ type: 'message-rejected', inputName: 'ble', topic: 'ble/ox-1/x' });
    const e = out.events[0];
    expect(e?.type === 'message-rejected' && e.error.message).toBe('toy: expected metric=value');
    expect(e?.type === 'message-rejected' && Array.from(e.payloadHead)).toEqual(
      Array.from(utf8Encode('garbage')),
    );
  });

  it('wraps what is not a HealthItError as codec/decode and survives a decoder returning nonsense', () => {
    const throwing: ChannelDecoder = {
      name: 'bad',
      decode: () => {
        throw new RangeError('boom');
      },
    };
    const [e1] = decodeChannelMessage(msg('t', 'x'), throwing, ctx('t')).events;
    expect(e1?.type === 'message-rejected' && e1.error.code).toBe('codec/decode');
    expect(e1?.type === 'message-rejected' && e1.error.message).toMatch(
      /Input "ble": bad could not decode .*boom/,
    );
    const nonsense = { name: 'nonsense', decode: () => null } as unknown as ChannelDecoder;
    const [e2] = decodeChannelMessage(msg('t', 'x'), nonsense, ctx('t')).events;
    expect(e2?.type === 'message-rejected' && e2.error.message).toMatch(/returned no \{ readings \}/);
  });

  it('refuses an invalid reading and one of another device than the topic names, keeping the rest', () => {
    const mixed: ChannelDecoder = {
      name: 'mixed',
      decode: () => ({
        readings: [
          reading('ox-1', 1, 'spo2', 97, '%'),
          { ...reading('ox-1', 2, 'spo2', 97, '%'), value: Number.NaN },
          reading('ox-9', 3, 'spo2', 97, '%'),
        ],
      }),
    };
    const out = decodeChannelMessage(msg('ble/ox-1', 'x'), mixed, ctx('ble/ox-1', { deviceId: 'ox-1' }));
    expect(out.readings.map((r) => r.id)).toEqual(['ox-1:1']);
    expect(
      out.events.map((e) => [e.type, e.type === 'reading-rejected' ? e.readingId : '', e.inputName]),
    ).toEqual([
      ['reading-rejected', 'ox-1:2', 'ble'],
      ['reading-rejected', 'ox-9:3', 'ble'],
    ]);
    const foreign = out.events[1];
    expect(foreign?.type === 'reading-rejected' && foreign.error.message).toMatch(/belongs to "ox-1"/);
  });
});
