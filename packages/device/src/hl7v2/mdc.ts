import type { MetricId } from '@healthit/core';

/**
 * An IEEE 11073-10101 (MDC) observation code and the SDK metric it is read as. `code` is the
 * 32-bit context-free code as IHE PCD-01 sends it in OBX-3.1 (partition × 65 536 + term code).
 */
export interface MdcMetric {
  /** The 32-bit context-free observation code as a decimal string, e.g. `150456` (OBX-3.1). */
  readonly code: string;
  /** The 11073-10101 reference id, e.g. `MDC_PULS_OXIM_SAT_O2` (sent in OBX-3.2). */
  readonly refId: string;
  /** The SDK metric an observation with this code is read as, e.g. `spo2`. */
  readonly metric: MetricId;
}

/** An IEEE 11073-10101 dimension (unit) code and its UCUM equivalent. */
export interface MdcUnit {
  /** The 32-bit context-free code (partition 4 × 65 536 + term code), e.g. `266016`. */
  readonly code: string;
  /** The 11073-10101 reference id, e.g. `MDC_DIM_MMHG` (sent in OBX-6.2). */
  readonly refId: string;
  /** The UCUM code the dimension stands for, e.g. `mm[Hg]`. */
  readonly ucum: string;
}

/**
 * The vital-sign observations read from IHE PCD-01 messages (partition 2, SCADA: 131 072 + term
 * code). Checked against the term codes in the IEEE 11073-20601 / 10101 nomenclature headers
 * (e.g. MDC_ECG_HEART_RATE 16 770, MDC_PULS_OXIM_SAT_O2 19 384, MDC_TEMP_BODY 19 292).
 *
 * `149546` (MDC_PULS_RATE_NON_INV, the pulse rate an NIBP cuff reports, used in the IHE PCD TF-2
 * E.1.2 example) is read as `heart-rate`: the catalogue's `pulse-rate` is the pulse-oximetry rate
 * (LOINC 8889-8), while `heart-rate` (LOINC 8867-4) is method-neutral. Arterial (150016 …),
 * other blood-pressure families and site-specific temperatures are not mapped by default; add
 * them with the `mdcMetrics` option of `oruToReadings`.
 */
export const MDC_METRICS: Readonly<Record<string, MdcMetric>> = Object.freeze({
  '147842': { code: '147842', refId: 'MDC_ECG_HEART_RATE', metric: 'heart-rate' },
  '149530': { code: '149530', refId: 'MDC_PULS_OXIM_PULS_RATE', metric: 'pulse-rate' },
  '149546': { code: '149546', refId: 'MDC_PULS_RATE_NON_INV', metric: 'heart-rate' },
  '150456': { code: '150456', refId: 'MDC_PULS_OXIM_SAT_O2', metric: 'spo2' },
  '151562': { code: '151562', refId: 'MDC_RESP_RATE', metric: 'respiratory-rate' },
  '150021': { code: '150021', refId: 'MDC_PRESS_BLD_NONINV_SYS', metric: 'bp-systolic' },
  '150022': { code: '150022', refId: 'MDC_PRESS_BLD_NONINV_DIA', metric: 'bp-diastolic' },
  '150023': { code: '150023', refId: 'MDC_PRESS_BLD_NONINV_MEAN', metric: 'bp-mean' },
  '150364': { code: '150364', refId: 'MDC_TEMP_BODY', metric: 'body-temperature' },
} satisfies Record<string, MdcMetric>);

/**
 * The MDC dimensions read from OBX-6 (partition 4, DIM: 262 144 + term code), from the same
 * nomenclature headers (MDC_DIM_MMHG 3 872, MDC_DIM_BEAT_PER_MIN 2 720, MDC_DIM_PERCENT 544,
 * MDC_DIM_DEGC 6 048, MDC_DIM_RESP_PER_MIN 2 784, MDC_DIM_KILO_PASCAL 3 843, MDC_DIM_FAHR 4 416).
 */
export const MDC_UNITS: Readonly<Record<string, MdcUnit>> = Object.freeze({
  '266016': { code: '266016', refId: 'MDC_DIM_MMHG', ucum: 'mm[Hg]' },
  '265987': { code: '265987', refId: 'MDC_DIM_KILO_PASCAL', ucum: 'kPa' },
  '264864': { code: '264864', refId: 'MDC_DIM_BEAT_PER_MIN', ucum: '/min' },
  '264928': { code: '264928', refId: 'MDC_DIM_RESP_PER_MIN', ucum: '/min' },
  '262688': { code: '262688', refId: 'MDC_DIM_PERCENT', ucum: '%' },
  '268192': { code: '268192', refId: 'MDC_DIM_DEGC', ucum: 'Cel' },
  '266560': { code: '266560', refId: 'MDC_DIM_FAHR', ucum: '[degF]' },
} satisfies Record<string, MdcUnit>);

/** How the ORU^R01 builder codes each metric it can send: observation and canonical-unit codes. */
export const METRIC_TO_MDC: Readonly<
  Partial<Record<MetricId, { readonly observation: MdcMetric; readonly unit: MdcUnit }>>
> = Object.freeze({
  'heart-rate': { observation: MDC_METRICS['147842'] as MdcMetric, unit: MDC_UNITS['264864'] as MdcUnit },
  'pulse-rate': { observation: MDC_METRICS['149530'] as MdcMetric, unit: MDC_UNITS['264864'] as MdcUnit },
  spo2: { observation: MDC_METRICS['150456'] as MdcMetric, unit: MDC_UNITS['262688'] as MdcUnit },
  'respiratory-rate': {
    observation: MDC_METRICS['151562'] as MdcMetric,
    unit: MDC_UNITS['264928'] as MdcUnit,
  },
  'bp-systolic': { observation: MDC_METRICS['150021'] as MdcMetric, unit: MDC_UNITS['266016'] as MdcUnit },
  'bp-diastolic': { observation: MDC_METRICS['150022'] as MdcMetric, unit: MDC_UNITS['266016'] as MdcUnit },
  'bp-mean': { observation: MDC_METRICS['150023'] as MdcMetric, unit: MDC_UNITS['266016'] as MdcUnit },
  'body-temperature': {
    observation: MDC_METRICS['150364'] as MdcMetric,
    unit: MDC_UNITS['268192'] as MdcUnit,
  },
});
