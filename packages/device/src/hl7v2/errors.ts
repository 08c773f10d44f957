import { HealthItError } from '@healthit/core';

/**
 * HL7 table 0357 (message error condition codes) as used in ERR-3 of an acknowledgement: the
 * code and its text.
 */
export const HL7_ERROR_CODES = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
} as const;

/** A code of HL7 table 0357, see {@link HL7_ERROR_CODES}. */
export type Hl7ErrorCode = keyof typeof HL7_ERROR_CODES;

/** Where in a message an {@link Hl7ParseError} was found. */
export interface Hl7ErrorLocation {
  /** 0-based position of the segment in the message (blank lines are not counted); -1 when unknown. */
  readonly segmentIndex: number;
  /** The segment id, e.g. `OBX`; empty when unknown. */
  readonly segmentId: string;
  /**
   * 1-based occurrence of this segment id in the message (the 2nd OBX is 2), as ERR-2 wants it;
   * 0 when unknown.
   */
  readonly segmentSequence: number;
  /** HL7 field number (MSH-1 is the field separator), 0 for the segment as a whole. */
  readonly field: number;
}

/** Options of {@link Hl7ParseError}. */
export interface Hl7ParseErrorOptions extends Partial<Hl7ErrorLocation> {
  /** The HL7 table 0357 code an acknowledgement should carry. Default 102 (data type error). */
  readonly hl7ErrorCode?: Hl7ErrorCode;
  /** The underlying error, if the problem was found by another parser; kept as the error's `cause`. */
  readonly cause?: unknown;
}

/**
 * An HL7 v2 message (or a value inside one) is malformed: a `codec/decode` {@link HealthItError}
 * (permanent) naming the segment index, segment id, field and the reason.
 *
 * `hl7ErrorCode` is the HL7 table 0357 code to put in the ERR segment of an acknowledgement
 * (100 segment sequence error, 101 required field missing, 102 data type error, 103 table value
 * not found).
 *
 * @example
 * ```ts
 * try { parseHl7(text) } catch (e) {
 *   if (e instanceof Hl7ParseError) console.warn(e.segmentId, e.field, e.reason);
 * }
 * ```
 */
export class Hl7ParseError extends HealthItError {
  /** Always `Hl7ParseError`. */
  override readonly name = 'Hl7ParseError';
  /** 0-based position of the segment in the message (blank lines are not counted); -1 when unknown. */
  readonly segmentIndex: number;
  /** The segment id, e.g. `OBX`; empty when unknown. */
  readonly segmentId: string;
  /**
   * 1-based occurrence of this segment id in the message (the 2nd OBX is 2), as ERR-2 wants it; 0 when
   * unknown.
   */
  readonly segmentSequence: number;
  /** HL7 field number (MSH-1 is the field separator), 0 for the segment as a whole or when unknown. */
  readonly field: number;
  /** What is wrong, without the location. */
  readonly reason: string;
  /**
   * The HL7 table 0357 code for ERR-3 of the acknowledgement, e.g. 101 required field missing; default 102
   * (data type error).
   */
  readonly hl7ErrorCode: Hl7ErrorCode;

  /**
   * Creates the error, with code `codec/decode` and a message that starts with the location.
   * @param reason - What is wrong, without the location, e.g. `OBX-5 is not a number`.
   * @param options - Where it was found, the table 0357 code (default 102) and the cause; an
   *   unknown location is left out of the message.
   */
  constructor(reason: string, options: Hl7ParseErrorOptions = {}) {
    const segmentIndex = options.segmentIndex ?? -1;
    const segmentId = options.segmentId ?? '';
    const field = options.field ?? 0;
    const hl7ErrorCode = options.hl7ErrorCode ?? 102;
    super('codec/decode', `HL7 v2: ${describeLocation(segmentIndex, segmentId, field)}${reason}`, {
      cause: options.cause,
      detail: {
        segmentIndex,
        segmentId,
        segmentSequence: options.segmentSequence ?? 0,
        field,
        reason,
        hl7ErrorCode,
      },
    });
    this.segmentIndex = segmentIndex;
    this.segmentId = segmentId;
    this.segmentSequence = options.segmentSequence ?? 0;
    this.field = field;
    this.reason = reason;
    this.hl7ErrorCode = hl7ErrorCode;
  }
}

function describeLocation(segmentIndex: number, segmentId: string, field: number): string {
  if (segmentIndex < 0 && segmentId === '') return '';
  const where =
    segmentIndex >= 0 ? `segment index ${segmentIndex}${segmentId ? ` (${segmentId})` : ''}` : segmentId;
  return field > 0 ? `${where}, field ${segmentId || 'field'}-${field}: ` : `${where}: `;
}

/**
 * A well-formed HL7 v2 message of a type the receiver does not handle (e.g. an ORU^R40 given to
 * `oruToReadings`). A `codec/decode` {@link HealthItError}; an acknowledgement should reject it
 * with AR and table 0357 code 200 (or 201 for an unsupported trigger event).
 */
export class Hl7UnsupportedMessageError extends HealthItError {
  /** Always `Hl7UnsupportedMessageError`. */
  override readonly name = 'Hl7UnsupportedMessageError';
  /** MSH-9 as received, e.g. `ORU^R40^ORU_R40`. */
  readonly messageType: string;
  /** The message types that are supported, e.g. `['ORU^R01']`. */
  readonly supported: readonly string[];
  /**
   * The HL7 table 0357 code for ERR-3 of the AR acknowledgement: 200 unsupported message type, 201
   * unsupported event code.
   */
  readonly hl7ErrorCode: 200 | 201;

  /**
   * Creates the error, with code `codec/decode`.
   * @param messageType - MSH-9 as received, e.g. `ORU^R40^ORU_R40` (may be empty).
   * @param supported - The message types the receiver handles, e.g. `['ORU^R01']`.
   * @param hl7ErrorCode - 200 (unsupported message type, the default) or 201 (unsupported trigger
   *   event).
   */
  constructor(messageType: string, supported: readonly string[], hl7ErrorCode: 200 | 201 = 200) {
    super(
      'codec/decode',
      `HL7 v2: message type ${messageType || '(empty MSH-9)'} is not supported here; supported: ${supported.join(', ')}`,
      { detail: { messageType, supported: [...supported], hl7ErrorCode } },
    );
    this.messageType = messageType;
    this.supported = supported;
    this.hl7ErrorCode = hl7ErrorCode;
  }
}
