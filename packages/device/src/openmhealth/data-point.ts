import { parse, ValidationError } from '@healthit/core';
import { z } from 'zod';
import { UnsupportedVersionError } from '../json/unsupported-version-error.js';
import { OmhDateTime } from './building-blocks.js';
import {
  OMH_MEASURE_NAMES,
  OMH_MEASURE_SCHEMAS,
  type OmhBodyOf,
  type OmhMeasureName,
} from './measure-schemas.js';

/** The namespace of the Open mHealth schemas. */
export const OMH_NAMESPACE = 'omh';

/** `schema-id`: which schema a data point's body follows, e.g. `{ namespace: 'omh', name: 'heart-rate', version: '2.0' }`. */
export const OmhSchemaId = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  version: z.string().regex(/^[0-9]+\.[0-9]+$/, 'must be MAJOR.MINOR, e.g. 2.0'),
});
export type OmhSchemaId = z.infer<typeof OmhSchemaId>;

/** `acquisition-provenance`: where a data point came from. */
export const OmhAcquisitionProvenance = z.object({
  /** The name of the source, e.g. an app or a device; this SDK writes the device id. */
  source_name: z.string().min(1),
  /** When the source created the data. */
  source_creation_date_time: OmhDateTime.optional(),
  modality: z.enum(['sensed', 'self-reported']).optional(),
});
export type OmhAcquisitionProvenance = z.infer<typeof OmhAcquisitionProvenance>;

/** `header` of an Open mHealth data point. */
export const OmhHeader = z.object({
  /** The data point's id, unique for its producer (usually a UUID). */
  id: z.string().min(1),
  /** When the data point was created. */
  creation_date_time: OmhDateTime,
  schema_id: OmhSchemaId,
  acquisition_provenance: OmhAcquisitionProvenance.optional(),
  /** The user (patient) the data is about. */
  user_id: z.string().min(1).optional(),
});
export type OmhHeader = z.infer<typeof OmhHeader>;

/** An Open mHealth data point as JSON: a header and a body that follows `header.schema_id`. */
export interface OmhDataPointJson {
  /** The data point's id, creation time, schema id, provenance and user. */
  readonly header: OmhHeader;
  /** The measurement itself, in the shape of the schema `header.schema_id` names. */
  readonly body: Record<string, unknown>;
}

/** A measure schema this SDK reads, e.g. `{ name: 'heart-rate', version: '2.0' }` or `'omh:heart-rate:2.0'`. */
export type OmhSchemaRef =
  | {
      /** The schema's namespace. Default `omh`. */
      readonly namespace?: string;
      /** The schema's name, e.g. `heart-rate`. */
      readonly name: string;
      /** The schema's version as `MAJOR.MINOR`, e.g. `2.0`. */
      readonly version: string;
    }
  | string;

/** A validated body of one supported measure schema; narrows on `name`. */
export type OmhMeasureBody = {
  [N in OmhMeasureName]: {
    /** The measure schema's name, e.g. `heart-rate`. */
    readonly name: N;
    /** The schema version the body was validated against, as `MAJOR.MINOR`, e.g. `2.0`. */
    readonly version: string;
    /** The body, validated against that schema version. */
    readonly body: OmhBodyOf<N>;
  };
}[OmhMeasureName];

/** A validated Open mHealth data point of a supported measure schema. */
export type OmhMeasureDataPoint = OmhMeasureBody & {
  /** The data point's header, validated. */
  readonly header: OmhHeader;
};

/** Every supported schema as `omh:<name>:<version>`, e.g. `omh:heart-rate:2.0`. */
export const OMH_SUPPORTED_SCHEMAS: readonly string[] = OMH_MEASURE_NAMES.flatMap((name) =>
  Object.keys(OMH_MEASURE_SCHEMAS[name]).map((version) => `${OMH_NAMESPACE}:${name}:${version}`),
);

/** `omh:<name>:<version>` of a schema reference. */
export function formatOmhSchemaRef(ref: OmhSchemaRef): string {
  return typeof ref === 'string' ? ref : `${ref.namespace ?? OMH_NAMESPACE}:${ref.name}:${ref.version}`;
}

function lookup(ref: OmhSchemaRef): { name: OmhMeasureName; version: string; schema: z.ZodType } | undefined {
  let namespace: string | undefined;
  let name: string | undefined;
  let version: string | undefined;
  if (typeof ref === 'string') {
    const parts = ref.split(':');
    if (parts.length !== 3) return undefined;
    [namespace, name, version] = parts;
  } else {
    ({ namespace = OMH_NAMESPACE, name, version } = ref);
  }
  if (namespace !== OMH_NAMESPACE || name === undefined || version === undefined) return undefined;
  if (!Object.hasOwn(OMH_MEASURE_SCHEMAS, name)) return undefined;
  const versions: Readonly<Record<string, z.ZodType>> = OMH_MEASURE_SCHEMAS[name as OmhMeasureName];
  if (!Object.hasOwn(versions, version)) return undefined;
  return { name: name as OmhMeasureName, version, schema: versions[version]! };
}

/**
 * Validates an Open mHealth body against the zod mirror of its measure schema.
 *
 * @param schema the measure schema, e.g. `'omh:blood-pressure:4.0'`;
 * @param body the parsed JSON body;
 * @param source where it came from, named in errors.
 * @throws {UnsupportedVersionError} when the schema is not one of {@link OMH_SUPPORTED_SCHEMAS};
 * @throws {ValidationError} when the body does not match the schema.
 * @example
 * ```ts
 * const m = validateOmhBody('omh:heart-rate:2.0', body);
 * if (m.name === 'heart-rate') console.log(m.body.heart_rate.value);
 * ```
 */
export function validateOmhBody(schema: OmhSchemaRef, body: unknown, source?: string): OmhMeasureBody {
  const found = lookup(schema);
  if (found === undefined) {
    throw new UnsupportedVersionError(
      'OpenMHealthBody',
      'schema_id',
      formatOmhSchemaRef(schema),
      OMH_SUPPORTED_SCHEMAS,
      source,
    );
  }
  const parsed = parse(found.schema, `${OMH_NAMESPACE}:${found.name}:${found.version}`, body, source);
  return { name: found.name, version: found.version, body: parsed } as OmhMeasureBody;
}

const DataPointShape = z.object({ header: OmhHeader, body: z.unknown() });

/**
 * Validates an Open mHealth data point: its header, then its body against the measure schema the
 * header names. Issue paths start with `header.` or `body.`.
 *
 * @throws {UnsupportedVersionError} when `header.schema_id` is not a supported schema;
 * @throws {ValidationError} when the header or the body does not match.
 */
export function validateOmhDataPoint(input: unknown, source?: string): OmhMeasureDataPoint {
  const point = parse(DataPointShape, 'OpenMHealthDataPoint', input, source);
  const id = point.header.schema_id;
  if (lookup(id) === undefined) {
    throw new UnsupportedVersionError(
      'OpenMHealthDataPoint',
      'header.schema_id',
      formatOmhSchemaRef(id),
      OMH_SUPPORTED_SCHEMAS,
      source,
    );
  }
  try {
    return { ...validateOmhBody(id, point.body, source), header: point.header };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const issues = e.issues.map((i) => ({ ...i, path: i.path ? `body.${i.path}` : 'body' }));
    throw new ValidationError(e.schema, issues, { source: e.source, cause: e.cause });
  }
}
