import {
  HealthItError,
  isUplinkRecordKind,
  UPLINK_HEADERS,
  type UplinkRecord,
  uplinkKeyFromToken,
  ValidationError,
} from '@healthit/core';
import type { JsMsg } from '@nats-io/jetstream';

/** What a JetStream message of the gateway's uplink turns into: its record, or why it cannot be one. */
export type MessageRecord =
  | {
      /** The message is a well-formed uplink record. */
      readonly ok: true;
      /** The record rebuilt from headers, subject and data (payload not decoded). */
      readonly record: UplinkRecord;
    }
  | {
      /** The message can never be a record (a poison message). */
      readonly ok: false;
      /**
       * Why: a `ValidationError` naming the missing or bad header or subject token, or
       * `codec/unknown-content-type` for a content type not in `contentTypes`.
       */
      readonly error: HealthItError;
      /** The `Nats-Msg-Id` header, when the message had one. */
      readonly recordId: string | undefined;
      /** The `Healthit-Kind` header, when the message had one (possibly not a known kind). */
      readonly kind: string | undefined;
    };

function refuse(path: string, message: string, source: string): ValidationError {
  return new ValidationError('UplinkRecord', [{ path, message, code: 'custom' }], { source });
}

/**
 * Rebuilds the {@link UplinkRecord} a gateway published (`createNatsUplink`): `id` from the
 * `Nats-Msg-Id` header, `kind` from `Healthit-Kind`, `key` from the subject's last token
 * (`<prefix>.<site>.<kind>.<key token>`), payload = the message data. Checks the content type
 * against `contentTypes` (a message without one is accepted). Does not decode the payload.
 */
export function messageRecord(
  msg: Pick<JsMsg, 'headers' | 'subject' | 'data'>,
  contentTypes: readonly string[],
): MessageRecord {
  const source = `uplink message ${msg.subject}`;
  const id = msg.headers?.get(UPLINK_HEADERS.messageId) || undefined;
  const kind = msg.headers?.get(UPLINK_HEADERS.kind) || undefined;
  const fail = (error: HealthItError): MessageRecord => ({ ok: false, error, recordId: id, kind });
  if (id === undefined) {
    return fail(
      refuse('id', `no ${UPLINK_HEADERS.messageId} header: not a record of a gateway's uplink`, source),
    );
  }
  if (kind === undefined || !isUplinkRecordKind(kind)) {
    return fail(
      refuse(
        'kind',
        `${UPLINK_HEADERS.kind} header ${kind === undefined ? 'missing' : `"${kind}" is not a record kind`}`,
        source,
      ),
    );
  }
  const contentType = msg.headers?.get(UPLINK_HEADERS.contentType) || undefined;
  if (contentType !== undefined && !contentTypes.includes(contentType)) {
    return fail(
      new HealthItError(
        'codec/unknown-content-type',
        `${source} (record ${id}) has content type "${contentType}"; this consumer accepts ${contentTypes.join(', ')} (option contentTypes)`,
        { detail: { recordId: id, kind, contentType } },
      ),
    );
  }
  const token = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
  let key: string;
  try {
    key = uplinkKeyFromToken(token);
  } catch {
    return fail(refuse('key', `subject token "${token}" is not a valid escaped key`, source));
  }
  return { ok: true, record: { id, kind, key, payload: msg.data } };
}
