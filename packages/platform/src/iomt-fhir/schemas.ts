import { z } from 'zod';

/*
 * zod schemas of iomt-fhir (Azure MedTech) templates, as Newtonsoft.Json reads them: property names
 * are matched case-insensitively (see {@link canonicalKeys}), `required` may be the string "true",
 * enum values (`valueType`, `language`, `periodInterval`) are case-insensitive names or numbers, and
 * unknown properties are ignored.
 */

const KNOWN_KEYS = [
  'templateType',
  'template',
  'typeName',
  'typeMatchExpression',
  'deviceIdExpression',
  'patientIdExpression',
  'encounterIdExpression',
  'timestampExpression',
  'correlationIdExpression',
  'values',
  'valueName',
  'valueExpression',
  'required',
  'value',
  'language',
  'defaultExpressionLanguage',
  'codes',
  'code',
  'system',
  'display',
  'periodInterval',
  'category',
  'text',
  'components',
  'unit',
  'valueType',
  'defaultPeriod',
] as const;
const BY_LOWER = new Map<string, string>(KNOWN_KEYS.map((k) => [k.toLowerCase(), k]));

/** Renames known template properties to their canonical camelCase spelling, recursively. */
export function canonicalKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalKeys);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, child] of Object.entries(v)) {
    const key = BY_LOWER.get(k.toLowerCase()) ?? k;
    if (!Object.hasOwn(out, key)) out[key] = canonicalKeys(child);
  }
  return out;
}

function caseInsensitive<const T extends readonly [string, ...string[]]>(
  values: T,
  aliases: Record<string, string> = {},
) {
  const byLower = new Map<string, string>([
    ...values.map((v): [string, string] => [v.toLowerCase(), v]),
    ...Object.entries(aliases),
  ]);
  return z.preprocess(
    (v) => (typeof v === 'string' ? (byLower.get(v.toLowerCase()) ?? v) : v),
    z.enum(values),
  );
}

const nonBlank = z.string().trim().min(1, 'must not be empty');

/** An expression language of a CalculatedContent template. */
export const ExpressionLanguage = caseInsensitive(['JsonPath', 'JmesPath']);
export type ExpressionLanguage = z.infer<typeof ExpressionLanguage>;

/** A template expression: a JSONPath string, or `{ value, language }`. */
export const TemplateExpression = z.union([
  nonBlank,
  z.object({ value: nonBlank, language: ExpressionLanguage.optional() }),
]);
export type TemplateExpression = z.infer<typeof TemplateExpression>;

const RequiredFlag = z
  .preprocess(
    (v) =>
      typeof v === 'string'
        ? (({ true: true, false: false } as Record<string, boolean>)[v.toLowerCase()] ?? v)
        : v,
    z.boolean(),
  )
  .default(false);

/** One extracted value of a JsonPathContent / IotJsonPathContent template. */
export const JsonPathValue = z.object({
  valueName: nonBlank,
  valueExpression: nonBlank,
  required: RequiredFlag,
});

/** One extracted value of a CalculatedContent template. */
export const CalculatedValue = z.object({
  valueName: nonBlank,
  valueExpression: TemplateExpression,
  required: RequiredFlag,
});

/** `JsonPathContent`: JSONPath expressions evaluated against each token the type match selects. */
export const JsonPathContentTemplate = z.object({
  typeName: nonBlank,
  typeMatchExpression: nonBlank,
  deviceIdExpression: nonBlank,
  patientIdExpression: nonBlank.optional(),
  encounterIdExpression: nonBlank.optional(),
  timestampExpression: nonBlank,
  correlationIdExpression: nonBlank.optional(),
  values: z.array(JsonPathValue).optional(),
});
export type JsonPathContentTemplate = z.infer<typeof JsonPathContentTemplate>;

/**
 * `IotJsonPathContent`: JsonPathContent over the IoT Hub message shape `{ Body, Properties,
 * SystemProperties }`, with the device id and timestamp fixed by iomt-fhir (given ones are ignored).
 */
export const IotJsonPathContentTemplate = z.object({
  typeName: nonBlank,
  typeMatchExpression: nonBlank,
  patientIdExpression: nonBlank.optional(),
  encounterIdExpression: nonBlank.optional(),
  correlationIdExpression: nonBlank.optional(),
  values: z.array(JsonPathValue).optional(),
});
export type IotJsonPathContentTemplate = z.infer<typeof IotJsonPathContentTemplate>;

/** `CalculatedContent`: JSONPath or JMESPath, evaluated against the message plus `matchedToken`. */
export const CalculatedContentTemplate = z.object({
  typeName: nonBlank,
  typeMatchExpression: TemplateExpression,
  deviceIdExpression: TemplateExpression,
  patientIdExpression: TemplateExpression.optional(),
  encounterIdExpression: TemplateExpression.optional(),
  timestampExpression: TemplateExpression,
  correlationIdExpression: TemplateExpression.optional(),
  values: z.array(CalculatedValue).optional(),
  defaultExpressionLanguage: ExpressionLanguage.default('JsonPath'),
});
export type CalculatedContentTemplate = z.infer<typeof CalculatedContentTemplate>;

/** The device-content template types this importer runs. */
export const CONTENT_TEMPLATE_TYPES = ['JsonPathContent', 'IotJsonPathContent', 'CalculatedContent'] as const;
export type ContentTemplateType = (typeof CONTENT_TEMPLATE_TYPES)[number];

/** One entry of a CollectionContent template. */
export const ContentTemplateEntry = z.discriminatedUnion('templateType', [
  z.object({ templateType: z.literal('JsonPathContent'), template: JsonPathContentTemplate }),
  z.object({ templateType: z.literal('IotJsonPathContent'), template: IotJsonPathContentTemplate }),
  z.object({ templateType: z.literal('CalculatedContent'), template: CalculatedContentTemplate }),
]);
export type ContentTemplateEntry = z.infer<typeof ContentTemplateEntry>;

// ---------------------------------------------------------------- FHIR mapping templates

/** A coding in a FHIR mapping template. */
export const FhirCode = z.object({
  code: nonBlank,
  system: z.string().optional(),
  display: z.string().optional(),
});
export type FhirCode = z.infer<typeof FhirCode>;

const valueTypeName = (v: unknown): unknown => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const t = (v as Record<string, unknown>)['valueType'];
  if (typeof t !== 'string') return v;
  const canonical = {
    quantity: 'Quantity',
    sampleddata: 'SampledData',
    string: 'String',
    codeableconcept: 'CodeableConcept',
  }[t.toLowerCase()];
  return canonical === undefined ? v : { ...v, valueType: canonical };
};

/** The value of an Observation or component: Quantity, SampledData, String or CodeableConcept. */
export const FhirValue = z.preprocess(
  valueTypeName,
  z.discriminatedUnion('valueType', [
    z.object({
      valueType: z.literal('Quantity'),
      valueName: nonBlank,
      unit: z.string().optional(),
      system: z.string().optional(),
      code: z.string().optional(),
    }),
    z.object({
      valueType: z.literal('SampledData'),
      valueName: nonBlank,
      unit: z.string().optional(),
      defaultPeriod: z.number().positive('must be a positive number of milliseconds'),
    }),
    z.object({ valueType: z.literal('String'), valueName: nonBlank }),
    z.object({
      valueType: z.literal('CodeableConcept'),
      valueName: nonBlank,
      text: z.string().optional(),
      codes: z.array(FhirCode).default([]),
    }),
  ]),
);
export type FhirValue = z.infer<typeof FhirValue>;

const PERIODS: Record<string, number> = { correlationid: -1, single: 0, hourly: 60, daily: 1440 };

/**
 * `periodInterval` in minutes: 0 one Observation per measurement time, 60 per UTC hour, 1440 per UTC
 * day; -1 (`CorrelationId`) one per correlation id.
 */
export const PeriodInterval = z
  .preprocess(
    (v) => (typeof v === 'string' ? (PERIODS[v.toLowerCase()] ?? (/^-?\d+$/.test(v) ? Number(v) : v)) : v),
    z.union([z.literal(-1), z.literal(0), z.literal(60), z.literal(1440)], {
      error: 'must be 0 (no grouping), 60 (hourly), 1440 (daily) or -1 (by correlation id)',
    }),
  )
  .default(0);
export type PeriodInterval = z.infer<typeof PeriodInterval>;

/** `CodeValueFhir`: one Observation per group, with a value and/or components. */
export const CodeValueFhirTemplate = z.object({
  typeName: nonBlank,
  periodInterval: PeriodInterval,
  category: z
    .array(z.object({ text: z.string().optional(), codes: z.array(FhirCode).optional() }))
    .optional(),
  codes: z.array(FhirCode),
  value: FhirValue.optional(),
  components: z.array(z.object({ codes: z.array(FhirCode), value: FhirValue })).optional(),
});
export type CodeValueFhirTemplate = z.infer<typeof CodeValueFhirTemplate>;

/** One entry of a CollectionFhir template. */
export const FhirTemplateEntry = z.object({
  templateType: z.literal('CodeValueFhir'),
  template: CodeValueFhirTemplate,
});
export type FhirTemplateEntry = z.infer<typeof FhirTemplateEntry>;
