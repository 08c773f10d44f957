import { type ErrorClass, type ErrorCode, ErrorCodes } from './codes.js';

/** Options common to every {@link HealthItError}. */
export interface HealthItErrorOptions {
  /** The underlying error (ES2022 `cause`), for third-party errors wrapped at an adapter boundary. */
  readonly cause?: unknown;
  /** Structured, JSON-safe detail for logs and error streams. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * The base class of every error the SDK raises on purpose.
 *
 * `code` names what went wrong (see {@link ErrorCodes}); `retryable` says whether retrying the same
 * operation unchanged can succeed (true for transient and ambiguous errors).
 *
 * @example
 * ```ts
 * try { await store.append(batch) } catch (e) {
 *   if (e instanceof HealthItError && e.retryable) scheduleRetry();
 * }
 * ```
 */
export class HealthItError extends Error {
  /** The error's class name, `HealthItError` here; each subclass overrides it with its own. */
  override readonly name: string = 'HealthItError';
  /** What went wrong, a key of {@link ErrorCodes} such as `transport/disconnected`. */
  readonly code: ErrorCode;
  /** The code's class from {@link ErrorCodes}: `transient`, `ambiguous` or `permanent`. */
  readonly errorClass: ErrorClass;
  /** True when retrying the same operation unchanged can succeed: the class is not `permanent`. */
  readonly retryable: boolean;
  /** Structured, JSON-safe detail for logs and error streams; an empty object when none was given. */
  readonly detail: Readonly<Record<string, unknown>>;

  /**
   * Makes an error of `code`; its class and retryability follow from the code.
   * @param code - What went wrong, a key of {@link ErrorCodes}.
   * @param message - The human-readable message.
   * @param options - The underlying `cause` and structured `detail`, both optional.
   */
  constructor(code: ErrorCode, message: string, options: HealthItErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errorClass = ErrorCodes[code].class;
    this.retryable = this.errorClass !== 'permanent';
    this.detail = options.detail ?? {};
  }

  /** A JSON-safe view, for error streams that cross a process boundary. */
  toJSON(): {
    name: string;
    code: ErrorCode;
    message: string;
    retryable: boolean;
    detail: Record<string, unknown>;
  } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      detail: { ...this.detail },
    };
  }
}

/** True when `e` is a {@link HealthItError}, optionally with the given code. */
export function isHealthItError(e: unknown, code?: ErrorCode): e is HealthItError {
  return e instanceof HealthItError && (code === undefined || e.code === code);
}
