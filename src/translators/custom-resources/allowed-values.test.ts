import { allowedKeysRefusal, allowedValuesRefusal } from './allowed-values.ts';
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

  it('holds a boolean or a number to the values as its text, and a rule with `when` only while that holds', () => {
    const clusterIssued = {
      path: 'spec.issuerRef.kind',
      segments: parsePath('spec.issuerRef.kind'),
      values: ['ClusterIssuer'],
      orAbsent: false,
    };
    const notCa = [{ ...rule('spec.isCA', ['false'], true), when: clusterIssued }];
    const cert = (kind: string, isCA: unknown) => ({ spec: { issuerRef: { kind }, isCA } });
    expect(allowedValuesRefusal(cert('ClusterIssuer', false), notCa)).toBeUndefined();
    expect(allowedValuesRefusal(cert('ClusterIssuer', true), notCa)).toBe(
      'spec.isCA is true; it may only be one of ["false"] here',
    );
    expect(allowedValuesRefusal(cert('ClusterIssuer', 'false'), notCa)).toBeUndefined();
    expect(allowedValuesRefusal(cert('Issuer', true), notCa)).toBeUndefined();
    expect(allowedValuesRefusal({ spec: { replicas: 3 } }, [rule('spec.replicas', ['1', '2'])])).toBe(
      'spec.replicas is 3; it may only be one of ["1","2"] here',
    );
    expect(
      allowedValuesRefusal({ spec: { replicas: 2 } }, [rule('spec.replicas', ['1', '2'])]),
    ).toBeUndefined();
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

describe('allowedValues with a pattern', () => {
  const tenantId = [
    {
      ...rule('spec.solvers[].azure.tenantID', [], true),
      pattern: /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/u,
    },
  ];

  it('lets a value matching the pattern through, and refuses one that does not', () => {
    const solver = (tenantID: unknown) => ({ spec: { solvers: [{ azure: { tenantID } }] } });
    expect(allowedValuesRefusal(solver('0d1c2b3a-1111-2222-3333-444455556666'), tenantId)).toBeUndefined();
    expect(allowedValuesRefusal(solver('contoso.onmicrosoft.com'), tenantId)).toBeUndefined();
    expect(allowedValuesRefusal({ spec: { solvers: [{ azure: {} }] } }, tenantId)).toBeUndefined();
    expect(allowedValuesRefusal(solver('//evil.example'), tenantId)).toBe(
      'spec.solvers[0].azure.tenantID is "//evil.example"; it may only match ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ here',
    );
    expect(allowedValuesRefusal(solver(7), tenantId)).toContain('spec.solvers[0].azure.tenantID is 7;');
  });
});

describe('allowedKeys', () => {
  const keys = (path: string, allowed: string[], required = false) => ({
    path,
    segments: parsePath(path),
    keys: allowed,
    required,
  });
  const providers = [
    keys('spec.provider', ['fake', 'vault'], true),
    keys('spec.provider.vault.auth', ['tokenSecretRef'], true),
  ];

  it('lets through a mapping holding only allowed keys, and no choice where the parent is not set', () => {
    expect(allowedKeysRefusal({ spec: { provider: { fake: { data: [] } } } }, providers)).toBeUndefined();
    expect(
      allowedKeysRefusal(
        { spec: { provider: { vault: { auth: { tokenSecretRef: { name: 't' } } } } } },
        providers,
      ),
    ).toBeUndefined();
    // A key set to null is not set (the controller decodes it as absent).
    expect(
      allowedKeysRefusal({ spec: { provider: { fake: {}, kubernetes: null } } }, providers),
    ).toBeUndefined();
    expect(allowedKeysRefusal({}, [keys('spec.provider.vault.auth', ['a'], true)])).toBeUndefined();
  });

  it('refuses another key, a required mapping left out or empty, and a mapping of the wrong shape', () => {
    expect(allowedKeysRefusal({ spec: { provider: { kubernetes: {} } } }, providers)).toBe(
      'spec.provider.kubernetes is set; it may hold one of ["fake","vault"] here',
    );
    expect(allowedKeysRefusal({ spec: { provider: { fake: {}, aws: {} } } }, providers)).toBe(
      'spec.provider.aws is set; it may hold one of ["fake","vault"] here',
    );
    // The host's controller would sign in as itself.
    expect(allowedKeysRefusal({ spec: { provider: { vault: { server: 'https://v' } } } }, providers)).toBe(
      'spec.provider.vault.auth is not set; it may hold one of ["tokenSecretRef"] here',
    );
    expect(allowedKeysRefusal({ spec: { provider: { vault: { auth: {} } } } }, providers)).toBe(
      'spec.provider.vault.auth holds none of ["tokenSecretRef"]; it may hold one of ["tokenSecretRef"] here',
    );
    expect(allowedKeysRefusal({ spec: {} }, providers)).toBe(
      'spec.provider is not set; it may hold one of ["fake","vault"] here',
    );
    expect(allowedKeysRefusal({ spec: { provider: ['fake'] } }, providers)).toBe(
      'spec.provider must be an object',
    );
  });
});
