import { HealthItError, type Tensor } from '@healthit/core';

/** The shape options both float32 codecs take. */
interface Float32CodecShape {
  readonly inputName: unknown;
  readonly outputName: unknown;
  readonly width: unknown;
  readonly column?: unknown;
}

/**
 * Checks the options both float32 codecs share; `fn` names the codec in messages.
 * @throws {TypeError} when a name is not a string;
 * @throws {RangeError} when a name is empty, `width` is not a positive integer or `column` is not a
 *   non-negative integer.
 * @internal
 */
export function checkFloat32CodecShape(fn: string, options: Float32CodecShape): void {
  const { inputName, outputName, width, column } = options;
  for (const [name, value] of [
    ['inputName', inputName],
    ['outputName', outputName],
  ] as const) {
    if (typeof value !== 'string') throw new TypeError(`${fn}: ${name} must be a string`);
    if (value.length === 0) throw new RangeError(`${fn}: ${name} must not be empty`);
  }
  if (!Number.isSafeInteger(width) || (width as number) < 1) {
    throw new RangeError(`${fn}: width must be a positive integer, got ${String(width)}`);
  }
  if (column !== undefined && (!Number.isSafeInteger(column) || (column as number) < 0)) {
    throw new RangeError(`${fn}: column must be a non-negative integer, got ${String(column)}`);
  }
}

/**
 * A run's float32 output `outputName` of shape `[rows, k]`: its data and `k`, checked (and that
 * `column`, when given, is below `k`).
 * @throws {HealthItError} `model/run` naming the output, expected vs found.
 * @internal
 */
export function readFloat32Output(
  outputs: Readonly<Record<string, Tensor>>,
  outputName: string,
  rows: number,
  column: number | undefined,
): { data: Float32Array; k: number } {
  const tensor = outputs[outputName];
  if (tensor?.type !== 'float32' || tensor.dims[0] !== rows || tensor.data.length % rows !== 0) {
    const found =
      tensor === undefined
        ? `no output "${outputName}" (outputs: ${Object.keys(outputs).join(', ') || 'none'})`
        : `${tensor.type} [${tensor.dims.join(', ')}]`;
    throw new HealthItError(
      'model/run',
      `output "${outputName}": expected float32 [${rows}, k] for a run of ${rows} rows, found ${found}`,
      { detail: { output: outputName, rows, found } },
    );
  }
  const k = tensor.data.length / rows;
  if (column !== undefined && column >= k) {
    throw new HealthItError(
      'model/run',
      `output "${outputName}": column ${column} asked for, but its rows have ${k} values`,
      { detail: { output: outputName, column, width: k } },
    );
  }
  return { data: tensor.data, k };
}
