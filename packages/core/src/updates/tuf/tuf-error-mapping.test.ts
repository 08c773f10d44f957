import {
  CryptoError,
  LengthOrHashMismatchError,
  ValueError as ModelValueError,
  UnsignedMetadataError,
} from '@tufjs/models/dist/error.js';
import {
  BadVersionError,
  DownloadHTTPError,
  DownloadLengthMismatchError,
  EqualVersionError,
  ExpiredMetadataError,
  PersistError,
  RepositoryError,
  RuntimeError,
} from 'tuf-js/dist/error.js';
import { describe, expect, it } from 'vitest';
import { HealthItError } from '../../errors/health-it-error.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { isTufWrapperError, tufErrorToUpdateError } from './tuf-error-mapping.js';

const subject = 'metadata/3.snapshot.json';

describe('tufErrorToUpdateError', () => {
  it.each([
    [new UnsignedMetadataError('snapshot was signed by 0/1 keys'), 'signature'],
    [new CryptoError('Invalid key format'), 'signature'],
    [new ModelValueError('multiple signatures found for keyid: ab'), 'signature'],
    [new ModelValueError('duplicate key IDs found'), 'signature'],
    [new ModelValueError('no delegation found for vendor-a'), 'delegation'],
    [new ModelValueError('expected targets, got root'), 'malformed'],
    [new BadVersionError('New timestamp version 1 is less than current version 2'), 'rollback'],
    [new EqualVersionError('New timestamp version 2 is equal to current version 2'), 'rollback'],
    [new BadVersionError('Expected version 2, got 1'), 'rollback'],
    [new BadVersionError("Snapshot version doesn't match timestamp"), 'inconsistent'],
    [new BadVersionError('Version 2 of targets does not match snapshot version 3'), 'inconsistent'],
    [new ExpiredMetadataError('snapshot.json is expired'), 'expired'],
    [new LengthOrHashMismatchError('Expected length 10 but got 11'), 'inconsistent'],
    [new RepositoryError('Missing file targets.json in new snapshot'), 'rollback'],
    [new RepositoryError('Missing vendor-a.json in snapshot'), 'inconsistent'],
    [new RepositoryError("Expected 'timestamp', got root"), 'malformed'],
    [new DownloadLengthMismatchError('Max length reached'), 'too-large'],
    [new SyntaxError('Unexpected end of JSON input'), 'malformed'],
    [new TypeError('signed is not defined'), 'malformed'],
  ] as const)('%s → %s', (error, reason) => {
    const mapped = tufErrorToUpdateError(error, { subject });
    expect(mapped).toBeInstanceOf(UpdateRejectedError);
    expect(mapped).toMatchObject({ reason, cause: error });
  });

  it('names the expired file as the subject', () => {
    expect(
      tufErrorToUpdateError(new ExpiredMetadataError('Final root.json is expired'), { subject }),
    ).toMatchObject({
      subject: 'metadata/root.json',
    });
  });

  it('maps a hash mismatch of a target to digest', () => {
    const error = new LengthOrHashMismatchError('Expected hash a but got b');
    expect(tufErrorToUpdateError(error, { subject: 'po-200/x.bin', target: true })).toMatchObject({
      reason: 'digest',
    });
  });

  it('maps transport, storage and state errors to HealthItError codes', () => {
    expect(tufErrorToUpdateError(new DownloadHTTPError('Failed', 500), { subject })).toMatchObject({
      code: 'update/unavailable',
      retryable: true,
    });
    expect(tufErrorToUpdateError(new PersistError('disk full'), { subject })).toMatchObject({
      code: 'store/unavailable',
    });
    expect(
      tufErrorToUpdateError(new RuntimeError('Cannot update timestamp after snapshot'), { subject }),
    ).toMatchObject({
      code: 'state/invalid',
    });
    const own = new HealthItError('update/unavailable', 'x');
    expect(tufErrorToUpdateError(own, { subject })).toBe(own);
  });

  it('recognises tuf-js wrapper errors', () => {
    expect(isTufWrapperError(new RuntimeError('Unable to load snapshot metadata error Error: x'))).toBe(true);
    expect(isTufWrapperError(new RuntimeError('Cannot update timestamp after snapshot'))).toBe(false);
  });
});
