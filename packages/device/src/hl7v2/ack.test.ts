import { describe, expect, it } from 'vitest';
import { ackErrorOf, buildAck, readAck } from './ack.js';
import { Hl7ParseError } from './errors.js';
import { parseHl7, parseHl7Header } from './parse.js';

const ORU =
  'MSH|^~\\&|MON^0123456789ABCDEF^EUI-64|ICU|HIS|HOSP|20250101120000+0000||ORU^R01^ORU_R01|MSG-7|P|2.6|||AL|NE||UNICODE UTF-8\r' +
  'PID|||P-1\rOBR|1\rOBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|%^^UCUM|||||F\r';
const T = Date.UTC(2025, 0, 1, 12, 0, 1);

describe('buildAck', () => {
  it('AA: swaps sender and receiver, echoes MSH-10 in MSA-2 and MSH-11/12/18', () => {
    expect(buildAck(parseHl7(ORU), { code: 'AA', controlId: 'ACK-1', timestamp: T })).toBe(
      'MSH|^~\\&|HIS|HOSP|MON^0123456789ABCDEF^EUI-64|ICU|20250101120001+0000||ACK^R01^ACK|ACK-1|P|2.6||||||UNICODE UTF-8\r' +
        'MSA|AA|MSG-7\r',
    );
  });

  it('AE with an ERR per error: location, table 0357 code and text, severity, message', () => {
    const parseError = new Hl7ParseError('unknown escape sequence "Q"', {
      segmentIndex: 5,
      segmentId: 'OBX',
      segmentSequence: 3,
      field: 5,
      hl7ErrorCode: 102,
    });
    const text = buildAck(parseHl7(ORU), {
      code: 'AE',
      controlId: 'ACK-2',
      timestamp: T,
      utcOffsetMinutes: 60,
      sendingApplication: ['GW', 'AABB', 'EUI-64'],
      errors: [ackErrorOf(parseError), { hl7ErrorCode: 207, severity: 'W', message: 'a|b^c' }],
    });
    expect(text.split('\r')).toEqual([
      'MSH|^~\\&|GW^AABB^EUI-64|HOSP|MON^0123456789ABCDEF^EUI-64|ICU|20250101130001+0100||ACK^R01^ACK|ACK-2|P|2.6||||||UNICODE UTF-8',
      'MSA|AE|MSG-7',
      `ERR||OBX^3^5|102^Data type error^HL70357|E||||HL7 v2: segment index 5 (OBX), field OBX-5: unknown escape sequence "Q"`,
      'ERR|||207^Application internal error^HL70357|W||||a\\F\\b\\S\\c',
      '',
    ]);
  });

  it('AR with no original: empty MSA-2, MSH-9 ACK, version 2.6', () => {
    expect(
      buildAck(undefined, {
        code: 'AR',
        controlId: 'ACK-3',
        timestamp: T,
        errors: [{ hl7ErrorCode: 207, message: 'oversize' }],
      }),
    ).toBe(
      'MSH|^~\\&|||||20250101120001+0000||ACK|ACK-3|P|2.6\rMSA|AR\rERR|||207^Application internal error^HL70357|E||||oversize\r',
    );
  });

  it('acknowledges a header-only parse, and re-encodes fields sent with other delimiters', () => {
    const odd = 'MSH#*!%$#MON*EUI#ICU#HIS#HOSP#20250101##ORU*R01#X%F%1#T#2.5\rOBX#1#ST#x##%Q%';
    const ack = buildAck(parseHl7Header(odd), { code: 'AE', controlId: 'A', timestamp: T, text: 'see ERR' });
    expect(ack).toBe(
      'MSH|^~\\&|HIS|HOSP|MON^EUI|ICU|20250101120001+0000||ACK^R01^ACK|A|T|2.5\rMSA|AE|X#1|see ERR\r',
    );
    expect(readAck(parseHl7(ack)).controlId).toBe('X#1');
  });

  it('rejects an empty control id', () => {
    expect(() => buildAck(undefined, { code: 'AA', controlId: '', timestamp: T })).toThrow(RangeError);
  });
});

describe('readAck', () => {
  it('reads what buildAck wrote', () => {
    const ack = readAck(
      parseHl7(
        buildAck(parseHl7(ORU), {
          code: 'AE',
          controlId: 'A-1',
          timestamp: T,
          errors: [
            {
              hl7ErrorCode: 101,
              message: 'PID-3 missing',
              location: { segmentId: 'PID', segmentSequence: 1, field: 3 },
            },
          ],
        }),
      ),
    );
    expect(ack).toMatchObject({
      code: 'AE',
      controlId: 'MSG-7',
      text: '',
      errors: [
        {
          hl7ErrorCode: '101',
          text: 'Required field missing',
          severity: 'E',
          location: 'PID^1^3',
          message: 'PID-3 missing',
        },
      ],
    });
    expect(ack.message.header.messageType).toBe('ACK^R01');
  });

  it('reads v2.3-style acknowledgements with MSA-3 and ERR-7', () => {
    const ack = readAck(parseHl7('MSH|^~\\&|R||S||20250101||ACK|9|P|2.3\rMSA|CA|MSG-7|fine\rERR|||||||diag'));
    expect(ack).toMatchObject({
      code: 'CA',
      controlId: 'MSG-7',
      text: 'fine',
      errors: [{ message: 'diag' }],
    });
  });

  it('rejects a message without MSA or with a bad MSA-1', () => {
    expect(() => readAck(parseHl7(ORU))).toThrow(expect.objectContaining({ hl7ErrorCode: 101 }));
    expect(() => readAck(parseHl7('MSH|^~\\&|R||||||ACK|9|P|2.6\rMSA|OK|1'))).toThrow(
      expect.objectContaining({ hl7ErrorCode: 103, field: 1 }),
    );
  });
});
