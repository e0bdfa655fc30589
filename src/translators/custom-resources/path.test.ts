import { parsePath, schemaDefaultsAt } from './path.ts';

describe('schemaDefaultsAt', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            items: { type: 'object', properties: { mode: { type: 'string', default: 'auto' } } },
          },
          template: {
            type: 'object',
            properties: {
              engineVersion: { type: 'string', default: 'v2' },
              limits: { type: 'object', default: { max: 3 } },
              type: { type: 'string' },
            },
          },
        },
      },
    },
  };

  it("gives the defaults of the object's own properties, as the API server writes them into {}", () => {
    expect(schemaDefaultsAt(schema, parsePath('spec.template'))).toEqual({
      engineVersion: 'v2',
      limits: { max: 3 },
    });
    expect(schemaDefaultsAt(schema, parsePath('spec.items[]'))).toEqual({ mode: 'auto' });
  });

  it('gives nothing where the schema is absent, does not reach, or has no properties', () => {
    expect(schemaDefaultsAt(undefined, parsePath('spec.template'))).toEqual({});
    expect(schemaDefaultsAt(schema, parsePath('spec.other'))).toEqual({});
    expect(schemaDefaultsAt(schema, parsePath('spec.template.type'))).toEqual({});
  });
});
