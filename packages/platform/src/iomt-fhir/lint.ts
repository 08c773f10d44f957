import { isKnownUnit } from '@healthit/core';
import type { JsonValue } from './json.js';
import { type ContentTemplateSet, type FhirTemplateSet, join, type LoadedFhirTemplate } from './load.js';
import { normalizeMessage } from './normalize.js';
import type { CodeValueFhirTemplate, FhirCode, FhirValue } from './schemas.js';
import {
  type Concept,
  conceptOfLoinc,
  conceptsNamedBy,
  LOINC_SYSTEM,
  primaryLoinc,
  UCUM_SYSTEM,
  ucumCorrection,
} from './terminology.js';

/** The linter's rules, each with what it checks. */
export const LINT_RULES = {
  'loinc/wrong-code':
    'a LOINC code that the catalogue knows for a different measurement than the coding names',
  'ucum/non-ucum-unit': 'a unit code (or SampledData origin unit) that is not UCUM, e.g. mmHg, count/min',
  'ucum/missing-code':
    'a Quantity without a UCUM system and code (the FHIR R4 vital-signs profiles require them)',
  'mapping/single-value-in-period':
    'a Quantity or String value with periodInterval ≠ 0: two measurements in one period make iomt-fhir fail',
  'mapping/no-value': 'a CodeValueFhir template with neither value nor components',
  'mapping/no-fhir-template':
    'a device-content typeName that no FHIR mapping template maps (its measurements are dropped)',
  'mapping/no-content-template':
    'a FHIR mapping typeName that no device-content template produces (never used)',
  'mapping/unknown-value-name': 'a FHIR valueName that no device-content template of that type extracts',
  'match/never-matches': 'a typeMatchExpression that matches none of the sample messages',
  'match/required-missing':
    'a required expression that finds nothing in sample messages the template matches',
  'match/extraction-error': 'another error while extracting a measurement from a sample message',
} as const;

/** A lint rule id. */
export type LintRule = keyof typeof LINT_RULES;

/** One change of a suggested fix: set the field at `path` (same path syntax as the location) to `value`. */
export interface FixChange {
  /** Field path in the template file, in the same syntax as `LintFinding.location.path`. */
  readonly path: string;
  /** The value to set the field to. */
  readonly value: JsonValue;
}

/** A finding of the template linter. */
export interface LintFinding {
  /** Which rule found it (see {@link LINT_RULES}). */
  readonly rule: LintRule;
  /** How serious the finding is; every current rule reports `warning`. */
  readonly severity: 'warning' | 'error';
  /** What is wrong and, where known, what to use instead, in words. */
  readonly message: string;
  /** Where: the template set, the template's index and `typeName`, and the field path in the file. */
  readonly location: {
    readonly set: 'device-content' | 'fhir-mapping';
    /** Template index in its collection. */
    readonly index: number;
    readonly typeName: string;
    /** Field path in the file, e.g. `template[3].template.components[0].codes[0].code`. */
    readonly path: string;
  };
  /**
   * A suggested fix, when one exists: what it does, and the field changes that make it (the FHIR
   * mapper applies the LOINC and UCUM ones in `standard` mode).
   */
  readonly fix?: { readonly description: string; readonly changes: readonly FixChange[] };
}

const FIXABLE: ReadonlySet<LintRule> = new Set([
  'loinc/wrong-code',
  'ucum/non-ucum-unit',
  'ucum/missing-code',
]);

/** True for findings whose fix the FHIR mapper applies in `standard` mode. */
export function isStandardCorrection(f: LintFinding): boolean {
  return FIXABLE.has(f.rule) && f.fix !== undefined;
}

function looksLikeLoinc(c: FhirCode): boolean {
  return c.system === LOINC_SYSTEM || (c.system === undefined && /^\d{1,7}-\d$/.test(c.code.trim()));
}

const conceptLabel = (c: Concept): string => `${c} (LOINC ${primaryLoinc(c)?.code ?? '-'})`;

function lintCodes(
  t: LoadedFhirTemplate,
  codes: readonly FhirCode[],
  path: string,
  fallbackNames: readonly (string | undefined)[],
  out: LintFinding[],
): void {
  codes.forEach((c, k) => {
    if (!looksLikeLoinc(c)) return;
    const actual = conceptOfLoinc(c.code);
    if (actual === undefined) return;
    let named: readonly Concept[] | undefined;
    let namedBy: string | undefined;
    for (const name of [c.display, ...fallbackNames]) {
      named = conceptsNamedBy(name);
      namedBy = name;
      if (named !== undefined) break;
    }
    if (named === undefined || named.length === 0 || named.includes(actual)) return;
    const want = named[0] as Concept;
    const loinc = primaryLoinc(want);
    if (loinc === undefined) return;
    const at = `${path}[${k}]`;
    out.push({
      rule: 'loinc/wrong-code',
      severity: 'warning',
      message: `LOINC ${c.code} is ${conceptLabel(actual)}, but this coding is for "${namedBy}": use ${loinc.code} (${loinc.display})`,
      location: { set: 'fhir-mapping', index: t.index, typeName: t.typeName, path: `${at}.code` },
      fix: {
        description: `set code to ${loinc.code}${c.display === undefined ? '' : ` and display to "${loinc.display}"`}`,
        changes: [
          { path: `${at}.code`, value: loinc.code },
          ...(c.display === undefined ? [] : [{ path: `${at}.display`, value: loinc.display }]),
        ],
      },
    });
  });
}

function lintValue(
  t: LoadedFhirTemplate,
  v: FhirValue,
  path: string,
  periodInterval: number,
  out: LintFinding[],
): void {
  const location = (field: string) => ({
    set: 'fhir-mapping' as const,
    index: t.index,
    typeName: t.typeName,
    path: `${path}.${field}`,
  });
  if (v.valueType === 'Quantity') {
    const ucumSystem = v.system === undefined || v.system === UCUM_SYSTEM;
    if (v.code !== undefined && ucumSystem) {
      const fixed = ucumCorrection(v.code);
      if (fixed !== undefined) {
        out.push({
          rule: 'ucum/non-ucum-unit',
          severity: 'warning',
          message: `unit code "${v.code}" is not UCUM: use "${fixed}"`,
          location: location('code'),
          fix: {
            description: `set code to "${fixed}" (system ${UCUM_SYSTEM})`,
            changes: [
              { path: `${path}.code`, value: fixed },
              { path: `${path}.system`, value: UCUM_SYSTEM },
            ],
          },
        });
      }
    } else if (v.code === undefined && v.unit !== undefined && v.unit !== '') {
      const fixed = ucumCorrection(v.unit) ?? (isKnownUnit(v.unit) ? v.unit : undefined);
      out.push({
        rule: 'ucum/missing-code',
        severity: 'warning',
        message: `Quantity has unit "${v.unit}" but no UCUM system and code${fixed === undefined ? '' : `: add code "${fixed}"`}`,
        location: location('code'),
        ...(fixed === undefined
          ? {}
          : {
              fix: {
                description: `add system ${UCUM_SYSTEM} and code "${fixed}"`,
                changes: [
                  { path: `${path}.code`, value: fixed },
                  { path: `${path}.system`, value: UCUM_SYSTEM },
                ],
              },
            }),
      });
    }
  }
  if (v.valueType === 'SampledData') {
    const fixed = ucumCorrection(v.unit);
    if (fixed !== undefined) {
      out.push({
        rule: 'ucum/non-ucum-unit',
        severity: 'warning',
        message: `SampledData origin unit "${v.unit}" is not UCUM: use "${fixed}"`,
        location: location('unit'),
        fix: { description: `set unit to "${fixed}"`, changes: [{ path: `${path}.unit`, value: fixed }] },
      });
    }
  }
  if ((v.valueType === 'Quantity' || v.valueType === 'String') && periodInterval !== 0) {
    out.push({
      rule: 'mapping/single-value-in-period',
      severity: 'warning',
      message: `a ${v.valueType} holds one value, but periodInterval ${periodInterval} groups measurements: a second "${v.valueName}" in the same period fails the Observation`,
      location: {
        set: 'fhir-mapping',
        index: t.index,
        typeName: t.typeName,
        path: join(t.prefix, 'template.periodInterval'),
      },
      fix: {
        description: 'set periodInterval to 0 (one Observation per measurement), or use SampledData',
        changes: [{ path: join(t.prefix, 'template.periodInterval'), value: 0 }],
      },
    });
  }
}

/** Lints one FHIR mapping template: LOINC codes against their names, UCUM units, grouping. */
export function lintFhirTemplate(t: LoadedFhirTemplate): LintFinding[] {
  const out: LintFinding[] = [];
  const tpl: CodeValueFhirTemplate = t.template;
  const base = join(t.prefix, 'template');
  lintCodes(
    t,
    tpl.codes,
    `${base}.codes`,
    tpl.value === undefined ? [tpl.typeName] : [tpl.value.valueName, tpl.typeName],
    out,
  );
  if (tpl.value !== undefined) lintValue(t, tpl.value, `${base}.value`, tpl.periodInterval, out);
  tpl.components?.forEach((comp, j) => {
    lintCodes(t, comp.codes, `${base}.components[${j}].codes`, [comp.value.valueName], out);
    lintValue(t, comp.value, `${base}.components[${j}].value`, tpl.periodInterval, out);
  });
  if (tpl.value === undefined && (tpl.components ?? []).length === 0) {
    out.push({
      rule: 'mapping/no-value',
      severity: 'warning',
      message: 'the template has neither value nor components: its Observations carry no data',
      location: { set: 'fhir-mapping', index: t.index, typeName: t.typeName, path: base },
    });
  }
  return out;
}

function keysOf(v: JsonValue, into: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) keysOf(x, into);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      into.add(k);
      keysOf(x, into);
    }
  }
}

function lintAgainstSamples(
  set: ContentTemplateSet,
  samples: readonly JsonValue[],
  out: LintFinding[],
): void {
  const keys = new Set<string>();
  for (const s of samples) keysOf(s, keys);
  const byLower = new Map([...keys].map((k) => [k.toLowerCase(), k]));
  for (const t of set.templates) {
    const location = (path: string) => ({
      set: 'device-content' as const,
      index: t.index,
      typeName: t.typeName,
      path,
    });
    const single = { ...set, templates: [t] };
    let matched = 0;
    const reported = new Set<string>();
    for (const sample of samples) {
      const { measurements, errors } = normalizeMessage(single, sample);
      matched += measurements.length + errors.length;
      for (const { error } of errors) {
        const fields = error.detail['fields'];
        const required = error.message.startsWith('Unable to extract required value');
        const path = Array.isArray(fields) && typeof fields[0] === 'string' ? fields[0] : t.typeMatch.field;
        const key = `${required}:${path}`;
        if (reported.has(key)) continue;
        reported.add(key);
        out.push({
          rule: required ? 'match/required-missing' : 'match/extraction-error',
          severity: 'warning',
          message: required
            ? `the template matches a sample message, but ${error.message.replace(/^Unable/, 'cannot')}`
            : error.message,
          location: location(path),
        });
      }
    }
    if (matched === 0 && samples.length > 0) {
      const expr = t.typeMatch.expression;
      const suggestion = expr.replace(/[A-Za-z_][\w-]*/g, (word) => {
        const k = byLower.get(word.toLowerCase());
        return !keys.has(word) && k !== undefined ? k : word;
      });
      out.push({
        rule: 'match/never-matches',
        severity: 'warning',
        message: `typeMatchExpression ${JSON.stringify(expr)} matches none of the ${samples.length} sample message(s)${suggestion === expr ? '' : `; property names differ in case: ${JSON.stringify(suggestion)}`}`,
        location: location(t.typeMatch.field),
        ...(suggestion === expr
          ? {}
          : {
              fix: {
                description: 'JSONPath is case-sensitive: use the property names as the messages spell them',
                changes: [{ path: t.typeMatch.field, value: suggestion }],
              },
            }),
      });
    }
  }
}

/** What {@link lintTemplates} checks. */
export interface LintInput {
  /** The device-content template set to check against the samples and the FHIR set. */
  readonly content?: ContentTemplateSet;
  /** The FHIR mapping template set to check (codes, units, value types) and match against the content set. */
  readonly fhir?: FhirTemplateSet;
  /** Sample device messages: templates that match none, or miss a required field, are reported. */
  readonly samples?: readonly JsonValue[];
}

/**
 * Lints iomt-fhir templates: wrong LOINC codes for the named measurement (their samples code
 * diastolic pressure as 8867-4, heart rate; the fix is 8462-4), non-UCUM units (`mmHg` → `mm[Hg]`,
 * `count/min` → `/min`), templates that never match the samples or miss required paths, and type
 * names the two template sets do not share. Each finding has a location and, where one exists, a fix.
 *
 * @example
 * ```ts
 * for (const f of lintTemplates({ content, fhir, samples })) console.log(f.location.path, f.message);
 * ```
 */
export function lintTemplates(input: LintInput): LintFinding[] {
  const out: LintFinding[] = [];
  const { content, fhir, samples = [] } = input;
  if (fhir !== undefined) for (const t of fhir.templates) out.push(...lintFhirTemplate(t));
  if (content !== undefined && samples.length > 0) lintAgainstSamples(content, samples, out);
  if (content !== undefined && fhir !== undefined) {
    const contentTypes = new Map<string, Set<string>>();
    for (const t of content.templates) {
      const names = contentTypes.get(t.typeName) ?? new Set<string>();
      for (const v of t.values) names.add(v.name);
      contentTypes.set(t.typeName, names);
      if (fhir.byType(t.typeName) === undefined) {
        const near = fhir.templates.find((f) => f.typeName.toLowerCase() === t.typeName.toLowerCase());
        out.push({
          rule: 'mapping/no-fhir-template',
          severity: 'warning',
          message: `no FHIR mapping template has typeName "${t.typeName}"${near === undefined ? '' : ` (template[${near.index}] has "${near.typeName}": type names are case-sensitive)`}`,
          location: {
            set: 'device-content',
            index: t.index,
            typeName: t.typeName,
            path: join(t.prefix, 'template.typeName'),
          },
          ...(near === undefined
            ? {}
            : {
                fix: {
                  description: `rename to "${near.typeName}"`,
                  changes: [{ path: join(t.prefix, 'template.typeName'), value: near.typeName }],
                },
              }),
        });
      }
    }
    for (const f of fhir.templates) {
      const names = contentTypes.get(f.typeName);
      const base = join(f.prefix, 'template');
      if (names === undefined) {
        out.push({
          rule: 'mapping/no-content-template',
          severity: 'warning',
          message: `no device-content template produces typeName "${f.typeName}"`,
          location: { set: 'fhir-mapping', index: f.index, typeName: f.typeName, path: `${base}.typeName` },
        });
        continue;
      }
      const values = [
        ...(f.template.value === undefined ? [] : [{ v: f.template.value, path: `${base}.value.valueName` }]),
        ...(f.template.components ?? []).map((c, j) => ({
          v: c.value,
          path: `${base}.components[${j}].value.valueName`,
        })),
      ];
      for (const { v, path } of values) {
        if (names.has(v.valueName)) continue;
        const near = [...names].find((n) => n.toLowerCase() === v.valueName.toLowerCase());
        out.push({
          rule: 'mapping/unknown-value-name',
          severity: 'warning',
          message: `valueName "${v.valueName}" is not extracted by any "${f.typeName}" device-content template (they extract ${[...names].map((n) => `"${n}"`).join(', ') || 'nothing'})`,
          location: { set: 'fhir-mapping', index: f.index, typeName: f.typeName, path },
          ...(near === undefined
            ? {}
            : { fix: { description: `rename to "${near}"`, changes: [{ path, value: near }] } }),
        });
      }
    }
  }
  return out;
}
