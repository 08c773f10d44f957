import { type ErrorCode, HealthItError } from '@healthit/core';
import type { FhirOperationOutcome } from './types.js';

/** Where in an export a failure happened, and what the server said. */
export interface FhirExportErrorDetail {
  /** What was being done: a transaction, or a Patient/Device lookup or create. */
  readonly operation: 'transaction' | 'resolve' | 'read';
  /** 0-based index of the transaction Bundle in this export (`operation: 'transaction'`). */
  readonly bundleIndex?: number;
  /** 0-based index of the failing entry in that Bundle, when the server named it. */
  readonly entryIndex?: number;
  /** The failing Observation's identifier (`system|value`), when the entry is known. */
  readonly identifier?: string;
  /** HTTP status, when there was a response. */
  readonly status?: number;
  /** The server's OperationOutcome, when it sent one. */
  readonly outcome?: FhirOperationOutcome;
  /** Attempts made (1 = no retry). */
  readonly attempts: number;
}

/**
 * A FHIR request failed for good. `code` is:
 * - `validation/invalid` (permanent) — the server refused the content (400, 412, 422) or the
 *   referenced Patient/Device does not exist in `lookup-only` mode;
 * - `security/unauthenticated` (permanent) — 401 or 403;
 * - `config/invalid` (permanent) — any other 4xx (404 on the base URL, 405, 415 ...);
 * - `store/unavailable` (transient) — network errors, timeouts, 408, 429 or 5xx still failing after
 *   every retry: safe to export again later (creates are conditional, so nothing duplicates).
 */
export class FhirExportError extends HealthItError {
  /** Always `FhirExportError`. */
  override readonly name = 'FhirExportError';
  /**
   * What was being done: `transaction` (a Bundle of Observations), `resolve` (a Patient/Device
   * lookup or create) or `read`.
   */
  readonly operation: FhirExportErrorDetail['operation'];
  /** 0-based index of the transaction Bundle in this export; `undefined` outside a transaction. */
  readonly bundleIndex: number | undefined;
  /** 0-based index of the failing entry in that Bundle, when the server named it. */
  readonly entryIndex: number | undefined;
  /** The failing Observation's identifier (`system|value`), when the entry is known. */
  readonly identifier: string | undefined;
  /** HTTP status of the last response; `undefined` when none arrived (network error, timeout). */
  readonly status: number | undefined;
  /** The server's OperationOutcome, when it sent one. */
  readonly outcome: FhirOperationOutcome | undefined;
  /** Requests made: 1 when there was no retry, 0 when refused before sending (e.g. no identifier). */
  readonly attempts: number;

  /**
   * Creates the error.
   * @param code - The SDK error code (see the class description for which failure gets which).
   * @param message - Human-readable description, including the server's diagnostics.
   * @param detail - Where the failure happened and what the server said; copied to the fields and
   * to `detail`.
   * @param cause - The underlying error (e.g. the FHIR client's or fetch's).
   */
  constructor(code: ErrorCode, message: string, detail: FhirExportErrorDetail, cause?: unknown) {
    super(code, message, {
      cause,
      detail: {
        operation: detail.operation,
        ...(detail.bundleIndex === undefined ? {} : { bundleIndex: detail.bundleIndex }),
        ...(detail.entryIndex === undefined ? {} : { entryIndex: detail.entryIndex }),
        ...(detail.identifier === undefined ? {} : { identifier: detail.identifier }),
        ...(detail.status === undefined ? {} : { status: detail.status }),
        ...(detail.outcome === undefined ? {} : { outcome: detail.outcome }),
        attempts: detail.attempts,
      },
    });
    this.operation = detail.operation;
    this.bundleIndex = detail.bundleIndex;
    this.entryIndex = detail.entryIndex;
    this.identifier = detail.identifier;
    this.status = detail.status;
    this.outcome = detail.outcome;
    this.attempts = detail.attempts;
  }
}

/** The error code for a permanent HTTP status. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 409 || status === 412 || status === 422) return 'validation/invalid';
  if (status === 401 || status === 403) return 'security/unauthenticated';
  return 'config/invalid';
}

/** The OperationOutcome's issues as one line: `diagnostics (expression)`; ... */
export function describeOutcome(outcome: FhirOperationOutcome | undefined): string {
  const issues = outcome?.issue ?? [];
  if (issues.length === 0) return 'no OperationOutcome';
  return issues
    .map((i) => {
      const text = i.diagnostics ?? i.details?.text ?? i.code ?? 'error';
      const where = [...(i.expression ?? []), ...(i.location ?? [])];
      return where.length === 0 || text.includes(where[0] as string) ? text : `${text} (${where.join(', ')})`;
    })
    .join('; ');
}
