import { readingRecord, UPLINK_HEADERS, utf8Encode } from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { messageRecord } from './message-record.js';

const JSON_ONLY = ['application/json'];

function msg(subject: string, h: Record<string, string>, data = utf8Encode('{}')) {
  const hs = headers();
  for (const [k, v] of Object.entries(h)) hs.set(k, v);
  return { subject, headers: hs, data };
}

describe('messageRecord', () => {
  it('rebuilds the record from the headers and the subject (escaped key)', () => {
    const data = readingRecord(sampleReading(1)).payload;
    const m = msg(
      'healthit.ward-a.reading.bed%203%2Emonitor',
      {
        [UPLINK_HEADERS.messageId]: 'x:1',
        [UPLINK_HEADERS.kind]: 'reading',
        [UPLINK_HEADERS.contentType]: 'application/json',
      },
      data,
    );
    expect(messageRecord(m, JSON_ONLY)).toEqual({
      ok: true,
      record: { id: 'x:1', kind: 'reading', key: 'bed 3.monitor', payload: data },
    });
  });

  it('refuses a message without id or kind, with an unknown kind or content type, or a bad key token', () => {
    const id = { [UPLINK_HEADERS.messageId]: 'x:1' };
    const cases = [
      [msg('healthit.ward-a.reading.m', { [UPLINK_HEADERS.kind]: 'reading' }), 'validation/invalid'],
      [msg('healthit.ward-a.reading.m', id), 'validation/invalid'],
      [msg('healthit.ward-a.blob.m', { ...id, [UPLINK_HEADERS.kind]: 'blob' }), 'validation/invalid'],
      [
        msg('healthit.ward-a.reading.m', {
          ...id,
          [UPLINK_HEADERS.kind]: 'reading',
          [UPLINK_HEADERS.contentType]: 'application/cbor',
        }),
        'codec/unknown-content-type',
      ],
      [msg('healthit.ward-a.reading.%E0', { ...id, [UPLINK_HEADERS.kind]: 'reading' }), 'validation/invalid'],
    ] as const;
    for (const [m, code] of cases) {
      const out = messageRecord(m, JSON_ONLY);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.error.code).toBe(code);
    }
    const noHeaders = messageRecord(
      { subject: 'healthit.ward-a.reading.m', headers: undefined, data: new Uint8Array() },
      JSON_ONLY,
    );
    expect(noHeaders).toMatchObject({ ok: false, recordId: undefined, kind: undefined });
  });
});
