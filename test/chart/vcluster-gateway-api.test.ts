// vCluster's sync.toHost.gatewayApi section, as its values write it, rendered into syncer flags and
// the RBAC of the kinds it turns on.
import { configFile, failure, grantsOn, renderValues, syncerArgs } from './render.ts';

const GROUP = 'gateway.networking.k8s.io';

/** The --sync entries a rendering of these vCluster sync values passes the syncer. */
const syncEntries = (sync: Record<string, unknown>): string[] =>
  (
    syncerArgs(renderValues({ sync }))
      .find((a) => a.startsWith('--sync='))
      ?.slice('--sync='.length) ?? ''
  )
    .split(',')
    .filter(Boolean);

const gatewayApi = (section: Record<string, unknown>, fromHost?: Record<string, unknown>) =>
  syncEntries({ toHost: { gatewayApi: section }, ...(fromHost ? { fromHost } : {}) });

describe("helm chart: vCluster's sync.toHost.gatewayApi", () => {
  it("the umbrella alone turns on Gateways and HTTPRoutes and shows the host's GatewayClasses, limited by fromHost's selector", () => {
    const ms = renderValues({
      sync: {
        toHost: { gatewayApi: { enabled: true } },
        fromHost: { gatewayClasses: { selector: { matchLabels: { tenants: 'yes' } } } },
      },
    });
    const args = syncerArgs(ms);
    expect(args).toContain('--sync=gateways,host-gatewayclasses,httproutes');
    expect(args).toContain('--host-gatewayclasses-selector=tenants=yes');
    // Each kind's own permissions come with it.
    expect(grantsOn(ms, 'Role', GROUP)).toEqual(
      expect.arrayContaining([
        `${GROUP}/gateways:get,list,watch,create,update,patch,delete`,
        `${GROUP}/httproutes:get,list,watch,create,update,patch,delete`,
      ]),
    );
    expect(grantsOn(ms, 'ClusterRole', GROUP)).toContain(`${GROUP}/gatewayclasses:get,list,watch`);
  });

  it('the umbrella wins over a sub-switch or the class import set false (vCluster ORs them)', () => {
    expect(
      gatewayApi({ enabled: true, httpRoutes: { enabled: false } }, { gatewayClasses: { enabled: false } }),
    ).toEqual(['gateways', 'host-gatewayclasses', 'httproutes']);
  });

  it('each sub-switch turns its own kind on or off, without the class import', () => {
    expect(
      gatewayApi({
        gateways: { enabled: true },
        httpRoutes: { enabled: false },
        tlsRoutes: { enabled: true },
        backendTLSPolicies: { enabled: true },
      }),
    ).toEqual(['backendtlspolicies', 'gateways', '-httproutes', 'tlsroutes']);
    expect(gatewayApi({ httpRoutes: { enabled: true } }, { gatewayClasses: { enabled: true } })).toEqual([
      'host-gatewayclasses',
      'httproutes',
    ]);
  });

  it.each([
    ['true', ['httproutes', 'referencegrants']],
    [true, ['httproutes', 'referencegrants']],
    ['false', ['httproutes', '-referencegrants']],
    // vCluster's default: copied only with its namespace sync, which vsyncer has not.
    ['auto', ['httproutes']],
  ])('referenceGrants.enabled %j', (enabled, entries) => {
    expect(gatewayApi({ httpRoutes: { enabled: true }, referenceGrants: { enabled } })).toEqual(entries);
  });

  it('takes the section as vCluster writes its defaults (all off, referenceGrants auto): no kind on', () => {
    const entries = gatewayApi({
      enabled: false,
      httpRoutes: { enabled: false },
      gateways: { enabled: false },
      tlsRoutes: { enabled: false },
      backendTLSPolicies: { enabled: false },
      referenceGrants: { enabled: 'auto' },
    });
    expect(entries.filter((e) => !e.startsWith('-'))).toEqual([]);
  });

  it.each([
    [
      { referenceGrants: { enabled: 'sometimes' } },
      /referenceGrants\.enabled must be one of: auto, true, false/,
    ],
    [{ enabled: 'yes' }, /sync\.toHost\.gatewayApi\.enabled must be true or false/],
    [
      { httpRoutes: { enabled: 'on' } },
      /sync\.toHost\.gatewayApi\.httpRoutes\.enabled must be true or false/,
    ],
    [
      { gateways: { enabled: true, patches: [{ path: 'spec.x' }] } },
      /sync\.toHost\.gatewayApi\.gateways\.patches: vsyncer has no equivalent/,
    ],
    [{ patches: [{ path: 'spec.x' }] }, /sync\.toHost\.gatewayApi\.patches: vsyncer has no equivalent/],
    [
      { grpcRoutes: { enabled: true } },
      /sync\.toHost\.gatewayApi\.grpcRoutes: vsyncer has no equivalent of this key/,
    ],
  ])('refuses %j, naming the key', (section, message) => {
    expect(failure({ sync: { toHost: { gatewayApi: section } } })).toMatch(message);
  });

  it('takes null as vCluster does: a sub-section left out, referenceGrants at auto', () => {
    expect(gatewayApi({ enabled: true, httpRoutes: null, referenceGrants: { enabled: null } })).toEqual([
      'gateways',
      'host-gatewayclasses',
      'httproutes',
    ]);
    expect(gatewayApi({ referenceGrants: { enabled: '' } })).toEqual([]);
  });

  it("'*' in syncer.sync and a kind it leaves off (host-gateways without its config) set off here are no conflict", () => {
    const values = { syncer: { sync: ['*'] }, sync: { fromHost: { gateways: { enabled: false } } } };
    expect(failure(values)).toBe('');
    expect(syncerArgs(renderValues(values))).toContain('--sync=*,-host-gateways');
  });

  it('a kind turned on here and off in syncer.sync is a conflict naming both', () => {
    expect(
      failure({ syncer: { sync: ['-httproutes'] }, sync: { toHost: { gatewayApi: { enabled: true } } } }),
    ).toMatch(
      /sync\.toHost\.gatewayApi\.enabled \(true\) and syncer\.sync \(\["-httproutes"\]\) are both set/,
    );
  });
});

describe("helm chart: vCluster's sync.fromHost.gateways", () => {
  const section = {
    mappings: { byName: { 'platform/*': 'shared/*', 'infra/edge': 'edges/public' } },
    allowedRoutes: { defaultVirtualNamespacePolicy: { from: 'All' } },
  };
  /** The Roles of the mapped host namespaces, as `namespace: group/resource[names]`. */
  const mappedGrants = (ms: ReturnType<typeof renderValues>) =>
    ms
      .filter((m) => m.kind === 'Role' && m.metadata.name.endsWith(':mapped'))
      .flatMap((m) =>
        (m.rules as { apiGroups: string[]; resources: string[]; resourceNames?: string[] }[]).map(
          (r) =>
            `${m.metadata.namespace}: ${r.apiGroups[0]}/${r.resources[0]}${JSON.stringify(r.resourceNames ?? [])}`,
        ),
      )
      .sort();

  it("turns on the host-gateways kind and the host's GatewayClasses, passes the section to the syncer, and grants reads where it points", () => {
    const ms = renderValues({
      sync: { fromHost: { gateways: { enabled: true, patches: [], ...section } } },
      syncer: { mappedNamespacesRbac: 'Role' },
    });
    expect(syncerArgs(ms)).toContain('--sync=host-gatewayclasses,host-gateways');
    expect(configFile(ms)).toEqual({ hostGateways: section });
    expect(mappedGrants(ms)).toEqual([`infra: ${GROUP}/gateways["edge"]`, `platform: ${GROUP}/gateways[]`]);
  });

  it("takes vCluster's defaults (enabled false, empty mappings and policies) as nothing asked", () => {
    const ms = renderValues({
      sync: {
        fromHost: {
          gateways: {
            enabled: false,
            mappings: { byName: {} },
            selector: {},
            allowedRoutes: { defaultVirtualNamespacePolicy: {}, overrides: [] },
            status: { exposeAddresses: false },
            metadata: { exposeSourceGateway: false },
            sanitize: { certificateRefs: true, infrastructure: true },
          },
        },
      },
    });
    expect(configFile(ms)).toBeUndefined();
    expect(mappedGrants(ms)).toEqual([]);
  });

  it.each([
    [
      { enabled: true, patches: [{ path: 'spec.x' }] },
      /sync\.fromHost\.gateways\.patches: vsyncer has no equivalent/,
    ],
    [
      { enabled: true, noSuchKey: 1 },
      /sync\.fromHost\.gateways\.noSuchKey: vsyncer has no equivalent of this key/,
    ],
    [{ enabled: 'yes' }, /sync\.fromHost\.gateways\.enabled must be true or false/],
    [
      { enabled: true },
      /sync\.fromHost\.gateways\.mappings\.byName is empty: name the host Gateways to show/,
    ],
    [
      { enabled: true, mappings: { byName: { '/gw': 'a/gw' } } },
      /mappings\.byName key "\/gw" must be <host-namespace>\/<name> or <host-namespace>\/\*/,
    ],
  ])('refuses %j, naming the key', (gateways, message) => {
    expect(failure({ sync: { fromHost: { gateways } } })).toMatch(message);
  });

  it('a section set in both vCluster and vsyncer values, differently, is a conflict naming both', () => {
    expect(
      failure({
        syncer: { config: { hostGateways: { mappings: { byName: { 'other/*': 'x/*' } } } } },
        sync: { fromHost: { gateways: { enabled: true, ...section } } },
      }),
    ).toMatch(
      /sync\.fromHost\.gateways \(.*\) and syncer\.config\.hostGateways \(.*\) are both set, to different things/,
    );
  });

  it("takes vsyncer's own form: the kind in syncer.sync, the section in syncer.config", () => {
    const ms = renderValues({
      syncer: { sync: ['host-gateways'], config: { hostGateways: section }, mappedNamespacesRbac: 'Role' },
    });
    expect(configFile(ms)).toEqual({ hostGateways: section });
    expect(mappedGrants(ms)).toEqual([`infra: ${GROUP}/gateways["edge"]`, `platform: ${GROUP}/gateways[]`]);
  });
});
