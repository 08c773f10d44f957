import { type Reading, ValidationError, type ValidationIssue } from '@healthit/core';
import type { SkipReason } from './skipped.js';
import type { FhirReference } from './types.js';

/**
 * How an Observation references its patient or device:
 *
 * - `{ type: 'id' }`: a literal reference to the reading's own id, `Patient/{patientId}` or
 *   `Device/{deviceId}` — when the FHIR server's logical ids are the SDK's ids;
 * - `{ type: 'identifier', system }`: a logical reference by business identifier,
 *   `{ type: 'Patient', identifier: { system, value: patientId } }` — when the server knows the
 *   patient by MRN or the device by serial number;
 * - `{ type: 'reference', reference }`: the same reference for every reading (e.g. a batch that is
 *   known to belong to one patient);
 * - `{ type: 'resolve', resolve }`: a function of the reading (e.g. a lookup in the hospital's
 *   master patient index); `undefined` means "no reference".
 */
export type ReferenceBy =
  | {
      /** A literal reference to the reading's own id: `Patient/{patientId}` or `Device/{deviceId}`. */
      readonly type: 'id';
    }
  | {
      /** A logical reference by business identifier, its value the reading's patientId or deviceId. */
      readonly type: 'identifier';
      /** The identifier's system (an absolute URI), e.g. the hospital's MRN namespace `urn:oid:…`. */
      readonly system: string;
    }
  | {
      /** The same fixed reference for every reading. */
      readonly type: 'reference';
      /** The reference put on every Observation (copied); needs a `reference` or an `identifier`. */
      readonly reference: Readonly<FhirReference>;
    }
  | {
      /** A reference computed per reading. */
      readonly type: 'resolve';
      /**
       * Returns the reference for `reading`, or `undefined` for none (no patient skips the reading
       * as `no-subject`; no device leaves out `Observation.device`). A result with neither
       * `reference` nor identifier skips the reading as `invalid-reference`.
       */
      readonly resolve: (reading: Reading) => FhirReference | undefined;
    };

/** Where the Observations made by `toFhirObservations` belong, and how they are identified. */
export interface ObservationContext {
  /**
   * The `Observation.identifier.system` (an absolute URI, e.g.
   * `https://hospital.example/fhir/sid/iomt-reading`); the value derives from the reading ids.
   */
  readonly identifierSystem: string;
  /** How to reference the patient (`Observation.subject`, required by the vital-signs profile). */
  readonly patient: ReferenceBy;
  /** How to reference the device (`Observation.device`); omitted when not given. */
  readonly device?: ReferenceBy;
  /**
   * The encounter (`Observation.encounter`), e.g. the ward stay. R4 Observation has no location
   * element: the ward is the encounter's `location`.
   */
  readonly encounter?: Readonly<FhirReference>;
}

/** A FHIR R4 `id` (the logical id in a literal reference). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** An absolute URI: a scheme, a colon, and no whitespace. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

function isReference(r: unknown): r is FhirReference {
  if (typeof r !== 'object' || r === null) return false;
  const { reference, identifier } = r as FhirReference;
  if (reference !== undefined) return typeof reference === 'string' && reference.length > 0;
  return (
    typeof identifier === 'object' &&
    identifier !== null &&
    typeof identifier.system === 'string' &&
    typeof identifier.value === 'string' &&
    identifier.value.length > 0
  );
}

function checkReferenceBy(by: unknown, path: string): ValidationIssue | undefined {
  const issue = (message: string, at = path): ValidationIssue => ({ path: at, message, code: 'custom' });
  if (typeof by !== 'object' || by === null) return issue('expected { type: "id" | "identifier" | ... }');
  const b = by as { type?: unknown; system?: unknown; reference?: unknown; resolve?: unknown };
  switch (b.type) {
    case 'id':
      return undefined;
    case 'identifier':
      return typeof b.system === 'string' && ABSOLUTE_URI.test(b.system)
        ? undefined
        : issue('expected an absolute URI (the identifier system)', `${path}.system`);
    case 'reference':
      return isReference(b.reference)
        ? undefined
        : issue('expected a FHIR Reference with a "reference" or an identifier', `${path}.reference`);
    case 'resolve':
      return typeof b.resolve === 'function' ? undefined : issue('expected a function', `${path}.resolve`);
    default:
      return issue('type must be "id", "identifier", "reference" or "resolve"', `${path}.type`);
  }
}

/**
 * Checks an {@link ObservationContext} (it may come from configuration files).
 *
 * @throws {ValidationError} `validation/invalid` naming every offending field.
 */
export function assertObservationContext(context: ObservationContext): void {
  const issues: ValidationIssue[] = [];
  if (typeof context !== 'object' || context === null) {
    throw new ValidationError('ObservationContext', [
      { path: '', message: 'expected an object', code: 'custom' },
    ]);
  }
  if (typeof context.identifierSystem !== 'string' || !ABSOLUTE_URI.test(context.identifierSystem)) {
    issues.push({
      path: 'identifierSystem',
      message: 'expected an absolute URI, e.g. https://hospital.example/fhir/sid/iomt-reading',
      code: 'custom',
    });
  }
  const patient = checkReferenceBy(context.patient, 'patient');
  if (patient !== undefined) issues.push(patient);
  const device = context.device === undefined ? undefined : checkReferenceBy(context.device, 'device');
  if (device !== undefined) issues.push(device);
  if (context.encounter !== undefined && !isReference(context.encounter)) {
    issues.push({ path: 'encounter', message: 'expected a FHIR Reference', code: 'custom' });
  }
  if (issues.length > 0) throw new ValidationError('ObservationContext', issues);
}

/** A resolved reference, or why none could be made. */
export type ResolvedReference =
  | { readonly ok: true; readonly reference: FhirReference | undefined }
  | { readonly ok: false; readonly reason: SkipReason; readonly message: string };

function copy(r: Readonly<FhirReference>): FhirReference {
  return r.identifier === undefined ? { ...r } : { ...r, identifier: { ...r.identifier } };
}

/**
 * The reference to `resourceType` (`Patient` or `Device`) for `reading`, with `id` the reading's
 * own id of it (its patientId or deviceId). `undefined` when there is nothing to reference.
 */
export function resolveReference(
  by: ReferenceBy,
  resourceType: 'Patient' | 'Device',
  id: string | undefined,
  reading: Reading,
): ResolvedReference {
  const field = resourceType === 'Patient' ? 'patientId' : 'deviceId';
  switch (by.type) {
    case 'reference':
      return { ok: true, reference: copy(by.reference) };
    case 'resolve': {
      const ref = by.resolve(reading);
      if (ref === undefined) return { ok: true, reference: undefined };
      if (!isReference(ref)) {
        return {
          ok: false,
          reason: 'invalid-reference',
          message: `The ${resourceType} resolver returned no "reference" and no identifier for reading ${reading.id}`,
        };
      }
      return { ok: true, reference: copy(ref) };
    }
    case 'id':
      if (id === undefined) return { ok: true, reference: undefined };
      if (!FHIR_ID.test(id)) {
        return {
          ok: false,
          reason: 'invalid-reference',
          message:
            `${field} "${id}" of reading ${reading.id} is not a FHIR id (1-64 of A-Z a-z 0-9 - .), so ` +
            `${resourceType}/${id} is not a valid reference; reference the ${resourceType.toLowerCase()} ` +
            'by identifier ({ type: "identifier", system }) instead',
        };
      }
      return { ok: true, reference: { reference: `${resourceType}/${id}` } };
    case 'identifier':
      if (id === undefined) return { ok: true, reference: undefined };
      return { ok: true, reference: { type: resourceType, identifier: { system: by.system, value: id } } };
  }
}
