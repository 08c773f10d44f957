import { z } from 'zod';
import {
  BodyLocation,
  BodyPosture,
  DescriptiveStatistic,
  IeeeTimeFrame,
  MASS_UNITS,
  OmhTimeFrame,
  SpecimenSource,
  TEMPERATURE_UNITS,
  TemperatureMeasurementLocation,
  TemporalRelationshipToMeal,
  TemporalRelationshipToPhysicalActivity,
  TemporalRelationshipToSleep,
  unitValue,
} from './building-blocks.js';

/*
 * zod mirrors of the Open mHealth measure schemas (openmhealth/schemas @36078a8, Apache-2.0),
 * one per schema version. The 4.0 versions (and body-weight 3.0) reference IEEE 1752.1 building
 * blocks by URL; those are mirrored in building-blocks.ts.
 */

/** `omh:heart-rate:1.1` (also read for 1.0, which 1.1 extends with `temporal_relationship_to_sleep`). */
export const HeartRate1 = z.object({
  heart_rate: unitValue(['beats/min']),
  effective_time_frame: OmhTimeFrame.optional(),
  descriptive_statistic: DescriptiveStatistic.optional(),
  temporal_relationship_to_physical_activity: TemporalRelationshipToPhysicalActivity.optional(),
  temporal_relationship_to_sleep: TemporalRelationshipToSleep.optional(),
  user_notes: z.string().optional(),
});

/** `omh:heart-rate:2.0`: the effective time frame is required; `user_notes` is gone. */
export const HeartRate2 = z.object({
  heart_rate: unitValue(['beats/min']),
  effective_time_frame: OmhTimeFrame,
  descriptive_statistic: DescriptiveStatistic.optional(),
  temporal_relationship_to_physical_activity: TemporalRelationshipToPhysicalActivity.optional(),
  temporal_relationship_to_sleep: TemporalRelationshipToSleep.optional(),
});

/** `omh:blood-pressure:3.1` (also read for 3.0, which 3.1 extends with `temporal_relationship_to_physical_activity`). */
export const BloodPressure3 = z.object({
  systolic_blood_pressure: unitValue(['mmHg']),
  diastolic_blood_pressure: unitValue(['mmHg']),
  effective_time_frame: OmhTimeFrame,
  body_posture: BodyPosture.optional(),
  descriptive_statistic: DescriptiveStatistic.optional(),
  measurement_location: BodyLocation.optional(),
  temporal_relationship_to_physical_activity: TemporalRelationshipToPhysicalActivity.optional(),
});

/** `omh:blood-pressure:4.0`: IEEE 1752.1 time frame, body posture and descriptive statistic. */
export const BloodPressure4 = z.object({
  systolic_blood_pressure: unitValue(['mmHg']),
  diastolic_blood_pressure: unitValue(['mmHg']),
  effective_time_frame: IeeeTimeFrame,
  body_posture: BodyPosture.optional(),
  descriptive_statistic: DescriptiveStatistic.optional(),
  measurement_location: BodyLocation.optional(),
  temporal_relationship_to_physical_activity: TemporalRelationshipToPhysicalActivity.optional(),
});

/** `omh:body-temperature:3.0`. */
export const BodyTemperature3 = z.object({
  body_temperature: unitValue(TEMPERATURE_UNITS),
  effective_time_frame: OmhTimeFrame,
  descriptive_statistic: DescriptiveStatistic.optional(),
  measurement_location: TemperatureMeasurementLocation.optional(),
  temporal_relationship_to_sleep: TemporalRelationshipToSleep.optional(),
});

/** `omh:body-temperature:4.0`: IEEE 1752.1 temperature unit value, time frame and descriptive statistic. */
export const BodyTemperature4 = z.object({
  body_temperature: unitValue(TEMPERATURE_UNITS),
  effective_time_frame: IeeeTimeFrame,
  descriptive_statistic: DescriptiveStatistic.optional(),
  measurement_location: TemperatureMeasurementLocation.optional(),
  temporal_relationship_to_sleep: TemporalRelationshipToSleep.optional(),
});

const oxygenSaturationFields = {
  oxygen_saturation: unitValue(['%']),
  system: z.enum(['peripheral capillary']).optional(),
  supplemental_oxygen_flow_rate: unitValue(['L/min']).optional(),
  oxygen_therapy_mode_of_administration: z.enum(['nasal cannula']).optional(),
  measurement_method: z.enum(['pulse oximetry']).optional(),
  descriptive_statistic: DescriptiveStatistic.optional(),
};

/** `omh:oxygen-saturation:1.0`. */
export const OxygenSaturation1 = z.object({
  ...oxygenSaturationFields,
  effective_time_frame: OmhTimeFrame.optional(),
});

/** `omh:oxygen-saturation:2.0`: the effective time frame is required. */
export const OxygenSaturation2 = z.object({ ...oxygenSaturationFields, effective_time_frame: OmhTimeFrame });

/** `omh:respiratory-rate:1.0`. */
export const RespiratoryRate1 = z.object({
  respiratory_rate: unitValue(['breaths/min']),
  effective_time_frame: OmhTimeFrame.optional(),
  descriptive_statistic: DescriptiveStatistic.optional(),
  temporal_relationship_to_physical_activity: TemporalRelationshipToPhysicalActivity.optional(),
});

/** `omh:respiratory-rate:2.0`: the effective time frame is required. */
export const RespiratoryRate2 = z.object({
  respiratory_rate: unitValue(['breaths/min']),
  effective_time_frame: OmhTimeFrame,
  descriptive_statistic: DescriptiveStatistic.optional(),
  temporal_relationship_to_physical_activity: TemporalRelationshipToPhysicalActivity.optional(),
});

/** `omh:body-weight:2.0`. */
export const BodyWeight2 = z.object({
  body_weight: unitValue(MASS_UNITS),
  effective_time_frame: OmhTimeFrame,
  descriptive_statistic: DescriptiveStatistic.optional(),
});

/** `omh:body-weight:3.0`: IEEE 1752.1 time frame and descriptive statistic. */
export const BodyWeight3 = z.object({
  body_weight: unitValue(MASS_UNITS),
  effective_time_frame: IeeeTimeFrame,
  descriptive_statistic: DescriptiveStatistic.optional(),
});

const bloodGlucoseFields = {
  blood_glucose: unitValue(['mg/dL', 'mmol/L']),
  specimen_source: SpecimenSource.optional(),
  temporal_relationship_to_meal: TemporalRelationshipToMeal.optional(),
  temporal_relationship_to_sleep: TemporalRelationshipToSleep.optional(),
  descriptive_statistic: DescriptiveStatistic.optional(),
};

/** `omh:blood-glucose:3.0`. */
export const BloodGlucose3 = z.object({ ...bloodGlucoseFields, effective_time_frame: OmhTimeFrame });

/** `omh:blood-glucose:4.0`: IEEE 1752.1 unit value, time frame and descriptive statistic. */
export const BloodGlucose4 = z.object({ ...bloodGlucoseFields, effective_time_frame: IeeeTimeFrame });

/**
 * Every supported Open mHealth measure schema: name → version → zod schema of the body.
 * The latest version of each is what `readingsToOmh` writes (see `OMH_WRITE_VERSIONS`).
 */
export const OMH_MEASURE_SCHEMAS = {
  'heart-rate': { '1.0': HeartRate1, '1.1': HeartRate1, '2.0': HeartRate2 },
  'blood-pressure': { '3.0': BloodPressure3, '3.1': BloodPressure3, '4.0': BloodPressure4 },
  'body-temperature': { '3.0': BodyTemperature3, '4.0': BodyTemperature4 },
  'oxygen-saturation': { '1.0': OxygenSaturation1, '2.0': OxygenSaturation2 },
  'respiratory-rate': { '1.0': RespiratoryRate1, '2.0': RespiratoryRate2 },
  'body-weight': { '2.0': BodyWeight2, '3.0': BodyWeight3 },
  'blood-glucose': { '3.0': BloodGlucose3, '4.0': BloodGlucose4 },
} as const;

/** The name of a supported Open mHealth measure schema. */
export type OmhMeasureName = keyof typeof OMH_MEASURE_SCHEMAS;
/** Every supported Open mHealth measure schema name. */
export const OMH_MEASURE_NAMES = Object.keys(OMH_MEASURE_SCHEMAS) as [OmhMeasureName, ...OmhMeasureName[]];

/** The parsed body of measure `N` (any supported version). */
export type OmhBodyOf<N extends OmhMeasureName> = z.output<
  (typeof OMH_MEASURE_SCHEMAS)[N][keyof (typeof OMH_MEASURE_SCHEMAS)[N]]
>;

/** The version of each measure schema that `readingsToOmh` writes: the latest. */
export const OMH_WRITE_VERSIONS = {
  'heart-rate': '2.0',
  'blood-pressure': '4.0',
  'body-temperature': '4.0',
  'oxygen-saturation': '2.0',
  'respiratory-rate': '2.0',
  'body-weight': '3.0',
  'blood-glucose': '4.0',
} as const satisfies { [N in OmhMeasureName]: keyof (typeof OMH_MEASURE_SCHEMAS)[N] };
