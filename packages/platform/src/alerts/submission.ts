import { Alert, ValidationError, type ValidationIssue } from '@healthit/core';
import type { AlertSubmission } from './types.js';

/** Routes an alert carries at most. */
export const MAX_ROUTES = 32;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const NAME_HINT =
  'must be 1-128 letters, digits, ".", "_", ":", "@", "/", "-", starting with a letter or digit';

/** The schema name used in {@link ValidationError}s for submissions. */
export const ALERT_SUBMISSION_SCHEMA_NAME = 'AlertSubmission';

function checkName(value: unknown, path: string, issues: ValidationIssue[]): void {
  if (typeof value !== 'string' || !NAME.test(value))
    issues.push({ path, code: 'invalid_format', message: NAME_HINT });
}

/**
 * Validates an alert as submitted to the manager: a core `Alert`, or `{ alert, route?, ward?,
 * source? }`. Never throws.
 */
export function parseAlertSubmission(
  input: unknown,
  source?: string,
):
  | { readonly ok: true; readonly value: AlertSubmission }
  | { readonly ok: false; readonly error: ValidationError } {
  const wrapped = typeof input === 'object' && input !== null && 'alert' in input;
  const raw = wrapped ? (input as { alert: unknown }).alert : input;
  const parsed = Alert.safeParse(raw);
  const issues: ValidationIssue[] = [];
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = i.path.map(String).join('.');
      issues.push({
        path: wrapped ? (path ? `alert.${path}` : 'alert') : path,
        message: i.message,
        code: i.code,
      });
    }
  }
  let route: string[] | undefined;
  let ward: string | undefined;
  let from: string | undefined;
  if (wrapped) {
    const w = input as Record<string, unknown>;
    for (const key of Object.keys(w)) {
      if (!['alert', 'route', 'ward', 'source'].includes(key)) {
        issues.push({ path: '', code: 'unrecognized_keys', message: `Unrecognized key: "${key}"` });
      }
    }
    if (w.route !== undefined) {
      if (!Array.isArray(w.route) || w.route.length > MAX_ROUTES) {
        issues.push({
          path: 'route',
          code: 'invalid_type',
          message: `must be an array of at most ${MAX_ROUTES} names`,
        });
      } else {
        w.route.forEach((r, i) => {
          checkName(r, `route.${i}`, issues);
        });
        route = [...new Set(w.route as string[])];
      }
    }
    if (w.ward !== undefined) {
      checkName(w.ward, 'ward', issues);
      ward = w.ward as string;
    }
    if (w.source !== undefined) {
      checkName(w.source, 'source', issues);
      from = w.source as string;
    }
  }
  if (issues.length > 0 || !parsed.success) {
    return {
      ok: false,
      error: new ValidationError(
        ALERT_SUBMISSION_SCHEMA_NAME,
        issues,
        source === undefined ? {} : { source },
      ),
    };
  }
  return {
    ok: true,
    value: {
      alert: parsed.data,
      ...(route === undefined ? {} : { route }),
      ...(ward === undefined ? {} : { ward }),
      ...(from === undefined ? {} : { source: from }),
    },
  };
}
