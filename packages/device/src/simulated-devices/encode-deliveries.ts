import { mergeMap, type OperatorFunction } from 'rxjs';
import type { SimulationTick } from '../simulator/engine.js';
import { type EncodedSample, type EncodeSampleOptions, encodeDeviceSample } from './encode-sample.js';

/**
 * Turns simulation ticks into what goes on the wire: each delivered sample (on time, late or
 * duplicated, in delivery order) encoded in its device's own format. Samples with nothing
 * measured are skipped.
 *
 * @example
 * ```ts
 * ward.ticks$.pipe(encodeDeliveries()).subscribe((frame) => {
 *   if (frame.encoding === 'ble-gatt') notify(frame.sample.deviceId, frame.characteristic, frame.bytes);
 * });
 * ```
 */
export function encodeDeliveries(
  options: EncodeSampleOptions | ((sample: EncodedSample['sample']) => EncodeSampleOptions) = {},
): OperatorFunction<SimulationTick, EncodedSample> {
  const optionsFor = typeof options === 'function' ? options : () => options;
  return mergeMap((tick) => {
    const out: EncodedSample[] = [];
    for (const { sample } of tick.deliveries) {
      const encoded = encodeDeviceSample(sample, optionsFor(sample));
      if (encoded) out.push(encoded);
    }
    return out;
  });
}
