import { ValidationError } from '@healthit/core';

/**
 * A versioned message declared a version this SDK does not read (or declared none).
 *
 * A {@link ValidationError} (`validation/invalid`, permanent) whose message names the versions
 * that are supported, so the sender's operator knows what to update; `version` holds what the
 * message declared (`undefined` when it had no version field).
 *
 * @example
 * ```ts
 * try { deviceJsonCodec.decode(bytes) } catch (e) {
 *   if (e instanceof UnsupportedVersionError) log.warn(`firmware sends v${e.version}, we read ${e.supportedVersions}`);
 * }
 * ```
 */
export class UnsupportedVersionError extends ValidationError {
  /** The version the message declared, or undefined when it declared none. */
  readonly version: unknown;
  /** The versions this SDK reads. */
  readonly supportedVersions: readonly (string | number)[];

  /**
   * Creates the error: one `unsupported_version` issue at `path`, whose message names the declared
   * version (or its absence) and the supported ones.
   * @param schema - What was being read, e.g. `DeviceMessage`.
   * @param path - The dotted path of the version field, e.g. `v` or `header.schema_id`.
   * @param version - The declared version (undefined when missing).
   * @param supportedVersions - The versions that are read.
   * @param source - Where the input came from (a topic, a file name); may be empty.
   */
  constructor(
    schema: string,
    path: string,
    version: unknown,
    supportedVersions: readonly (string | number)[],
    source?: string,
  ) {
    const declared =
      version === undefined
        ? `has no version field "${path}"`
        : `declares unsupported version ${describe(version)}`;
    super(
      schema,
      [
        {
          path,
          code: 'unsupported_version',
          message: `${schema} ${declared}; supported versions: ${supportedVersions.join(', ')}`,
        },
      ],
      source === undefined ? {} : { source },
    );
    this.version = version;
    this.supportedVersions = supportedVersions;
  }
}

function describe(version: unknown): string {
  const text = typeof version === 'string' ? JSON.stringify(version) : String(version);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
