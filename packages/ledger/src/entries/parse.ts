import { parse, ValidationError } from '@healthit/core';
import { Entry } from './entry.js';
import { EntryError } from './errors.js';

/**
 * Validates an entry and returns a fresh copy.
 * @throws {EntryError} reason `invalid` (its `cause` a {@link ValidationError} naming every
 *   offending field) for an unknown kind or member, a body that does not match its kind, etc.
 */
export function parseEntry(input: unknown, source?: string): Entry {
  try {
    return parse(Entry, 'Entry', input, source) as Entry;
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new EntryError('invalid', error.message, { cause: error });
    }
    throw error;
  }
}
