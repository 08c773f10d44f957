/**
 * The table of error codes every Health-IT package uses.
 *
 * `class` follows the usual split of distributed-systems errors:
 * - `transient`: the operation may succeed if retried unchanged (a broker is down, a pool is busy);
 * - `ambiguous`: it may or may not have taken effect (a publish timed out after sending);
 * - `permanent`: retrying the same input will fail the same way (invalid input, a broken proof).
 */
export const ErrorCodes = {
  'validation/invalid': { class: 'permanent', summary: 'input does not match its schema' },
  'codec/decode': { class: 'permanent', summary: 'bytes could not be decoded by the codec' },
  'codec/encode': { class: 'permanent', summary: 'a value could not be encoded by the codec' },
  'codec/unknown-content-type': { class: 'permanent', summary: 'no codec is registered for a content type' },
  'units/unsupported': { class: 'permanent', summary: 'no conversion between two units' },
  'config/invalid': { class: 'permanent', summary: 'a configuration option is invalid' },
  'state/invalid': {
    class: 'permanent',
    summary: 'an operation was called in a state that does not allow it',
  },
  'transport/closed': { class: 'permanent', summary: 'the transport has been closed' },
  'transport/disconnected': { class: 'transient', summary: 'the transport is not connected' },
  'transport/publish-failed': { class: 'ambiguous', summary: 'a publish may not have been delivered' },
  'transport/invalid-topic': { class: 'permanent', summary: 'a topic or topic filter is malformed' },
  'transport/subscribe-refused': { class: 'permanent', summary: 'the broker refused a subscription' },
  'store/unavailable': { class: 'transient', summary: 'the store cannot be reached' },
  'store/closed': { class: 'permanent', summary: 'the store has been closed' },
  'store/query-failed': { class: 'permanent', summary: 'a store query failed' },
  'ledger/integrity': { class: 'permanent', summary: 'the ledger failed verification' },
  'ledger/signature': { class: 'permanent', summary: 'a signature did not verify' },
  'security/unauthenticated': {
    class: 'permanent',
    summary: 'a sealed or signed message failed authentication (tampered, misdirected or forged)',
  },
  'security/replay': { class: 'permanent', summary: 'a message was replayed, reordered too far, or expired' },
  'model/load': { class: 'permanent', summary: 'a model could not be loaded' },
  'model/run': { class: 'permanent', summary: 'a model run failed' },
  'update/rejected': {
    class: 'permanent',
    summary: 'a firmware update failed verification (metadata, manifest, image or authorisation)',
  },
  'update/unavailable': { class: 'transient', summary: 'update metadata or an image could not be fetched' },
  'buffer/overflow': { class: 'transient', summary: 'a bounded buffer was full and applied its policy' },
} as const satisfies Record<string, { class: ErrorClass; summary: string }>;

/** How an error behaves on retry. */
export type ErrorClass = 'transient' | 'ambiguous' | 'permanent';

/** One of the codes in {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;
