/**
 * Open mHealth: zod mirrors of the measure schemas (heart-rate, blood-pressure, body-temperature,
 * oxygen-saturation, respiratory-rate, body-weight, blood-glucose), validation, and mapping to
 * and from core `Reading`s. Browser-safe. `UnsupportedVersionError` is exported by `../json`.
 * @packageDocumentation
 */
export {
  BodyLocation,
  BodyPosture,
  DescriptiveStatistic,
  DURATION_UNITS,
  DurationUnitValue,
  IeeeTimeFrame,
  IeeeTimeInterval,
  MASS_UNITS,
  OmhDateTime,
  OmhTimeFrame,
  OmhTimeInterval,
  PartOfDay,
  SpecimenSource,
  TEMPERATURE_UNITS,
  TemperatureMeasurementLocation,
  TemporalRelationshipToMeal,
  TemporalRelationshipToPhysicalActivity,
  TemporalRelationshipToSleep,
  unitValue,
} from './building-blocks.js';
export {
  formatOmhSchemaRef,
  OMH_NAMESPACE,
  OMH_SUPPORTED_SCHEMAS,
  OmhAcquisitionProvenance,
  type OmhDataPointJson,
  OmhHeader,
  type OmhMeasureBody,
  type OmhMeasureDataPoint,
  OmhSchemaId,
  type OmhSchemaRef,
  validateOmhBody,
  validateOmhDataPoint,
} from './data-point.js';
export { formatOmhDateTime, MAX_OMH_EPOCH_MS, parseOmhDateTime } from './date-time.js';
export { effectiveTimeMs, type NoEffectiveTime } from './effective-time.js';
export {
  OMH_UNMAPPED_REASONS,
  type OmhExport,
  type OmhUnmappedReason,
  type ReadingsToOmhOptions,
  type ReadingsToOmhResult,
  readingsToOmh,
} from './from-readings.js';
export {
  BloodGlucose3,
  BloodGlucose4,
  BloodPressure3,
  BloodPressure4,
  BodyTemperature3,
  BodyTemperature4,
  BodyWeight2,
  BodyWeight3,
  HeartRate1,
  HeartRate2,
  OMH_MEASURE_NAMES,
  OMH_MEASURE_SCHEMAS,
  OMH_WRITE_VERSIONS,
  type OmhBodyOf,
  type OmhMeasureName,
  OxygenSaturation1,
  OxygenSaturation2,
  RespiratoryRate1,
  RespiratoryRate2,
} from './measure-schemas.js';
export {
  OMH_SKIP_REASONS,
  type OmhReadingContext,
  type OmhSkipReason,
  type OmhToReadingsResult,
  omhReadingId,
  omhToReadings,
} from './to-readings.js';
export { DURATION_MS, OMH_UNIT_TO_UCUM, type OmhUnit, omhValueToCanonical } from './units.js';
