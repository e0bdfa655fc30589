import { buildConfig } from '../../src/config/config.ts';
import {
  EVERYTHING_ON,
  render,
  renderValues,
  type Manifest,
  configFile,
  ungenerated,
  failure,
  rulesOf,
  grantsOn,
} from './render.ts';

// vCluster's integrations.externalSecrets (templates/_vcluster-values.tpl, vsyncer.vc.integration),
// and vsyncer's own syncer.config.integrations.externalSecrets, which the chart passes to the
// syncer's config file and follows with the host RBAC (templates/rbac.yaml, vsyncer.externalSecrets).

const externalSecretsGrants = (ms: Manifest[], kind: 'Role' | 'ClusterRole') =>
  grantsOn(ms, kind, 'external-secrets.io');

const ALL_VERBS = 'get,list,watch,create,update,patch,delete';
const EXTERNAL_SECRETS = `external-secrets.io/externalsecrets:${ALL_VERBS}`;
const STORES = `external-secrets.io/secretstores:${ALL_VERBS}`;
const CLUSTER_STORES = 'external-secrets.io/clustersecretstores:get,list,watch';
const CRDS = 'apiextensions.k8s.io/customresourcedefinitions:get';

/** vCluster's section as its chart's values.yaml has it from v0.25 on, turned off. */
const VCLUSTER_DEFAULT = {
  enabled: false,
  webhook: { enabled: false },
  sync: {
    toHost: {
      externalSecrets: { selector: { matchLabels: {} } },
      stores: { enabled: false, selector: { matchLabels: {} } },
    },
    fromHost: { clusterStores: { enabled: false, selector: { matchLabels: {} } } },
  },
};

/** The same before v0.25 (v0.20 to v0.24), turned off. */
const VCLUSTER_EARLIER_DEFAULT = {
  enabled: false,
  webhook: { enabled: false },
  sync: {
    externalSecrets: { enabled: true },
    stores: { enabled: false },
    clusterStores: { enabled: false, selector: { labels: {} } },
  },
};

/**
 * As vCluster's docs turn it on: the tenant's SecretStores synced, the host's ClusterSecretStores
 * labelled for tenants shown.
 */
const VCLUSTER_ON = {
  ...VCLUSTER_DEFAULT,
  enabled: true,
  version: 'v1',
  sync: {
    toHost: {
      externalSecrets: { selector: { matchLabels: {} } },
      stores: { enabled: true, selector: { matchLabels: {} } },
    },
    fromHost: {
      clusterStores: { enabled: true, selector: { matchLabels: { 'stores.example.com/tenants': 'true' } } },
    },
  },
};

/** The form before v0.25, turned on, showing the host's ClusterSecretStores labelled for tenants. */
const VCLUSTER_EARLIER_ON = {
  ...VCLUSTER_EARLIER_DEFAULT,
  enabled: true,
  sync: {
    ...VCLUSTER_EARLIER_DEFAULT.sync,
    clusterStores: { enabled: true, selector: { labels: { 'stores.example.com/tenants': 'true' } } },
  },
};

const buildFrom = (file: Record<string, unknown>) =>
  buildConfig(file, { name: 'vc1', hostNamespace: 'team-a', virtualKubeconfig: '/k' }).customResources;

describe("helm chart: vCluster's integrations.externalSecrets", () => {
  it.each([
    ['current', VCLUSTER_ON],
    ['earlier', VCLUSTER_EARLIER_ON],
  ])(
    "passes the section (vCluster's %s form) to the syncer's config file as it is written, as vsyncer's syncer.config.integrations does",
    (_form, section) => {
      const fromVcluster = renderValues({ integrations: { externalSecrets: section } });
      const fromVsyncer = renderValues({
        syncer: { config: { integrations: { externalSecrets: section } } },
      });
      expect(configFile(fromVcluster)).toEqual({ integrations: { externalSecrets: section } });
      // The StatefulSet mounts it, with its checksum; the RBAC follows it: the same.
      expect(ungenerated(fromVcluster)).toEqual(ungenerated(fromVsyncer));
      // The same value given both ways is no conflict.
      expect(
        configFile(
          renderValues({
            integrations: { externalSecrets: section },
            syncer: { config: { integrations: { externalSecrets: section } } },
          }),
        ),
      ).toEqual({ integrations: { externalSecrets: section } });
    },
  );

  it('the syncer reads the rendered file into the ExternalSecrets and SecretStores it syncs and the ClusterSecretStores it shows, from either form', () => {
    const current = buildFrom(configFile(renderValues({ integrations: { externalSecrets: VCLUSTER_ON } }))!);
    expect(current.toHost.map((e) => e.crdName)).toEqual([
      'secretstores.external-secrets.io',
      'externalsecrets.external-secrets.io',
    ]);
    expect(current.fromHost.map((e) => [e.crdName, e.selectorLabels])).toEqual([
      ['clustersecretstores.external-secrets.io', { 'stores.example.com/tenants': 'true' }],
    ]);
    const earlier = buildFrom(
      configFile(renderValues({ integrations: { externalSecrets: VCLUSTER_EARLIER_ON } }))!,
    );
    expect(earlier.toHost.map((e) => e.crdName)).toEqual(['externalsecrets.external-secrets.io']);
    expect(earlier.fromHost.map((e) => [e.crdName, e.selectorLabels])).toEqual([
      ['clustersecretstores.external-secrets.io', { 'stores.example.com/tenants': 'true' }],
    ]);
  });

  it.each([
    ['current', VCLUSTER_DEFAULT],
    ['earlier', VCLUSTER_EARLIER_DEFAULT],
  ])(
    "renders nothing for vCluster's default section in its %s form (off), as no value does",
    (_form, off) => {
      const ms = renderValues({ integrations: { externalSecrets: off } });
      expect(configFile(ms)).toBeUndefined();
      expect(externalSecretsGrants(ms, 'Role')).toEqual([]);
      expect(externalSecretsGrants(ms, 'ClusterRole')).toEqual([]);
      expect(ungenerated(ms)).toEqual(ungenerated(renderValues({})));
      // Off beside vsyncer's own value: that one is used.
      const own = { enabled: true, sync: { toHost: { stores: { enabled: true } } } };
      expect(
        configFile(
          renderValues({
            integrations: { externalSecrets: off },
            syncer: { config: { integrations: { externalSecrets: own } } },
          }),
        ),
      ).toEqual({ integrations: { externalSecrets: own } });
    },
  );

  it.each<[string, Record<string, unknown>, string[], string[]]>([
    [
      "the tenant's SecretStores",
      { enabled: true, sync: { toHost: { stores: { enabled: true } } } },
      [EXTERNAL_SECRETS, STORES],
      [CRDS],
    ],
    [
      "the host's ClusterSecretStores only",
      { enabled: true, sync: { fromHost: { clusterStores: { enabled: true } } } },
      [EXTERNAL_SECRETS],
      [CLUSTER_STORES, CRDS],
    ],
    ['every part, as vCluster writes it', VCLUSTER_ON, [EXTERNAL_SECRETS, STORES], [CLUSTER_STORES, CRDS]],
    [
      "the earlier form, SecretStores and the host's ClusterSecretStores",
      {
        enabled: true,
        sync: {
          externalSecrets: { enabled: true },
          stores: { enabled: true },
          clusterStores: { enabled: true },
        },
      },
      [EXTERNAL_SECRETS, STORES],
      [CLUSTER_STORES, CRDS],
    ],
    [
      "the earlier form, the host's ClusterSecretStores only",
      VCLUSTER_EARLIER_ON,
      [EXTERNAL_SECRETS],
      [CLUSTER_STORES, CRDS],
    ],
    [
      'the earlier form with its ExternalSecrets off: SecretStores only',
      { enabled: true, sync: { externalSecrets: { enabled: false }, stores: { enabled: true } } },
      [STORES],
      [CRDS],
    ],
    ['off', { ...VCLUSTER_ON, enabled: false }, [], []],
  ])(
    '%s: the Role and ClusterRole grant what the enabled parts need, from either value',
    (_name, section, role, cluster) => {
      for (const values of [
        { integrations: { externalSecrets: section } },
        { syncer: { config: { integrations: { externalSecrets: section } } } },
      ]) {
        const ms = renderValues(values);
        expect(externalSecretsGrants(ms, 'Role')).toEqual([...role].sort());
        expect(externalSecretsGrants(ms, 'ClusterRole')).toEqual([...cluster].sort());
      }
    },
  );

  it('beside integrations.certManager: one rule reading the CRDs, each integration its own', () => {
    const ms = renderValues({
      integrations: { certManager: { enabled: true }, externalSecrets: VCLUSTER_ON },
    });
    const crdRules = rulesOf(ms, 'ClusterRole').filter((r) =>
      r.resources.includes('customresourcedefinitions'),
    );
    expect(crdRules).toEqual([
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get'] },
    ]);
    expect(externalSecretsGrants(ms, 'ClusterRole')).toEqual([CRDS, CLUSTER_STORES]);
    expect(rulesOf(ms, 'ClusterRole').flatMap((r) => r.resources)).toContain('clusterissuers');
    expect(configFile(ms)).toEqual({
      integrations: { certManager: { enabled: true }, externalSecrets: VCLUSTER_ON },
    });
  });

  it('is among every optional feature (EVERYTHING_ON)', () => {
    const ms = render(EVERYTHING_ON);
    expect(configFile(ms)).toMatchObject({ integrations: { externalSecrets: { enabled: true } } });
    expect(externalSecretsGrants(ms, 'Role')).toEqual([EXTERNAL_SECRETS, STORES]);
    expect(externalSecretsGrants(ms, 'ClusterRole')).toEqual([CRDS, CLUSTER_STORES]);
    // And the syncer takes that file.
    expect(() => buildFrom(configFile(ms)!)).not.toThrow();
  });

  it('takes the configmaps kind off: an ExternalSecret templated from a ConfigMap is then refused by the syncer, the others synced', () => {
    const ms = renderValues({
      integrations: { externalSecrets: VCLUSTER_ON },
      sync: { toHost: { configMaps: { enabled: false } } },
    });
    expect(configFile(ms)).toEqual({ integrations: { externalSecrets: VCLUSTER_ON } });
    expect(externalSecretsGrants(ms, 'Role')).toEqual([EXTERNAL_SECRETS, STORES]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'ExternalSecrets with no store to name',
      { integrations: { externalSecrets: { enabled: true } } },
      [
        'integrations.externalSecrets.sync.toHost.externalSecrets: an ExternalSecret needs a store: turn on sync.toHost.stores',
      ],
    ],
    [
      'ExternalSecrets with no store to name, in the earlier form',
      { integrations: { externalSecrets: { ...VCLUSTER_EARLIER_DEFAULT, enabled: true } } },
      [
        'integrations.externalSecrets.sync.externalSecrets: an ExternalSecret needs a store: turn on sync.stores',
      ],
    ],
    [
      "the host's webhooks reused, a version that is not one",
      {
        integrations: {
          externalSecrets: { ...VCLUSTER_ON, version: '1', webhook: { enabled: true } },
        },
      },
      [
        "integrations.externalSecrets.webhook.enabled: not offered by vsyncer: the host's External Secrets Operator webhooks are not reused",
        'integrations.externalSecrets.version: must be an API version such as v1 or v1beta1, not "1"',
      ],
    ],
    [
      'a selector by expressions',
      {
        integrations: {
          externalSecrets: {
            enabled: true,
            sync: {
              toHost: {
                stores: {
                  enabled: true,
                  selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] },
                },
              },
            },
          },
        },
      },
      [
        'integrations.externalSecrets.sync.toHost.stores.selector.matchExpressions: not offered by vsyncer: select by matchLabels',
      ],
    ],
    [
      "both of vCluster's forms",
      {
        integrations: {
          externalSecrets: {
            enabled: true,
            sync: { stores: { enabled: true }, toHost: { stores: { enabled: true } } },
          },
        },
      },
      [
        "integrations.externalSecrets.sync.stores: vCluster's earlier form (sync.stores) and its current one (sync.toHost) are both set",
      ],
    ],
    [
      'a key vCluster has not, on or off, naming it',
      {
        integrations: {
          externalSecrets: {
            ...VCLUSTER_DEFAULT,
            sync: { ...VCLUSTER_DEFAULT.sync, toHost: { pushSecrets: { enabled: true } } },
          },
        },
      },
      ['integrations.externalSecrets.sync.toHost.pushSecrets: vsyncer has no equivalent of this key'],
    ],
    [
      "a selector in the other form's shape",
      {
        integrations: {
          externalSecrets: {
            enabled: true,
            sync: { fromHost: { clusterStores: { enabled: true, selector: { labels: { a: 'b' } } } } },
          },
        },
      },
      [
        'integrations.externalSecrets.sync.fromHost.clusterStores.selector.labels: vsyncer has no equivalent of this key',
      ],
    ],
    [
      'a switch that is not true or false, a label value that is not a string, expressions that are not a list',
      {
        integrations: {
          externalSecrets: {
            enabled: 'yes',
            sync: {
              fromHost: {
                clusterStores: { selector: { matchLabels: { tier: 1.1 }, matchExpressions: 'tier' } },
              },
            },
          },
        },
      },
      [
        'integrations.externalSecrets.enabled must be true or false, not "yes"',
        'integrations.externalSecrets.sync.fromHost.clusterStores.selector.matchLabels: the value of "tier" must be a string',
        'integrations.externalSecrets.sync.fromHost.clusterStores.selector.matchExpressions must be a list',
      ],
    ],
    [
      'it and vsyncer’s value set to different things, naming both',
      {
        integrations: { externalSecrets: VCLUSTER_ON },
        syncer: { config: { integrations: { externalSecrets: { enabled: false } } } },
      },
      [
        'integrations.externalSecrets (',
        ') and syncer.config.integrations.externalSecrets ({"enabled":false}) are both set, to different things: set one',
      ],
    ],
    [
      'a resource customResources configures too',
      {
        integrations: { externalSecrets: VCLUSTER_ON },
        sync: { toHost: { customResources: { 'secretstores.external-secrets.io': { enabled: true } } } },
      },
      [
        'integrations.externalSecrets syncs secretstores.external-secrets.io (its stores part), which syncer.config.customResources.toHost[0] configures too',
      ],
    ],
    [
      "the host's ClusterSecretStores configured by customResources too",
      {
        integrations: { externalSecrets: VCLUSTER_ON },
        syncer: {
          config: {
            customResources: { fromHost: [{ resource: 'clustersecretstores.external-secrets.io/v1' }] },
          },
        },
      },
      [
        'integrations.externalSecrets syncs clustersecretstores.external-secrets.io (its clusterStores part), which syncer.config.customResources.fromHost[0] configures too',
      ],
    ],
    [
      'the secrets kind off, which carries the Secrets',
      { integrations: { externalSecrets: VCLUSTER_ON }, sync: { toHost: { secrets: { enabled: false } } } },
      [
        "integrations.externalSecrets needs the secrets kind, which syncer.sync (or vCluster's sync.toHost.secrets.enabled) turns off: it carries the Secrets a SecretStore or an ExternalSecret's template names to the host and each ExternalSecret's target Secret",
      ],
    ],
    [
      "vsyncer's own value: a key vCluster's section has not, the host's webhooks, another integration",
      {
        syncer: {
          config: {
            integrations: {
              externalSecrets: {
                ...VCLUSTER_ON,
                webhook: { enabled: true },
                sync: { ...VCLUSTER_ON.sync, toHost: { pushSecrets: {} } },
              },
              istio: { enabled: true },
              // Off, as vCluster's defaults write it: accepted.
              kubeVirt: { enabled: false, webhook: { enabled: true } },
            },
          },
        },
      },
      [
        "syncer.config.integrations.externalSecrets.sync.toHost.pushSecrets: not a key of vCluster's integrations.externalSecrets",
        'syncer.config.integrations.istio: vsyncer has no equivalent (only certManager and externalSecrets are offered)',
      ],
    ],
    [
      "vsyncer's own value, on: what the syncer refuses",
      {
        syncer: {
          config: { integrations: { externalSecrets: { ...VCLUSTER_ON, webhook: { enabled: true } } } },
        },
      },
      ['syncer.config.integrations.externalSecrets.webhook.enabled: not offered by vsyncer'],
    ],
  ])('refuses %s', (_name, values, messages) => {
    const message = failure(values);
    expect(message).not.toBe('');
    for (const m of messages) expect(message).toContain(m);
    expect(message).not.toContain('integrations.kubeVirt:');
  });

  it('accepts, off, what the syncer only refuses on (the host webhooks, selector expressions)', () => {
    const off = {
      ...VCLUSTER_DEFAULT,
      webhook: { enabled: true },
      sync: {
        ...VCLUSTER_DEFAULT.sync,
        fromHost: { clusterStores: { selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } } },
      },
    };
    const ms = renderValues({ syncer: { config: { integrations: { externalSecrets: off } } } });
    expect(externalSecretsGrants(ms, 'Role')).toEqual([]);
    // The syncer takes it too, syncing nothing.
    expect(buildFrom(configFile(ms)!).toHost).toEqual([]);
  });
});
