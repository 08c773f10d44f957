import { createEnvelope, envelopeJsonCodec, utf8Encode } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { envelopeBytes, reading } from '../../test/fixtures.js';
import { createCodecRegistry } from './codec-registry.js';
import { decodeReadingsMessage } from './decode-message.js';

const codecs = createCodecRegistry();
const fromTopic = (t: string) => t.split('/')[1];
const msg = (topic: string, payload: Uint8Array) => ({ topic, payload, retained: false });

describe('decodeReadingsMessage', () => {
  it('turns an envelope of a JSON batch into its readings', () => {
    const rs = [reading('mon-1', 1, 'heart-rate', 72, '/min'), reading('mon-1', 2, 'spo2', 97, '%')];
    const out = decodeReadingsMessage(
      msg('devices/mon-1/readings', envelopeBytes('mon-1', 1, rs)),
      codecs,
      fromTopic,
    );
    expect(out.readings).toEqual(rs);
    expect(out.events).toEqual([]);
    expect(out.envelope?.id).toBe('mon-1:1');
  });

  it('rejects bytes that are not an envelope, saying why', () => {
    const out = decodeReadingsMessage(
      msg('devices/mon-1/readings', utf8Encode('{"hello":')),
      codecs,
      fromTopic,
    );
    expect(out.readings).toEqual([]);
    expect(out.events).toHaveLength(1);
    const [event] = out.events;
    expect(event?.type).toBe('message-rejected');
    expect(event?.type === 'message-rejected' && event.error.code).toBe('codec/decode');
  });

  it('rejects an envelope with an unknown content type, naming it', () => {
    const env = createEnvelope({
      source: 'mon-1',
      seq: 1,
      ts: 0,
      contentType: 'application/x-unknown',
      payload: utf8Encode('x'),
    });
    const out = decodeReadingsMessage(
      msg('devices/mon-1/readings', envelopeJsonCodec.encode(env)),
      codecs,
      fromTopic,
    );
    const [event] = out.events;
    expect(event?.type === 'message-rejected' && event.error.code).toBe('codec/unknown-content-type');
    expect(event?.type === 'message-rejected' && event.error.message).toContain('application/x-unknown');
  });

  it('rejects an envelope whose source is not the device the topic belongs to', () => {
    const rs = [reading('mon-2', 1, 'heart-rate', 72, '/min')];
    const out = decodeReadingsMessage(
      msg('devices/mon-1/readings', envelopeBytes('mon-2', 1, rs)),
      codecs,
      fromTopic,
    );
    expect(out.readings).toEqual([]);
    expect(out.events[0]?.type).toBe('message-rejected');
  });

  it('rejects a batch with an invalid reading as a whole, with the field that was wrong', () => {
    const bad = { ...reading('mon-1', 2, 'heart-rate', 72, '/min'), value: 'fast' };
    const out = decodeReadingsMessage(
      msg('devices/mon-1/readings', envelopeBytes('mon-1', 1, [reading('mon-1', 1, 'spo2', 97, '%'), bad])),
      codecs,
      fromTopic,
    );
    expect(out.readings).toEqual([]);
    const [event] = out.events;
    expect(event?.type === 'message-rejected' && event.error.code).toBe('validation/invalid');
    expect(event?.type === 'message-rejected' && event.error.message).toMatch(/1\.value/);
  });

  it('refuses a reading that names another device but keeps its siblings', () => {
    const own = reading('mon-1', 1, 'heart-rate', 72, '/min');
    const foreign = reading('mon-9', 1, 'heart-rate', 72, '/min');
    const out = decodeReadingsMessage(
      msg('devices/mon-1/readings', envelopeBytes('mon-1', 1, [own, foreign])),
      codecs,
      fromTopic,
    );
    expect(out.readings).toEqual([own]);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]).toMatchObject({ type: 'reading-rejected', readingId: 'mon-9:1' });
  });
});
