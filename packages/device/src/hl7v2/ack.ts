import { rawPiece } from './access.js';
import { formatHl7DateTime } from './datetime.js';
import { DEFAULT_HL7_DELIMITERS, type Hl7Delimiters } from './delimiters.js';
import { components, fieldText, recodeField, segment } from './encode.js';
import { HL7_ERROR_CODES, type Hl7ErrorCode, Hl7ParseError } from './errors.js';
import { escapeHl7, unescapeHl7 } from './escape.js';
import type { Hl7Message, Hl7Segment } from './message.js';
import type { Hl7MshParse } from './parse.js';

/**
 * Original-mode acknowledgement codes (MSA-1): AA accepted; AE error (the message was read but
 * its content is in error — the sender should not resend it unchanged); AR rejected (not
 * processed: malformed header, unsupported type, version or processing id, or a receiver
 * problem — the sender may resend).
 */
export type AckCode = 'AA' | 'AE' | 'AR';

/** One ERR segment of an acknowledgement (HL7 v2.5+ layout). */
export interface Hl7AckError {
  /** ERR-3, from HL7 table 0357. */
  readonly hl7ErrorCode: Hl7ErrorCode;
  /** ERR-4: E error (default), W warning, I information. */
  readonly severity?: 'E' | 'W' | 'I';
  /** ERR-8, the user message: what was wrong and what to do. */
  readonly message?: string;
  /** ERR-2, where: segment id, its 1-based occurrence, field number. */
  readonly location?: {
    readonly segmentId: string;
    readonly segmentSequence?: number;
    readonly field?: number;
  };
}

/** Options of {@link buildAck}. */
export interface BuildAckOptions {
  /** MSA-1, the acknowledgement code: AA accepted, AE error, AR rejected (see {@link AckCode}). */
  readonly code: AckCode;
  /** MSH-10 of the acknowledgement itself. */
  readonly controlId: string;
  /** MSH-7 of the acknowledgement, epoch ms. */
  readonly timestamp: number;
  /** UTC offset written in MSH-7. Default 0. */
  readonly utcOffsetMinutes?: number;
  /** MSA-3 text message (deprecated in v2.4+ in favour of ERR; sent only when given). */
  readonly text?: string;
  /**
   * One ERR segment per error, in order (use {@link ackErrorOf} for an {@link Hl7ParseError}). Default none.
   */
  readonly errors?: readonly Hl7AckError[];
  /** MSH-3 of the acknowledgement. Default: the original's receiving application (MSH-5). */
  readonly sendingApplication?: string | readonly string[];
  /** MSH-4 of the acknowledgement. Default: the original's receiving facility (MSH-6). */
  readonly sendingFacility?: string | readonly string[];
}

/** The ERR segment for an {@link Hl7ParseError} (location and table 0357 code). */
export function ackErrorOf(error: Hl7ParseError): Hl7AckError {
  return {
    hl7ErrorCode: error.hl7ErrorCode,
    message: error.message,
    ...(error.segmentId === ''
      ? {}
      : {
          location: {
            segmentId: error.segmentId,
            ...(error.segmentSequence > 0 ? { segmentSequence: error.segmentSequence } : {}),
            ...(error.field > 0 ? { field: error.field } : {}),
          },
        }),
  };
}

function originalMsh(original: Hl7Message | Hl7MshParse): Hl7Segment {
  return 'segments' in original ? (original.segments[0] as Hl7Segment) : original.segment;
}

/**
 * Builds an original-mode acknowledgement (ACK) of a message: MSH (sender and receiver swapped,
 * MSH-9 `ACK^<trigger>^ACK`, MSH-11, MSH-12 and MSH-18 echoed), `MSA|<code>|<original MSH-10>`,
 * and one ERR per error. Always written with the standard delimiters `|^~\&` and CR segment
 * terminators. With no original (its MSH could not be read) MSA-2 is empty, MSH-12 is `2.6`.
 *
 * @throws {RangeError} when `controlId` is empty or `timestamp` is not a valid instant.
 * @example
 * ```ts
 * buildAck(message, { code: 'AA', controlId: 'ACK-1', timestamp: Date.now() });
 * buildAck(message, { code: 'AE', controlId: 'ACK-2', timestamp: Date.now(), errors: [ackErrorOf(e)] });
 * ```
 */
export function buildAck(original: Hl7Message | Hl7MshParse | undefined, options: BuildAckOptions): string {
  if (options.controlId === '') throw new RangeError('controlId (MSH-10 of the ACK) must not be empty');
  const d = DEFAULT_HL7_DELIMITERS;
  const msh = original === undefined ? undefined : originalMsh(original);
  const from: Hl7Delimiters = original?.delimiters ?? d;
  const charset = original?.charset ?? '';
  const raw = (field: number): string =>
    msh === undefined ? '' : recodeField(msh.fields[field] ?? '', from, d, charset);
  const trigger = original?.header.triggerEvent ?? '';
  const mshFields = [
    d.component + d.repetition + d.escape + d.subComponent, // MSH-2
    options.sendingApplication === undefined ? raw(5) : fieldText(options.sendingApplication, d),
    options.sendingFacility === undefined ? raw(6) : fieldText(options.sendingFacility, d),
    raw(3),
    raw(4),
    formatHl7DateTime(options.timestamp, options.utcOffsetMinutes ?? 0),
    '',
    trigger === '' ? 'ACK' : components(['ACK', trigger, 'ACK'], d),
    escapeHl7(options.controlId, d),
    escapeHl7(original?.header.processingId ?? '', d) || 'P',
    (msh === undefined ? '' : escapeHl7(original?.header.version ?? '', d)) || '2.6',
    '',
    '',
    '',
    '',
    '',
    msh === undefined ? '' : raw(18),
  ];
  const lines = [
    `MSH${d.field}${segment('', mshFields, d).slice(1)}`,
    segment(
      'MSA',
      [
        options.code,
        original === undefined ? '' : escapeHl7(original.header.controlId, d),
        options.text === undefined ? '' : escapeHl7(options.text, d),
      ],
      d,
    ),
  ];
  for (const e of options.errors ?? []) {
    const at = e.location;
    lines.push(
      segment(
        'ERR',
        [
          '',
          at === undefined
            ? ''
            : components(
                [
                  at.segmentId,
                  at.segmentSequence === undefined ? '' : String(at.segmentSequence),
                  at.field === undefined ? '' : String(at.field),
                ],
                d,
              ),
          components([String(e.hl7ErrorCode), HL7_ERROR_CODES[e.hl7ErrorCode], 'HL70357'], d),
          e.severity ?? 'E',
          '',
          '',
          '',
          e.message === undefined ? '' : escapeHl7(e.message, d),
        ],
        d,
      ),
    );
  }
  return `${lines.join('\r')}\r`;
}

/** One ERR segment of a received acknowledgement, decoded. */
export interface Hl7AckErrorReport {
  /** ERR-3.1, e.g. `207`. */
  readonly hl7ErrorCode: string;
  /** ERR-3.2. */
  readonly text: string;
  /** ERR-4. */
  readonly severity: string;
  /** ERR-2 as sent, e.g. `OBX^3^5`. */
  readonly location: string;
  /** ERR-8 (user message), else ERR-7 (diagnostic information). */
  readonly message: string;
}

/** A received acknowledgement, decoded. */
export interface Hl7Ack {
  /** MSA-1: AA, AE, AR (or CA, CE, CR in enhanced mode). */
  readonly code: 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';
  /** MSA-2: the control id of the acknowledged message. */
  readonly controlId: string;
  /** MSA-3. */
  readonly text: string;
  /** Every ERR segment of the acknowledgement, in order; empty when there is none. */
  readonly errors: readonly Hl7AckErrorReport[];
  /** The whole acknowledgement message as parsed, for fields beyond MSA and ERR. */
  readonly message: Hl7Message;
}

const ACK_CODES = new Set(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);

/**
 * Reads an acknowledgement: MSA-1, MSA-2, MSA-3 and every ERR.
 *
 * @throws {Hl7ParseError} when there is no MSA segment (101) or MSA-1 is not an acknowledgement
 *   code (103).
 */
export function readAck(message: Hl7Message): Hl7Ack {
  const msa = message.segments.find((s) => s.id === 'MSA');
  if (msa === undefined) {
    throw new Hl7ParseError('an acknowledgement needs an MSA segment', {
      hl7ErrorCode: 101,
      segmentId: 'MSA',
    });
  }
  const d = message.delimiters;
  const v = (seg: Hl7Segment, field: number, comp = 1): string =>
    unescapeHl7(rawPiece(seg.fields[field] ?? '', d, 1, comp, 1), d, message.charset);
  const code = v(msa, 1);
  if (!ACK_CODES.has(code)) {
    throw new Hl7ParseError(
      `MSA-1 ${JSON.stringify(code)} is not an acknowledgement code (AA, AE, AR, CA, CE, CR)`,
      {
        segmentIndex: msa.index,
        segmentId: 'MSA',
        segmentSequence: 1,
        field: 1,
        hl7ErrorCode: 103,
      },
    );
  }
  const errors = message.segments
    .filter((s) => s.id === 'ERR')
    .map((err) => ({
      hl7ErrorCode: v(err, 3),
      text: v(err, 3, 2),
      severity: v(err, 4),
      location: err.fields[2] ?? '',
      message: v(err, 8) || v(err, 7),
    }));
  return {
    code: code as Hl7Ack['code'],
    controlId: unescapeHl7(msa.fields[2] ?? '', d, message.charset),
    text: v(msa, 3),
    errors,
    message,
  };
}
