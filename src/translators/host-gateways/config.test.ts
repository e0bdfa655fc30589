import { parseHostGatewaysConfig } from './config.ts';
import { hostGatewaysDescriptorFor } from './index.ts';
import { hostnameRefusal } from './mirror.ts';

const byName = (entries: Record<string, unknown>) => ({ mappings: { byName: entries } });
const problemOf = (raw: unknown): string => {
  try {
    parseHostGatewaysConfig(raw);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('hostGateways config', () => {
  it('reads mappings by name and whole namespaces, with vCluster defaults for the rest', () => {
    const config = parseHostGatewaysConfig(
      byName({ 'platform/*': 'shared/*', 'infra/edge': 'edges/public' }),
    )!;
    expect([...config.mappings.namespaces]).toEqual([['platform', 'shared']]);
    expect([...config.mappings.exact]).toEqual([['infra/edge', 'edges/public']]);
    expect(config).toMatchObject({
      exposeAddresses: false,
      exposeSourceGateway: false,
      sanitizeCertificateRefs: true,
      sanitizeInfrastructure: true,
    });
    expect(config.defaultPolicy).toBeUndefined();
    expect(parseHostGatewaysConfig(undefined)).toBeUndefined();
  });

  it.each([
    [{}, /hostGateways\.mappings\.byName: is empty/],
    [byName({ '': 'shared/*' }), /the host side must be <namespace>\/<name> or <namespace>\/\*/],
    [byName({ '/*': 'shared/*' }), /the host side needs its namespace/],
    [byName({ '/edge': 'shared/edge' }), /the host side needs its namespace/],
    [byName({ 'platform/*': 'shared/edge' }), /a whole host namespace maps to a whole virtual namespace/],
    [byName({ 'platform/edge': 'shared/*' }), /a host Gateway named maps to a virtual Gateway named/],
    [byName({ 'platform/*': 'kube-system/*' }), /virtual namespace kube-system is the cluster's own/],
    [byName({ 'platform/e*': 'shared/e' }), /\* may only stand for the whole name/],
    [byName({ 'Platform/*': 'shared/*' }), /namespace "Platform" is not a namespace name/],
    [
      byName({ 'a/*': 'shared/*', 'b/*': 'shared/*' }),
      /virtual namespace shared is the target of "a\/\*" too/,
    ],
    [
      byName({ 'a/x': 'shared/x', 'b/y': 'shared/x' }),
      /virtual Gateway shared\/x is the target of "a\/x" too/,
    ],
    [byName({ 'a/*': 'one/*', 'a/x': 'two/x' }), /"a\/x" is inside "a\/\*", mapped whole/],
    [
      byName({ 'a/*': 'one/*', 'b/x': 'one/x' }),
      /the target "one\/x" is inside the namespace "a\/\*" maps into/,
    ],
    [byName({ 'a/x': 7 }), /must be a string, got 7/],
    [
      { ...byName({ 'a/*': 'one/*' }), allowedRoutes: { defaultVirtualNamespacePolicy: { from: 'None' } } },
      /defaultVirtualNamespacePolicy\.from: must be one of: All, Same, Selector, got "None"/,
    ],
    [
      {
        ...byName({ 'a/*': 'one/*' }),
        allowedRoutes: { defaultVirtualNamespacePolicy: { from: 'Selector' } },
      },
      /defaultVirtualNamespacePolicy\.selector: must not be empty when from is Selector/,
    ],
    [
      {
        ...byName({ 'a/x': 'one/x' }),
        allowedRoutes: { overrides: [{ hostNamespace: 'a', name: 'y', allowedHostnames: ['*.x.com'] }] },
      },
      /overrides\[0\]: names host Gateway a\/y, which mappings\.byName does not show/,
    ],
    [
      {
        ...byName({ 'a/*': 'one/*' }),
        allowedRoutes: { overrides: [{ hostNamespace: 'a', name: 'y', allowedHostnames: ['*'] }] },
      },
      /overrides\[0\]\.allowedHostnames\[0\]: is not a hostname or \*\.<domain>: "\*"/,
    ],
    [
      {
        ...byName({ 'a/*': 'one/*' }),
        allowedRoutes: { overrides: [{ hostNamespace: 'a', name: '*', allowedHostnames: ['*.x.com'] }] },
      },
      /overrides\[0\]: must name one host Gateway by hostNamespace and name, got "a\/\*"/,
    ],
    [byName({ ' a/*': 'one/*' }), /the host side namespace " a" is not a namespace name/],
    [
      { ...byName({ 'a/*': 'one/*' }), selector: { matchExpressions: [{ key: 'x', operator: 'In' }] } },
      /selector\.matchExpressions\[0\]\.values: must not be empty with In/,
    ],
    [
      { ...byName({ 'a/*': 'one/*' }), status: { exposeAddresses: 'yes' } },
      /exposeAddresses: must be true or false/,
    ],
    [{ ...byName({ 'a/*': 'one/*' }), patches: [] }, /hostGateways\.patches: unknown field/],
  ])('refuses %j, naming the field', (raw, message) => {
    expect(problemOf(raw)).toMatch(message);
  });
});

describe('hostname policy of an override', () => {
  const config = parseHostGatewaysConfig({
    ...byName({ 'a/*': 'one/*' }),
    allowedRoutes: {
      overrides: [
        {
          hostNamespace: 'a',
          name: 'edge',
          allowedHostnames: ['*.team-a.example.com', 'team-a.example.com'],
        },
      ],
    },
  })!;
  const refusal = (hostnames: string[], hostKey = 'a/edge') =>
    hostnameRefusal(config, hostKey, 'edge', 'HTTPRoute', hostnames);

  it.each([
    [['api.team-a.example.com'], undefined],
    [['deep.api.team-a.example.com', 'team-a.example.com'], undefined],
    [['*.team-a.example.com'], undefined],
    [['API.Team-A.example.com'], /hostname "API\.Team-A\.example\.com" is not a hostname/],
    [['.team-a.example.com'], /hostname "\.team-a\.example\.com" is not a hostname/],
    [['*.example.com'], /hostname "\*\.example\.com" is not permitted/],
    [['evil-team-a.example.com'], /hostname "evil-team-a\.example\.com" is not permitted/],
    [[], /a HTTPRoute with no hostnames is not permitted/],
  ])('%j', (hostnames, expected) => {
    const got = refusal(hostnames);
    if (expected === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(expected);
  });

  it('limits nothing on a Gateway without an override', () => {
    expect(refusal([], 'a/other')).toBeUndefined();
  });
});

describe('the host-gateways kind', () => {
  it('needs the config file to name the host Gateways', () => {
    expect(() => hostGatewaysDescriptorFor(undefined).build({} as never, {} as never)).toThrow(
      /kind 'host-gateways' is on, so the config file's hostGateways must name the host Gateways to show/,
    );
  });
});
