import { buildConfig } from '../../src/config/config.ts';
import {
  EVERYTHING_ON,
  render,
  renderValues,
  type Manifest,
  configFile,
  ungenerated,
  failure,
  grantsOn,
} from './render.ts';

// vCluster's integrations.certManager (templates/_vcluster-values.tpl, vsyncer.vc.certManager), and
// vsyncer's own syncer.config.integrations, which the chart passes to the syncer's config file and
// follows with the host RBAC (templates/rbac.yaml, vsyncer.certManager).

const certManagerGrants = (ms: Manifest[], kind: 'Role' | 'ClusterRole') =>
  grantsOn(ms, kind, 'cert-manager.io');

const ALL_VERBS = 'get,list,watch,create,update,patch,delete';
const CERTIFICATES = `cert-manager.io/certificates:${ALL_VERBS}`;
const ISSUERS = `cert-manager.io/issuers:${ALL_VERBS}`;
const CLUSTER_ISSUERS = 'cert-manager.io/clusterissuers:get,list,watch';
const CRDS = 'apiextensions.k8s.io/customresourcedefinitions:get';

/** vCluster's section as its chart's values.yaml has it (v0.22 to v0.36), turned off. */
const VCLUSTER_DEFAULT = {
  enabled: false,
  sync: {
    toHost: { certificates: { enabled: true }, issuers: { enabled: true } },
    fromHost: { clusterIssuers: { enabled: true, selector: { labels: {} } } },
  },
};

/** The same, turned on, showing the host's ClusterIssuers labelled for tenants only. */
const VCLUSTER_ON = {
  ...VCLUSTER_DEFAULT,
  enabled: true,
  sync: {
    ...VCLUSTER_DEFAULT.sync,
    fromHost: {
      clusterIssuers: { enabled: true, selector: { labels: { 'issuers.example.com/tenants': 'true' } } },
    },
  },
};

describe("helm chart: vCluster's integrations.certManager", () => {
  it("passes the section to the syncer's config file as it is written, as vsyncer's syncer.config.integrations does", () => {
    const fromVcluster = renderValues({ integrations: { certManager: VCLUSTER_ON } });
    const fromVsyncer = renderValues({ syncer: { config: { integrations: { certManager: VCLUSTER_ON } } } });
    expect(configFile(fromVcluster)).toEqual({ integrations: { certManager: VCLUSTER_ON } });
    // The StatefulSet mounts it, with its checksum; the RBAC follows it: the same.
    expect(ungenerated(fromVcluster)).toEqual(ungenerated(fromVsyncer));
    // The same value given both ways is no conflict.
    expect(
      configFile(
        renderValues({
          integrations: { certManager: VCLUSTER_ON },
          syncer: { config: { integrations: { certManager: VCLUSTER_ON } } },
        }),
      ),
    ).toEqual({ integrations: { certManager: VCLUSTER_ON } });
  });

  it('the syncer reads the rendered file into the Certificates and Issuers it syncs and the ClusterIssuers it shows', () => {
    const file = configFile(renderValues({ integrations: { certManager: VCLUSTER_ON } }))!;
    const { customResources } = buildConfig(file, {
      name: 'vc1',
      hostNamespace: 'team-a',
      virtualKubeconfig: '/k',
    });
    expect(customResources.toHost.map((e) => e.crdName)).toEqual([
      'issuers.cert-manager.io',
      'certificates.cert-manager.io',
    ]);
    expect(customResources.fromHost.map((e) => [e.crdName, e.selectorLabels])).toEqual([
      ['clusterissuers.cert-manager.io', { 'issuers.example.com/tenants': 'true' }],
    ]);
  });

  it("renders nothing for vCluster's default section (off), as no value does", () => {
    const off = renderValues({ integrations: { certManager: VCLUSTER_DEFAULT } });
    expect(configFile(off)).toBeUndefined();
    expect(certManagerGrants(off, 'Role')).toEqual([]);
    expect(certManagerGrants(off, 'ClusterRole')).toEqual([]);
    expect(ungenerated(off)).toEqual(ungenerated(renderValues({})));
    // Off beside vsyncer's own value: that one is used.
    expect(
      configFile(
        renderValues({
          integrations: { certManager: VCLUSTER_DEFAULT },
          syncer: { config: { integrations: { certManager: { enabled: true } } } },
        }),
      ),
    ).toEqual({ integrations: { certManager: { enabled: true } } });
  });

  it.each<[string, Record<string, unknown>, string[], string[]]>([
    ['on, every part (its defaults)', { enabled: true }, [CERTIFICATES, ISSUERS], [CLUSTER_ISSUERS, CRDS]],
    [
      'without Issuers',
      { enabled: true, sync: { toHost: { issuers: { enabled: false } } } },
      [CERTIFICATES],
      [CLUSTER_ISSUERS, CRDS],
    ],
    [
      'without Certificates',
      { enabled: true, sync: { toHost: { certificates: { enabled: false } } } },
      [ISSUERS],
      [CLUSTER_ISSUERS, CRDS],
    ],
    [
      "without the host's ClusterIssuers",
      { enabled: true, sync: { fromHost: { clusterIssuers: { enabled: false } } } },
      [CERTIFICATES, ISSUERS],
      [CRDS],
    ],
    ['off', { ...VCLUSTER_ON, enabled: false }, [], []],
  ])(
    '%s: the Role and ClusterRole grant what the enabled parts need, from either value',
    (_name, section, role, cluster) => {
      for (const values of [
        { integrations: { certManager: section } },
        { syncer: { config: { integrations: { certManager: section } } } },
      ]) {
        const ms = renderValues(values);
        expect(certManagerGrants(ms, 'Role')).toEqual([...role].sort());
        expect(certManagerGrants(ms, 'ClusterRole')).toEqual([...cluster].sort());
      }
    },
  );

  it('is among every optional feature (EVERYTHING_ON), beside custom resources of its own', () => {
    const ms = render(EVERYTHING_ON);
    expect(configFile(ms)).toMatchObject({ integrations: { certManager: { enabled: true } } });
    expect(certManagerGrants(ms, 'Role')).toEqual([CERTIFICATES, ISSUERS]);
    expect(certManagerGrants(ms, 'ClusterRole')).toEqual([CRDS, CLUSTER_ISSUERS]);
    // And the syncer takes that file.
    expect(() =>
      buildConfig(configFile(ms)!, { name: 'vc1', hostNamespace: 'team-a', virtualKubeconfig: '/k' }),
    ).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'a key vCluster has not, on or off, naming it',
      {
        integrations: {
          certManager: {
            enabled: false,
            webhook: { enabled: true },
            sync: { toHost: { orders: { enabled: true } } },
          },
        },
      },
      [
        'integrations.certManager.sync.toHost.orders: vsyncer has no equivalent of this key',
        'integrations.certManager.webhook: vsyncer has no equivalent of this key',
      ],
    ],
    [
      "a selector in another shape than vCluster's",
      {
        integrations: {
          certManager: {
            enabled: true,
            sync: { fromHost: { clusterIssuers: { selector: { matchLabels: { a: 'b' } } } } },
          },
        },
      },
      [
        'integrations.certManager.sync.fromHost.clusterIssuers.selector.matchLabels: vsyncer has no equivalent of this key',
      ],
    ],
    [
      'a switch that is not true or false, a label value that is not a string',
      {
        integrations: {
          certManager: {
            enabled: 'yes',
            sync: { fromHost: { clusterIssuers: { selector: { labels: { tier: 1.1 } } } } },
          },
        },
      },
      [
        'integrations.certManager.enabled must be true or false, not "yes"',
        'integrations.certManager.sync.fromHost.clusterIssuers.selector.labels: the value of "tier" must be a string',
      ],
    ],
    [
      'Certificates without an issuer',
      {
        integrations: {
          certManager: {
            enabled: true,
            sync: {
              toHost: { issuers: { enabled: false } },
              fromHost: { clusterIssuers: { enabled: false } },
            },
          },
        },
      },
      ['integrations.certManager.sync.toHost.certificates: a Certificate needs an issuer'],
    ],
    [
      'it and vsyncer’s value set to different things, naming both',
      {
        integrations: { certManager: { enabled: true } },
        syncer: { config: { integrations: { certManager: { enabled: false } } } },
      },
      [
        'integrations.certManager ({"enabled":true}) and syncer.config.integrations.certManager ({"enabled":false}) are both set, to different things: set one',
      ],
    ],
    [
      'a resource customResources configures too',
      {
        integrations: { certManager: { enabled: true } },
        sync: {
          fromHost: {
            customResources: { 'clusterissuers.cert-manager.io': { enabled: true, scope: 'Cluster' } },
          },
        },
      },
      [
        'integrations.certManager syncs clusterissuers.cert-manager.io (its clusterIssuers part), which syncer.config.customResources.fromHost[0] configures too',
      ],
    ],
    [
      'the secrets kind off, which carries the Secrets',
      { integrations: { certManager: { enabled: true } }, sync: { toHost: { secrets: { enabled: false } } } },
      ['integrations.certManager needs the secrets kind'],
    ],
    [
      "vsyncer's own value: a key vCluster's section has not, another integration",
      {
        syncer: {
          config: {
            integrations: {
              certManager: { enabled: true, sync: { toHost: { orders: {} } } },
              metricsServer: { enabled: true },
              istio: { enabled: true },
              // Off, as vCluster's defaults write it: accepted.
              kubeVirt: { enabled: false, webhook: { enabled: true } },
            },
          },
        },
      },
      [
        "syncer.config.integrations.certManager.sync.toHost.orders: not a key of vCluster's integrations.certManager",
        'syncer.config.integrations.istio: vsyncer has no equivalent (only certManager and externalSecrets are offered)',
        'syncer.config.integrations.metricsServer: set syncer.metricsServerProxy.enabled instead',
      ],
    ],
  ])('refuses %s', (_name, values, messages) => {
    const message = failure(values);
    for (const m of messages) expect(message).toContain(m);
    expect(message).not.toContain('integrations.kubeVirt:');
  });
});
