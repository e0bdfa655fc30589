import { allowedValuesRefusal } from './allowed-values.ts';
import { parsePath } from './path.ts';

const rule = (path: string, values: string[], optional = false) => ({
  path,
  segments: parsePath(path),
  values,
  optional,
});

describe('allowedValues', () => {
  const kindIsCluster = [rule('spec.issuerRef.kind', ['ClusterIssuer'])];

  it('lets an object through whose field holds an allowed value', () => {
    expect(
      allowedValuesRefusal({ spec: { issuerRef: { kind: 'ClusterIssuer' } } }, kindIsCluster),
    ).toBeUndefined();
    expect(allowedValuesRefusal({ spec: {} }, [])).toBeUndefined();
  });

  it('refuses another value, a value of another type, and an absent field unless optional', () => {
    expect(allowedValuesRefusal({ spec: { issuerRef: { kind: 'Issuer' } } }, kindIsCluster)).toBe(
      'spec.issuerRef.kind is "Issuer"; it may only be one of ["ClusterIssuer"] here',
    );
    expect(allowedValuesRefusal({ spec: { issuerRef: { kind: 7 } } }, kindIsCluster)).toContain(
      'spec.issuerRef.kind is 7;',
    );
    expect(allowedValuesRefusal({ spec: { issuerRef: {} } }, kindIsCluster)).toBe(
      'spec.issuerRef.kind is not set; it may only be one of ["ClusterIssuer"] here',
    );
    expect(allowedValuesRefusal({ spec: {} }, kindIsCluster)).toBe(
      'spec.issuerRef is not set, so neither is spec.issuerRef.kind; it may only be one of ["ClusterIssuer"] here',
    );
    expect(allowedValuesRefusal({ spec: {} }, [rule('spec.issuerRef.kind', ['A'], true)])).toBeUndefined();
  });

  it('no values (optional): the field may not be set, whatever it holds', () => {
    const noNamespaceSelector = [rule('spec.namespaceSelector', [], true)];
    expect(allowedValuesRefusal({ spec: {} }, noNamespaceSelector)).toBeUndefined();
    expect(allowedValuesRefusal({ spec: { namespaceSelector: { any: true } } }, noNamespaceSelector)).toBe(
      'spec.namespaceSelector is set; it may not be set here',
    );
    expect(allowedValuesRefusal({ spec: { namespaceSelector: {} } }, noNamespaceSelector)).toBe(
      'spec.namespaceSelector is set; it may not be set here',
    );
  });

  it('holds every item of a list to it, and reports a malformed shape', () => {
    const solvers = [rule('spec.solvers[].kind', ['Http'])];
    expect(
      allowedValuesRefusal({ spec: { solvers: [{ kind: 'Http' }, { kind: 'Http' }] } }, solvers),
    ).toBeUndefined();
    expect(allowedValuesRefusal({ spec: { solvers: [{ kind: 'Http' }, {}] } }, solvers)).toBe(
      'spec.solvers[1].kind is not set; it may only be one of ["Http"] here',
    );
    expect(allowedValuesRefusal({ spec: { solvers: 'all' } }, solvers)).toBe('spec.solvers must be a list');
  });
});
