import { HealthItError, nestsDeeperThan, type ValidationIssue } from '@healthit/core';
import type { z } from 'zod';
import { formatPath, IomtTemplateError } from './errors.js';
import { createJmesPathEngine, type JmesPathEngine, type JmesPathFunction } from './jmespath.js';
import { isJsonObject, type JsonValue, parseJsonText } from './json.js';
import { compileJsonPath, selectOne } from './jsonpath.js';
import {
  CONTENT_TEMPLATE_TYPES,
  type CodeValueFhirTemplate,
  ContentTemplateEntry,
  type ContentTemplateType,
  canonicalKeys,
  type ExpressionLanguage,
  FhirTemplateEntry,
  type TemplateExpression,
} from './schemas.js';

/** A compiled JSONPath or JMESPath expression of a template. */
export interface TemplateEvaluator {
  /**
   * The expression text as written in the template (for IotJsonPathContent's implied fields, the
   * IoT Hub path used).
   */
  readonly expression: string;
  /**
   * The language it is evaluated in: `JsonPath` (the default), or `JmesPath` in a CalculatedContent
   * template.
   */
  readonly language: ExpressionLanguage;
  /** Field path inside the template, e.g. `template.values[0].valueExpression`. */
  readonly field: string;
  /** The single token selected (Newtonsoft `SelectToken`); undefined when none. @throws when several. */
  selectOne(data: JsonValue): JsonValue | undefined;
  /** Every token selected (Newtonsoft `SelectTokens`). */
  selectAll(data: JsonValue): JsonValue[];
}

/** A device-content template, validated and compiled. */
export interface CompiledContentTemplate {
  /** Position in the CollectionContent array (0 for a single template). */
  readonly index: number;
  /** Path of the entry in its file: `template[1]` in a CollectionContent, empty for a single template. */
  readonly prefix: string;
  /** The entry's `templateType`: `JsonPathContent`, `IotJsonPathContent` or `CalculatedContent`. */
  readonly templateType: ContentTemplateType;
  /**
   * The measurement type the template produces (its `typeName`), matched by the FHIR mapping
   * template of the same name.
   */
  readonly typeName: string;
  /**
   * `calculated`: expressions see the whole message plus `matchedToken` (CalculatedContent);
   * `legacy`: expressions see only the matched token (JsonPathContent, IotJsonPathContent).
   */
  readonly scope: 'calculated' | 'legacy';
  /** `typeMatchExpression`: selects the tokens of a message; each token makes one measurement. */
  readonly typeMatch: TemplateEvaluator;
  /** The device-id expressions; for IotJsonPathContent, the IoT Hub connection device id. */
  readonly deviceId: readonly TemplateEvaluator[];
  /** First expression that yields a value wins (IoT Hub: creation time, then enqueued time). */
  readonly timestamp: readonly TemplateEvaluator[];
  /**
   * `patientIdExpression`, if the template has one; a missing value leaves the measurement without
   * a patient.
   */
  readonly patientId: TemplateEvaluator | undefined;
  /**
   * `encounterIdExpression`, if the template has one; a missing value leaves the measurement
   * without an encounter.
   */
  readonly encounterId: TemplateEvaluator | undefined;
  /** `correlationIdExpression`, if the template has one; then every token must yield a value. */
  readonly correlationId: TemplateEvaluator | undefined;
  /**
   * The `values` of the template, in order: each the `valueName`, whether it is `required`, and its
   * compiled `valueExpression`.
   */
  readonly values: readonly {
    readonly name: string;
    readonly required: boolean;
    readonly expr: TemplateEvaluator;
  }[];
  /** The template as validated. */
  readonly definition: ContentTemplateEntry;
}

/** A loaded device-content template set (a CollectionContent). */
export interface ContentTemplateSet {
  /** Discriminant: `device-content`. */
  readonly kind: 'device-content';
  /** Where the templates came from (e.g. the file name), as given in the options; empty when not given. */
  readonly source: string;
  /** The compiled templates, in file order; every one is applied to every message. */
  readonly templates: readonly CompiledContentTemplate[];
  /** The JMESPath engine of this set (own function table). */
  readonly jmesPath: JmesPathEngine;
}

/** A FHIR mapping template, validated. */
export interface LoadedFhirTemplate {
  /** Position in the CollectionFhir array (0 for a single template). */
  readonly index: number;
  /** Path of the entry in its file: `template[1]` in a CollectionFhir, empty for a single template. */
  readonly prefix: string;
  /** The measurement type the template maps (its `typeName`), unique within the set. */
  readonly typeName: string;
  /** The template as validated (before any `standard` correction). */
  readonly template: CodeValueFhirTemplate;
}

/** A loaded FHIR mapping template set (a CollectionFhir). */
export interface FhirTemplateSet {
  /** Discriminant: `fhir-mapping`. */
  readonly kind: 'fhir-mapping';
  /** Where the templates came from (e.g. the file name), as given in the options; empty when not given. */
  readonly source: string;
  /** The templates, in file order. */
  readonly templates: readonly LoadedFhirTemplate[];
  /** The template for a measurement type, if any. */
  byType(typeName: string): LoadedFhirTemplate | undefined;
}

/** Options for {@link loadContentTemplates}. */
export interface LoadContentOptions {
  /** Where the templates came from (a file name), named in errors. */
  readonly source?: string;
  /** Extra JMESPath functions for this set only. */
  readonly jmesPathFunctions?: Readonly<Record<string, JmesPathFunction>>;
}

type Issue = ValidationIssue & { templateIndex?: number };

/** IoT Hub system-property and property paths that IotJsonPathContent uses (iomt-fhir IotJsonPathContentTemplate). */
export const IOT_HUB_PATHS = {
  deviceId: '$.SystemProperties.iothub-connection-device-id',
  creationTime: '$.Properties.iothub-creation-time-utc',
  enqueuedTime: '$.SystemProperties.iothub-enqueuedtime',
} as const;

/**
 * How deep a template set may nest (real ones nest under ten levels). Deeper input is refused
 * before the recursive key canonicalisation, which would overflow the stack on JSON nested some
 * thousands of levels deep.
 */
const MAX_TEMPLATE_DEPTH = 64;

function toInput(input: unknown, source: string, schema: string): unknown {
  const value = typeof input === 'string' ? parseJsonText(input, source) : input;
  if (nestsDeeperThan(value, MAX_TEMPLATE_DEPTH)) {
    const issue = { path: '', message: `nested deeper than ${MAX_TEMPLATE_DEPTH} levels`, code: 'too_big' };
    throw new IomtTemplateError(schema, [issue], { source });
  }
  return canonicalKeys(value);
}

function entriesOf(
  input: unknown,
  collectionType: string,
  singleTypes: readonly string[],
  issues: Issue[],
): { entries: unknown[]; prefix: (i: number) => string } | undefined {
  if (!isJsonObject(input as JsonValue)) {
    issues.push({ path: '', message: `expected a ${collectionType} template object`, code: 'invalid_type' });
    return undefined;
  }
  const obj = input as Record<string, unknown>;
  if (obj['templateType'] === collectionType) {
    if (!Array.isArray(obj['template'])) {
      issues.push({ path: 'template', message: 'expected an array of templates', code: 'invalid_type' });
      return undefined;
    }
    return { entries: obj['template'], prefix: (i) => `template[${i}]` };
  }
  if (typeof obj['templateType'] === 'string' && singleTypes.includes(obj['templateType'])) {
    return { entries: [obj], prefix: () => '' };
  }
  issues.push({
    path: 'templateType',
    message: `expected "${collectionType}" or one of ${singleTypes.join(', ')}; got ${JSON.stringify(obj['templateType'])}`,
    code: 'invalid_value',
  });
  return undefined;
}

export function join(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

function zodIssues(error: z.ZodError, prefix: string, index: number): Issue[] {
  return error.issues.map((i) => ({
    path: join(prefix, formatPath(i.path)),
    message: i.message,
    code: i.code,
    templateIndex: index,
  }));
}

function evaluator(
  expr: TemplateExpression,
  defaultLanguage: ExpressionLanguage,
  field: string,
  jmes: JmesPathEngine,
): TemplateEvaluator {
  const expression = typeof expr === 'string' ? expr : expr.value;
  const language = typeof expr === 'string' ? defaultLanguage : (expr.language ?? defaultLanguage);
  if (language === 'JsonPath') {
    const path = compileJsonPath(expression);
    return {
      expression,
      language,
      field,
      selectOne: (data) => selectOne(path, data),
      selectAll: (data) => path.selectAll(data),
    };
  }
  const compiled = jmes.compile(expression);
  return {
    expression,
    language,
    field,
    selectOne(data) {
      const r = compiled.search(data);
      if (r === null) return undefined;
      if (Array.isArray(r) && r.length > 1) {
        throw new HealthItError(
          'validation/invalid',
          `JmesPath ${JSON.stringify(expression)} returned ${r.length} tokens where one was expected`,
          { detail: { expression } },
        );
      }
      return r;
    },
    selectAll(data) {
      const r = compiled.search(data);
      if (r === null) return [];
      return Array.isArray(r) ? r.filter((x) => x !== null) : [r];
    },
  };
}

function compileEntry(
  entry: ContentTemplateEntry,
  index: number,
  prefix: string,
  jmes: JmesPathEngine,
  issues: Issue[],
): CompiledContentTemplate | undefined {
  const at = (field: string): string => join(prefix, `template.${field}`);
  const before = issues.length;
  const make = (
    expr: TemplateExpression | undefined,
    field: string,
    lang: ExpressionLanguage,
  ): TemplateEvaluator | undefined => {
    if (expr === undefined) return undefined;
    try {
      return evaluator(expr, lang, at(field), jmes);
    } catch (e) {
      issues.push({ path: at(field), message: (e as Error).message, code: 'custom', templateIndex: index });
      return undefined;
    }
  };
  const t = entry.template;
  const lang: ExpressionLanguage =
    entry.templateType === 'CalculatedContent' ? entry.template.defaultExpressionLanguage : 'JsonPath';
  const typeMatch = make(t.typeMatchExpression, 'typeMatchExpression', lang);
  let deviceId: (TemplateEvaluator | undefined)[];
  let timestamp: (TemplateEvaluator | undefined)[];
  if (entry.templateType === 'IotJsonPathContent') {
    deviceId = [make(IOT_HUB_PATHS.deviceId, 'deviceIdExpression', 'JsonPath')];
    timestamp = [
      make(IOT_HUB_PATHS.creationTime, 'timestampExpression', 'JsonPath'),
      make(IOT_HUB_PATHS.enqueuedTime, 'timestampExpression', 'JsonPath'),
    ];
  } else {
    deviceId = [make(entry.template.deviceIdExpression, 'deviceIdExpression', lang)];
    timestamp = [make(entry.template.timestampExpression, 'timestampExpression', lang)];
  }
  const values = (t.values ?? []).map((v, j) => ({
    name: v.valueName,
    required: v.required,
    expr: make(v.valueExpression, `values[${j}].valueExpression`, lang),
  }));
  const patientId = make(t.patientIdExpression, 'patientIdExpression', lang);
  const encounterId = make(t.encounterIdExpression, 'encounterIdExpression', lang);
  const correlationId = make(t.correlationIdExpression, 'correlationIdExpression', lang);
  if (issues.length > before || typeMatch === undefined) return undefined;
  return {
    index,
    prefix,
    templateType: entry.templateType,
    typeName: t.typeName,
    scope: entry.templateType === 'CalculatedContent' ? 'calculated' : 'legacy',
    typeMatch,
    deviceId: deviceId as TemplateEvaluator[],
    timestamp: timestamp as TemplateEvaluator[],
    patientId,
    encounterId,
    correlationId,
    values: values.map((v) => ({ name: v.name, required: v.required, expr: v.expr as TemplateEvaluator })),
    definition: entry,
  };
}

/**
 * Validates and compiles a device-content template set: a `CollectionContent` (or one
 * `JsonPathContent`, `IotJsonPathContent` or `CalculatedContent` template), as JSON text or value.
 * Every expression is compiled here, so a bad one is refused before any message is processed.
 *
 * @throws {IomtTemplateError} `validation/invalid`, naming the template index and field of every
 *   problem (unknown template type, missing field, an expression that does not parse or would run script).
 * @example
 * ```ts
 * const set = loadContentTemplates(readFileSync('devicecontent.json', 'utf8'), { source: 'devicecontent.json' });
 * const { measurements } = normalizeMessage(set, message);
 * ```
 */
export function loadContentTemplates(input: unknown, options: LoadContentOptions = {}): ContentTemplateSet {
  const source = options.source ?? '';
  const jmes = createJmesPathEngine(options.jmesPathFunctions);
  const issues: Issue[] = [];
  const root = toInput(input, source || 'device-content templates', 'device-content template');
  const found = entriesOf(root, 'CollectionContent', CONTENT_TEMPLATE_TYPES, issues);
  const templates: CompiledContentTemplate[] = [];
  found?.entries.forEach((raw, index) => {
    const prefix = found.prefix(index);
    const type = isJsonObject(raw as JsonValue)
      ? (raw as Record<string, unknown>)['templateType']
      : undefined;
    if (typeof type !== 'string' || !(CONTENT_TEMPLATE_TYPES as readonly string[]).includes(type)) {
      issues.push({
        path: join(prefix, 'templateType'),
        message: `unsupported template type ${JSON.stringify(type)}; supported: ${CONTENT_TEMPLATE_TYPES.join(', ')}`,
        code: 'invalid_value',
        templateIndex: index,
      });
      return;
    }
    const parsed = ContentTemplateEntry.safeParse(raw);
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, prefix, index));
      return;
    }
    const compiled = compileEntry(parsed.data, index, prefix, jmes, issues);
    if (compiled !== undefined) templates.push(compiled);
  });
  if (issues.length > 0) throw new IomtTemplateError('device-content template', issues, { source });
  return Object.freeze({
    kind: 'device-content',
    source,
    templates: Object.freeze(templates),
    jmesPath: jmes,
  });
}

/**
 * Validates a FHIR mapping template set: a `CollectionFhir` (or one `CodeValueFhir` template).
 *
 * @throws {IomtTemplateError} `validation/invalid`, naming the template index and field of every
 *   problem (unknown template type, missing `codes`, a bad `valueType` or `periodInterval`, a
 *   duplicate `typeName`).
 */
export function loadFhirTemplates(
  input: unknown,
  options: { readonly source?: string } = {},
): FhirTemplateSet {
  const source = options.source ?? '';
  const issues: Issue[] = [];
  const root = toInput(input, source || 'FHIR mapping templates', 'FHIR mapping template');
  const found = entriesOf(root, 'CollectionFhir', ['CodeValueFhir'], issues);
  const templates: LoadedFhirTemplate[] = [];
  const byName = new Map<string, LoadedFhirTemplate>();
  found?.entries.forEach((raw, index) => {
    const prefix = found.prefix(index);
    const parsed = FhirTemplateEntry.safeParse(raw);
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, prefix, index));
      return;
    }
    const t = parsed.data.template;
    const prior = byName.get(t.typeName);
    if (prior !== undefined) {
      issues.push({
        path: join(prefix, 'template.typeName'),
        message: `duplicate typeName "${t.typeName}" (also template[${prior.index}])`,
        code: 'custom',
        templateIndex: index,
      });
      return;
    }
    const loaded = { index, prefix, typeName: t.typeName, template: t };
    byName.set(t.typeName, loaded);
    templates.push(loaded);
  });
  if (issues.length > 0) throw new IomtTemplateError('FHIR mapping template', issues, { source });
  return Object.freeze({
    kind: 'fhir-mapping',
    source,
    templates: Object.freeze(templates),
    byType: (typeName: string) => byName.get(typeName),
  });
}
