/**
 * Simulated devices speaking real encodings: BLE GATT frames for the wearables, HL7 v2 ORU^R01 for
 * the bedside monitor, the JSON device message for MQTT devices.
 * @packageDocumentation
 */
export { encodeDeliveries } from './encode-deliveries.js';
export {
  DEFAULT_ENCODING_OF_KIND,
  type DeviceEncoding,
  type EncodedSample,
  type EncodeSampleOptions,
  encodeDeviceSample,
  GATT_CHARACTERISTIC_OF_KIND,
} from './encode-sample.js';
