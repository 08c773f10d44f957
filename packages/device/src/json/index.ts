/**
 * The versioned JSON device message for MQTT devices, and its `Codec<Reading[]>`. Browser-safe.
 * @packageDocumentation
 */
export {
  createDeviceJsonCodec,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEVICE_JSON_V1,
  type DeviceJsonOptions,
  decodeDeviceMessage,
  deviceJsonCodec,
  deviceMessageToReadings,
  encodeDeviceMessage,
  parseDeviceMessage,
  type ReadingsToDeviceMessagesOptions,
  readingsToDeviceMessages,
} from './device-json-codec.js';
export {
  DEVICE_MESSAGE_VERSIONS,
  DeviceMeasurementV1,
  type DeviceMessage,
  DeviceMessageV1,
  type DeviceMessageVersion,
  MAX_MEASUREMENTS_PER_MESSAGE,
} from './device-message.js';
export { UnsupportedVersionError } from './unsupported-version-error.js';
