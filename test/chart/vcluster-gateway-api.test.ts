// vCluster's sync.toHost.gatewayApi section, as its values write it, rendered into syncer flags and
// the RBAC of the kinds it turns on.
import { failure, grantsOn, renderValues, syncerArgs } from './render.ts';

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

  it('a kind turned on here and off in syncer.sync is a conflict naming both', () => {
    expect(
      failure({ syncer: { sync: ['-httproutes'] }, sync: { toHost: { gatewayApi: { enabled: true } } } }),
    ).toMatch(
      /sync\.toHost\.gatewayApi\.enabled \(true\) and syncer\.sync \(\["-httproutes"\]\) are both set/,
    );
  });
});
