/**
 * `@healthit/platform/iomt-fhir`: run Azure MedTech / microsoft/iomt-fhir mapping templates in the
 * Health-IT pipeline — device-content templates (CollectionContent, JsonPathContent,
 * IotJsonPathContent, CalculatedContent with JSONPath and JMESPath plus iomt-fhir's custom functions)
 * normalise device messages; FHIR mapping templates (CodeValueFhir) turn the measurements into FHIR
 * R4 Observations; catalogue metrics become core `Reading`s; a linter finds template errors.
 * @packageDocumentation
 */
export { type CliIo, EXIT, main, USAGE } from './cli.js';
export { IomtTemplateError } from './errors.js';
export {
  type CorrectionMode,
  correctFhirTemplate,
  createObservations,
  type ObservationError,
  type ObservationOptions,
  type ObservationResult,
} from './fhir.js';
export type {
  CodeableConcept,
  Coding,
  Identifier,
  Observation,
  ObservationComponent,
  Period,
  Quantity,
  Reference,
  SampledData,
} from './fhir-types.js';
export {
  type CompiledJmesPath,
  createJmesPathEngine,
  IOMT_JMESPATH_FUNCTIONS,
  type JmesPathEngine,
  type JmesPathFunction,
} from './jmespath.js';
export { type JsonObject, type JsonValue, parseJsonText } from './json.js';
export { type CompiledJsonPath, compileJsonPath } from './jsonpath.js';
export {
  type FixChange,
  LINT_RULES,
  type LintFinding,
  type LintInput,
  type LintRule,
  lintFhirTemplate,
  lintTemplates,
} from './lint.js';
export {
  type CompiledContentTemplate,
  type ContentTemplateSet,
  type FhirTemplateSet,
  IOT_HUB_PATHS,
  type LoadContentOptions,
  type LoadedFhirTemplate,
  loadContentTemplates,
  loadFhirTemplates,
  type TemplateEvaluator,
} from './load.js';
export {
  type IotHubMessageInit,
  iotHubMessage,
  type MeasurementProperty,
  type NormalizationError,
  type NormalizedMeasurement,
  type NormalizeEvent,
  type NormalizeResult,
  normalizeMessage,
  normalizeMessages,
} from './normalize.js';
export {
  measurementsToReadings,
  type ReadingOptions,
  SEQ_SLOTS_PER_MS,
  type SkippedValue,
} from './readings.js';
export {
  CalculatedContentTemplate,
  CodeValueFhirTemplate,
  ContentTemplateEntry,
  FhirCode,
  FhirTemplateEntry,
  FhirValue,
  IotJsonPathContentTemplate,
  JsonPathContentTemplate,
  PeriodInterval,
  TemplateExpression,
} from './schemas.js';
export {
  type Concept,
  conceptOfLoinc,
  conceptsNamedBy,
  IOMT_SERVICE_SYSTEM,
  LOINC_SYSTEM,
  UCUM_CORRECTIONS,
  UCUM_SYSTEM,
  ucumCorrection,
} from './terminology.js';
