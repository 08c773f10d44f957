import type { Hl7Delimiters } from './delimiters.js';

/** One segment of a parsed HL7 v2 message. */
export interface Hl7Segment {
  /** The segment id, e.g. `MSH`, `PID`, `OBX`. */
  readonly id: string;
  /** 0-based position in the message (blank lines are not counted). */
  readonly index: number;
  /**
   * The raw (still escaped) fields, HL7-numbered: `fields[0]` is the id and `fields[n]` field n.
   * For MSH, `fields[1]` is MSH-1 (the field separator) and `fields[2]` MSH-2 (the encoding
   * characters). Read values with `hl7Value`, which splits and decodes. A parsed segment splits
   * its line into fields on first access (then cached); `hl7Field` / `hl7Value` read one field
   * without splitting the whole line.
   */
  readonly fields: readonly string[];
}

/** The MSH values every consumer needs, decoded. */
export interface Hl7Header {
  /** MSH-3.1 (namespace id of the sending application). */
  readonly sendingApplication: string;
  /** MSH-4.1. */
  readonly sendingFacility: string;
  /** MSH-5.1. */
  readonly receivingApplication: string;
  /** MSH-6.1. */
  readonly receivingFacility: string;
  /** MSH-7.1 as sent (an HL7 DTM, e.g. `20150122182658+0000`); empty when absent. */
  readonly dateTime: string;
  /** MSH-9.1, e.g. `ORU`. */
  readonly messageCode: string;
  /** MSH-9.2, e.g. `R01`; empty when absent. */
  readonly triggerEvent: string;
  /** MSH-9.3, e.g. `ORU_R01`; empty when absent. */
  readonly messageStructure: string;
  /** `messageCode^triggerEvent`, e.g. `ORU^R01` (just `ACK` when there is no trigger event). */
  readonly messageType: string;
  /** MSH-10, the message control id an acknowledgement echoes in MSA-2. */
  readonly controlId: string;
  /** MSH-11.1: `P` production, `D` debugging, `T` training. */
  readonly processingId: string;
  /** MSH-12.1, e.g. `2.6`. */
  readonly version: string;
}

/** A parsed HL7 v2 message: its delimiters, character set, header and segments. */
export interface Hl7Message {
  /**
   * The separators and escape character the message declares in MSH-1 and MSH-2; its fields are split and
   * unescaped with them.
   */
  readonly delimiters: Hl7Delimiters;
  /** MSH-18 (first repetition, first component), e.g. `UNICODE UTF-8`; empty when absent. */
  readonly charset: string;
  /** The MSH values every consumer needs (sender, receiver, message type, control id, version), decoded. */
  readonly header: Hl7Header;
  /** Every segment in message order, MSH first (blank lines left out). */
  readonly segments: readonly Hl7Segment[];
}
