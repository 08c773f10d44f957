/**
 * Bluetooth GATT health characteristics: IEEE 11073-20601 FLOAT/SFLOAT, decoders and encoders of
 * Heart Rate (0x2A37), Blood Pressure (0x2A35), Temperature (0x2A1C), Glucose (0x2A18), Weight
 * (0x2A9D), PLX Spot-Check (0x2A5E) and PLX Continuous (0x2A5F) measurements, and their mapping
 * to core `Reading`s. Browser-safe: no Node built-ins.
 *
 * @packageDocumentation
 */
export {
  type BloodPressureMeasurement,
  type BloodPressureMeasurementInit,
  type BloodPressureStatus,
  bloodPressureStatus,
  decodeBloodPressureMeasurement,
  encodeBloodPressureMeasurement,
  type PulseRateRange,
} from './blood-pressure.js';
export {
  describeCharacteristic,
  formatUuid16,
  GATT_CHARACTERISTIC_NAMES,
  GATT_CHARACTERISTIC_UUIDS,
  GattCharacteristic,
  type GattCharacteristicInput,
  type GattCharacteristicUuid,
  isGattCharacteristicUuid,
  parseCharacteristicUuid,
  resolveCharacteristic,
} from './characteristics.js';
export { addMinutes, DATE_TIME_BYTES, type GattDateTime, gattDateTimeToEpochMs } from './date-time.js';
export { GattDecodeError, GattEncodeError } from './errors.js';
export type { GattDecodeOptions } from './frame.js';
export {
  GATT_TOPIC_PARAMS,
  GattChannelDecoderOptions,
  GattSeqPolicy,
  gattChannelDecoder,
} from './gatt-channel-decoder.js';
export {
  decodeGatt,
  encodeGatt,
  type GattMeasurement,
  type GattMeasurementInit,
  type GattMeasurementInitMap,
  type GattMeasurementMap,
} from './gatt-codec.js';
export {
  decodeGlucoseMeasurement,
  encodeGlucoseMeasurement,
  GLUCOSE_SAMPLE_LOCATIONS,
  GLUCOSE_SENSOR_STATUS_BITS,
  GLUCOSE_TYPES,
  type GlucoseMeasurement,
  type GlucoseMeasurementInit,
  type GlucoseSensorStatus,
  type GlucoseSensorStatusFlag,
} from './glucose.js';
export {
  decodeHeartRateMeasurement,
  encodeHeartRateMeasurement,
  type HeartRateMeasurement,
  type HeartRateMeasurementInit,
  rrIntervalMs,
  type SensorContact,
} from './heart-rate.js';
export {
  decodeFloat,
  decodeSfloat,
  encodeFloat,
  encodeSfloat,
  type Ieee11073Number,
  type Ieee11073Special,
  type Ieee11073SpecialValue,
  type Ieee11073Value,
  isSpecialValue,
  type MeasuredValue,
  SPECIAL_VALUES,
} from './ieee11073.js';
export {
  decodePlxContinuousMeasurement,
  decodePlxSpotCheckMeasurement,
  encodePlxContinuousMeasurement,
  encodePlxSpotCheckMeasurement,
  PLX_DEVICE_AND_SENSOR_STATUS_BITS,
  PLX_MEASUREMENT_STATUS_BITS,
  type PlxContinuousMeasurement,
  type PlxContinuousMeasurementInit,
  type PlxDeviceAndSensorStatusFlag,
  type PlxMeasurementStatusFlag,
  type PlxSpotCheckMeasurement,
  type PlxSpotCheckMeasurementInit,
  type PlxStatus,
  type PlxStatusInit,
  type SpO2PulseRate,
} from './plx.js';
export type { BitTable } from './status-bits.js';
export {
  decodeTemperatureMeasurement,
  encodeTemperatureMeasurement,
  TEMPERATURE_TYPES,
  type TemperatureMeasurement,
  type TemperatureMeasurementInit,
} from './temperature.js';
export {
  type GattReadingContext,
  type GattReadingEvent,
  type GattReadings,
  gattToReadings,
  type MeasurementSkippedReason,
  type TimestampFallbackReason,
} from './to-readings.js';
export {
  decodeWeightMeasurement,
  encodeWeightMeasurement,
  WEIGHT_MEASUREMENT_UNSUCCESSFUL,
  type WeightMeasurement,
  type WeightMeasurementInit,
} from './weight.js';
