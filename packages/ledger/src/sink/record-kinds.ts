import { ValidationError } from '@healthit/core';
import { EntryBodies, type EntryBody, type EntryKind, EntryKinds } from '../entries/index.js';

/**
 * The `LedgerRecord.type` of every entry kind, in the kebab-case the core port uses
 * (`reading-batch`, `config-change` ...). The kind itself (`reading.batch`) is accepted too.
 */
export const RECORD_TYPES: { readonly [K in EntryKind]: string } = Object.freeze(
  Object.fromEntries(EntryKinds.map((kind) => [kind, kind.replaceAll('.', '-')])) as {
    [K in EntryKind]: string;
  },
);

const KIND_OF_TYPE: ReadonlyMap<string, EntryKind> = new Map(
  EntryKinds.flatMap((kind) => [
    [RECORD_TYPES[kind], kind],
    [kind, kind],
  ]),
);

/** The entry kind a record type maps to, or `undefined` for an unknown type. */
export function entryKindOf(type: unknown): EntryKind | undefined {
  return typeof type === 'string' ? KIND_OF_TYPE.get(type) : undefined;
}

/** A record checked against its kind: the kind and the parsed body (a fresh copy). */
export interface MappedRecord {
  readonly kind: EntryKind;
  readonly body: EntryBody;
}

/**
 * Maps a record to its entry kind and validates its body against the kind's schema.
 * @param position the record's position in the call, for error paths.
 * @throws {ValidationError} for an unknown type or a body that does not match the kind.
 */
export function mapRecord(record: unknown, position: number): MappedRecord {
  const fail = (path: string, message: string, code = 'custom'): never => {
    throw new ValidationError('LedgerRecord', [{ path: `${position}${path}`, message, code }], {
      source: 'transparency-log sink',
    });
  };
  if (typeof record !== 'object' || record === null) return fail('', 'must be a { type, body } object');
  const { type, body } = record as { type?: unknown; body?: unknown };
  const kind = entryKindOf(type);
  if (kind === undefined) {
    return fail(
      '.type',
      `unknown record type ${JSON.stringify(type)}; expected one of ${EntryKinds.map((k) => RECORD_TYPES[k]).join(', ')}`,
    );
  }
  const parsed = EntryBodies[kind].safeParse(body);
  if (!parsed.success) {
    throw new ValidationError(
      `${kind} body`,
      parsed.error.issues.map((i) => ({
        path: [String(position), 'body', ...i.path.map(String)].join('.'),
        message: i.message,
        code: i.code,
      })),
      { source: 'transparency-log sink', cause: parsed.error },
    );
  }
  return { kind, body: parsed.data as EntryBody };
}

/** Chooses the stream of a record; `undefined` falls back to the default rule. */
export type StreamNaming = (kind: EntryKind, body: EntryBody) => string | undefined;

/**
 * The default stream of a record: `device:<device>` for `reading.batch`, `device.onboarded`,
 * `device.decommissioned` and `firmware.rollout.device-state`; `shipment:<shipment>` for `custody.transfer`; `auditStream` for every
 * other kind (their bodies name no device or shipment).
 */
export function defaultStreamOf(kind: EntryKind, body: EntryBody, auditStream: string): string {
  switch (kind) {
    case 'reading.batch':
    case 'device.onboarded':
    case 'device.decommissioned':
    case 'firmware.rollout.device-state':
      return `device:${(body as EntryBody<'reading.batch'>).device}`;
    case 'custody.transfer':
      return `shipment:${(body as EntryBody<'custody.transfer'>).shipment}`;
    default:
      return auditStream;
  }
}
