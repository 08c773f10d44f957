import { HealthItError, ValidationError } from '@healthit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IomtTemplateError } from './errors.js';
import { compileJsonPath, selectOne } from './jsonpath.js';
import { loadContentTemplates } from './load.js';

const jsonPathCalls = vi.hoisted(() => [] as unknown[]);
vi.mock('jsonpath-plus', async (importOriginal) => {
  const mod = await importOriginal<typeof import('jsonpath-plus')>();
  const spy = (opts: unknown) => {
    jsonPathCalls.push(opts);
    return (mod.JSONPath as (o: unknown) => unknown)(opts);
  };
  return { ...mod, JSONPath: Object.assign(spy, mod.JSONPath) };
});

const msg = {
  Body: {
    heartrate: '203',
    list: [
      { type: 'a', v: 1 },
      { type: 'b', v: 2 },
    ],
  },
  Properties: { 'iothub-creation-time-utc': '2019-01-30T22:45:02.6073744Z' },
};

describe('JSONPath with Newtonsoft semantics and no script evaluation', () => {
  it('$..[?(f)] tests the node itself and every descendant (Newtonsoft QueryScanFilter)', () => {
    expect(compileJsonPath('$..[?(@Body.heartrate)]').selectAll(msg)).toEqual([msg]);
    expect(compileJsonPath('$..[?(@heartRate)]').selectAll({ heartRate: '78' })).toEqual([
      { heartRate: '78' },
    ]);
    expect(compileJsonPath('$..[?(@.type == "b")]').selectAll(msg)).toEqual([{ type: 'b', v: 2 }]);
  });

  it.each([
    ["$.Body.list[?(@.type=='a')].v", [1]],
    ['$.Body.list[?(@.v > 1)].type', ['b']],
    ["$.Body.list[?(@.v == '2')].type", ['b']],
    ['$.Body.list[?(@.type =~ /^[ab]$/ && !(@.v == 1))].v', [2]],
    ['$.Body.list[*].v', [1, 2]],
    ['$..v', [1, 2]],
    ['$.Properties.iothub-creation-time-utc', ['2019-01-30T22:45:02.6073744Z']],
    ["$['Body']['heartrate']", ['203']],
    ['$.Body.list[?(@.constructor)]', []],
  ] as const)('%s selects %j', (path, expected) => {
    expect(compileJsonPath(path).selectAll(msg)).toEqual(expected);
  });

  it('selectOne refuses several tokens, as SelectToken does', () => {
    expect(() => selectOne(compileJsonPath('$..v'), msg)).toThrow(/returned 2 tokens/);
    expect(selectOne(compileJsonPath('$.nope'), msg)).toBeUndefined();
  });

  describe('attack', () => {
    afterEach(() => {
      delete (globalThis as Record<string, unknown>)['__iomtPwned'];
      vi.restoreAllMocks();
    });

    it('attack: a template with a script expression does not execute code', () => {
      const payloads = [
        '$..[?(globalThis.__iomtPwned = 1)]',
        "$..[?(@.constructor.constructor('globalThis.__iomtPwned = 1')())]",
        '$..[(globalThis.__iomtPwned = 1)]',
        '$.Body[?(this.__iomtPwned = 1)]',
        '$..[?(@heartrate && (globalThis.__iomtPwned = 1))]',
      ];
      for (const [i, typeMatchExpression] of payloads.entries()) {
        let error: unknown;
        try {
          loadContentTemplates({
            templateType: 'CollectionContent',
            template: [
              {
                templateType: 'JsonPathContent',
                template: {
                  typeName: 'ok',
                  typeMatchExpression: '$',
                  deviceIdExpression: '$.d',
                  timestampExpression: '$.t',
                },
              },
              {
                templateType: 'JsonPathContent',
                template: {
                  typeName: 'evil',
                  typeMatchExpression,
                  deviceIdExpression: '$.d',
                  timestampExpression: '$.t',
                },
              },
            ],
          });
        } catch (e) {
          error = e;
        }
        expect(error, typeMatchExpression).toBeInstanceOf(IomtTemplateError);
        expect((error as IomtTemplateError).code).toBe('validation/invalid');
        expect((error as IomtTemplateError).templateIndex).toBe(1);
        expect((error as IomtTemplateError).field).toBe('template[1].template.typeMatchExpression');
        expect(globalThis).not.toHaveProperty('__iomtPwned');
        expect(i).toBeGreaterThanOrEqual(0);
      }
    });

    it('every call into jsonpath-plus passes eval: false', () => {
      jsonPathCalls.length = 0;
      compileJsonPath("$.Body.list[?(@.type=='a')].v").selectAll(msg);
      compileJsonPath('$..v').selectAll(msg);
      expect(jsonPathCalls.length).toBeGreaterThan(1);
      for (const opts of jsonPathCalls) expect(opts).toMatchObject({ eval: false });
    });
  });

  it('refuses paths that do not start at $ with a typed error', () => {
    expect(() => compileJsonPath('Body.heartrate')).toThrow(HealthItError);
  });
});

describe('bad templates are refused with typed errors naming template index and field', () => {
  it.each([
    [
      {
        templateType: 'CollectionContent',
        template: [
          {
            templateType: 'JsonPathContent',
            template: { typeName: 'x', deviceIdExpression: '$.d', timestampExpression: '$.t' },
          },
        ],
      },
      'template[0].template.typeMatchExpression',
    ],
    [
      {
        templateType: 'CollectionContent',
        template: [{ templateType: 'IotCentralJsonPathContent', template: {} }],
      },
      'template[0].templateType',
    ],
    [
      {
        templateType: 'CalculatedContent',
        template: {
          typeName: 'x',
          typeMatchExpression: { value: 'a.[', language: 'JmesPath' },
          deviceIdExpression: '$.d',
          timestampExpression: '$.t',
        },
      },
      'template.typeMatchExpression',
    ],
    [
      {
        templateType: 'CalculatedContent',
        template: {
          typeName: 'x',
          typeMatchExpression: '$',
          deviceIdExpression: '$.d',
          timestampExpression: '$.t',
          values: [{ valueName: 'v', valueExpression: { value: '$.v', language: 'XPath' } }],
        },
      },
      'template.values[0].valueExpression',
    ],
    [{ templateType: 'Nope', template: [] }, 'templateType'],
  ])('%#: %j → %s', (template, field) => {
    let error: unknown;
    try {
      loadContentTemplates(template, { source: 'devicecontent.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as IomtTemplateError).code).toBe('validation/invalid');
    expect((error as IomtTemplateError).field).toBe(field);
    expect((error as IomtTemplateError).message).toContain(field === 'templateType' ? 'templateType' : field);
    expect((error as IomtTemplateError).message).toContain('devicecontent.json');
  });
});
