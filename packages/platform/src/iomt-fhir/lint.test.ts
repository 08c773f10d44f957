import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type JsonValue, parseJsonText } from './json.js';
import { LINT_RULES, lintTemplates } from './lint.js';
import { loadContentTemplates, loadFhirTemplates } from './load.js';

const VECTORS = new URL('../../test/vectors/iomt-fhir/', import.meta.url);
const text = (path: string): string => readFileSync(new URL(path, VECTORS), 'utf8');
const vector = (path: string): JsonValue => parseJsonText(text(path), path);

describe('template linter', () => {
  it('sample-templates-basic: wrong diastolic LOINC and non-UCUM units, with locations and fixes', () => {
    const fhir = loadFhirTemplates(text('sample-templates-basic/fhirmapping.json'));
    const findings = lintTemplates({ fhir });
    const wrong = findings.find((f) => f.rule === 'loinc/wrong-code');
    expect(wrong?.location).toEqual({
      set: 'fhir-mapping',
      index: 3,
      typeName: 'bloodpressure',
      path: 'template[3].template.components[0].codes[0].code',
    });
    expect(wrong?.message).toContain('8462-4');
    expect(wrong?.fix?.changes).toEqual([
      { path: 'template[3].template.components[0].codes[0].code', value: '8462-4' },
      { path: 'template[3].template.components[0].codes[0].display', value: 'Diastolic blood pressure' },
    ]);
    const units = findings.filter((f) => f.rule === 'ucum/non-ucum-unit');
    expect(units.map((f) => [f.location.path, f.fix?.changes[0]?.value])).toEqual([
      ['template[0].template.value.unit', '/min'],
      ['template[3].template.components[0].value.unit', 'mm[Hg]'],
      ['template[3].template.components[1].value.unit', 'mm[Hg]'],
    ]);
    for (const f of findings) expect(Object.keys(LINT_RULES)).toContain(f.rule);
  });

  it('mapping-generator: diastolic 8867-4 and unit codes mmHg / count/min', () => {
    const fhir = loadFhirTemplates({
      templateType: 'CollectionFhir',
      template: ['BloodPressure', 'HeartRate', 'OxygenSaturation'].map((n) =>
        vector(`mapping-generator/Expected_fhirMapping_${n}.json`),
      ),
    });
    const findings = lintTemplates({ fhir }).map((f) => [f.rule, f.location.path]);
    expect(findings).toEqual([
      ['loinc/wrong-code', 'template[0].template.components[0].codes[0].code'],
      ['ucum/non-ucum-unit', 'template[0].template.components[0].value.code'],
      ['ucum/non-ucum-unit', 'template[0].template.components[1].value.code'],
      ['ucum/non-ucum-unit', 'template[1].template.value.code'],
    ]);
  });

  it('templates that never match the samples, a missing required path, and unmapped types', () => {
    const content = loadContentTemplates({
      templateType: 'CollectionContent',
      template: [
        {
          templateType: 'JsonPathContent',
          template: {
            typeName: 'heartrate',
            typeMatchExpression: '$..[?(@HeartRate)]',
            deviceIdExpression: '$.deviceId',
            timestampExpression: '$.endDate',
            values: [{ valueName: 'hr', valueExpression: '$.heartRate', required: true }],
          },
        },
        {
          templateType: 'JsonPathContent',
          template: {
            typeName: 'steps',
            typeMatchExpression: '$..[?(@steps)]',
            deviceIdExpression: '$.device',
            timestampExpression: '$.endDate',
            values: [{ valueName: 'steps', valueExpression: '$.steps', required: true }],
          },
        },
      ],
    });
    const fhir = loadFhirTemplates(text('msdocs-end-to-end-heartrate/4-fhir-destination-mapping.json'));
    const samples = [{ heartRate: '78', steps: 3, endDate: '2023-03-13T22:46:01Z', deviceId: 'd1' }];
    const findings = lintTemplates({ content, fhir, samples });
    const never = findings.find((f) => f.rule === 'match/never-matches');
    expect(never?.location.path).toBe('template[0].template.typeMatchExpression');
    expect(never?.fix?.changes[0]?.value).toBe('$..[?(@heartRate)]');
    const missing = findings.find((f) => f.rule === 'match/required-missing');
    expect(missing?.location.path).toBe('template[1].template.deviceIdExpression');
    expect(findings.find((f) => f.rule === 'mapping/no-fhir-template')?.location.typeName).toBe('steps');
  });
});
