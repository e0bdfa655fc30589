import {
  parseCustomResources,
  type CustomResourceEntry,
} from '../../src/translators/custom-resources/config.ts';
import { configFile, failure, grantsOn, renderValues, rulesOf, ungenerated } from './render.ts';

/** vCluster's custom resources, as its docs write them. */
const VCLUSTER_CUSTOM_RESOURCES = {
  toHost: {
    'certificates.cert-manager.io': {
      enabled: true,
      patches: [
        { path: 'spec.secretName', reference: { apiVersion: 'v1', kind: 'Secret' } },
        {
          path: 'spec.keystores[*].passwordSecretRef',
          reference: { apiVersion: 'v1', kind: 'Secret', namePath: 'name' },
        },
      ],
    },
    'servicemonitors.monitoring.coreos.com/v1': { enabled: true, scope: 'Namespaced' },
    'orders.acme.cert-manager.io': { enabled: false },
  },
  fromHost: {
    'clusterissuers.cert-manager.io': { enabled: true, scope: 'Cluster' },
    'issuers.cert-manager.io': {
      enabled: true,
      scope: 'Namespaced',
      mappings: { byName: { 'cert-manager/*': 'certs/*' } },
    },
  },
};

/** The same in vsyncer's own value (its list form, in the order of the names). */
const VSYNCER_CUSTOM_RESOURCES = {
  toHost: [
    {
      resource: 'certificates.cert-manager.io',
      references: [
        { path: 'spec.secretName', kind: 'Secret' },
        { path: 'spec.keystores[].passwordSecretRef.name', kind: 'Secret' },
      ],
    },
    { resource: 'servicemonitors.monitoring.coreos.com/v1', scope: 'Namespaced' },
  ],
  fromHost: [
    { resource: 'clusterissuers.cert-manager.io', scope: 'Cluster' },
    { resource: 'issuers.cert-manager.io', scope: 'Namespaced', namespaces: { 'cert-manager': 'certs' } },
  ],
};

const rules = {
  customResourceRules: {
    cluster: [
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get'] },
    ],
  },
};

describe("helm chart: vCluster's sync.toHost/fromHost.customResources", () => {
  it("renders the same syncer config, and every other manifest, as vsyncer's syncer.config.customResources", () => {
    const fromVcluster = renderValues({
      sync: {
        toHost: { customResources: VCLUSTER_CUSTOM_RESOURCES.toHost },
        fromHost: { customResources: VCLUSTER_CUSTOM_RESOURCES.fromHost },
      },
      syncer: rules,
    });
    const fromVsyncer = renderValues({
      syncer: { ...rules, config: { customResources: VSYNCER_CUSTOM_RESOURCES } },
    });
    expect(configFile(fromVcluster)).toEqual({ customResources: VSYNCER_CUSTOM_RESOURCES });
    // The StatefulSet mounts it, with its checksum: the same.
    expect(ungenerated(fromVcluster)).toEqual(ungenerated(fromVsyncer));
  });

  it("derives the host RBAC the entries need, as vCluster's chart does: toHost in the Role, fromHost and CRDs in a ClusterRole", () => {
    const grants = (ms: ReturnType<typeof renderValues>) => ({
      role: grantsOn(ms, 'Role', 'cert-manager.io').concat(grantsOn(ms, 'Role', 'monitoring.coreos.com')),
      clusterRole: grantsOn(ms, 'ClusterRole', 'cert-manager.io'),
    });
    const write = 'get,list,watch,create,update,patch,delete';
    const expected = {
      role: [`cert-manager.io/certificates:${write}`, `monitoring.coreos.com/servicemonitors:${write}`],
      clusterRole: [
        'apiextensions.k8s.io/customresourcedefinitions:get',
        'cert-manager.io/clusterissuers:get,list,watch',
        'cert-manager.io/issuers:get,list,watch',
      ],
    };
    const fromVcluster = renderValues({
      sync: {
        toHost: { customResources: VCLUSTER_CUSTOM_RESOURCES.toHost },
        fromHost: { customResources: VCLUSTER_CUSTOM_RESOURCES.fromHost },
      },
    });
    expect(grants(fromVcluster)).toEqual(expected);
    expect(
      grants(renderValues({ syncer: { config: { customResources: VSYNCER_CUSTOM_RESOURCES } } })),
    ).toEqual(expected);
    // Each entry's CRD, by its name only.
    const crdRules = (ms: ReturnType<typeof renderValues>) =>
      rulesOf(ms, 'ClusterRole')
        .filter((r) => r.resources.includes('customresourcedefinitions'))
        .map((r) => ({ names: (r as { resourceNames?: string[] }).resourceNames, verbs: r.verbs }));
    expect(crdRules(fromVcluster)).toEqual([
      {
        names: [
          'certificates.cert-manager.io',
          'servicemonitors.monitoring.coreos.com',
          'clusterissuers.cert-manager.io',
          'issuers.cert-manager.io',
        ],
        verbs: ['get'],
      },
    ]);
    // A CRD the syncer copies to the host (crd: toHost, toHost entries only) is created and updated
    // there too (a create cannot be limited to a name); a fromHost entry never writes one.
    const crdToHost = renderValues({
      syncer: {
        config: {
          customResources: {
            toHost: [{ resource: ' widgets.example.com/v1 ', crd: 'toHost' }],
            fromHost: [{ resource: 'gadgets.example.com', crd: 'toHost', scope: 'Cluster' }],
          },
        },
      },
    });
    expect(crdRules(crdToHost)).toEqual([
      { names: ['widgets.example.com', 'gadgets.example.com'], verbs: ['get'] },
      { names: ['widgets.example.com'], verbs: ['update'] },
      { names: undefined, verbs: ['create'] },
    ]);
    // The syncer trims the name: so does the chart.
    expect(grantsOn(crdToHost, 'Role', 'example.com')).toEqual([`example.com/widgets:${write}`]);
    // None without custom resources, nor for one turned off in syncer.sync.
    expect(grantsOn(renderValues({}), 'Role', 'cert-manager.io')).toEqual([]);
    const off = renderValues({
      syncer: {
        sync: ['-cr:widgets.example.com'],
        config: { customResources: { toHost: [{ resource: 'widgets.example.com/v1' }] } },
      },
    });
    expect(grantsOn(off, 'Role', 'example.com')).toEqual([]);
    expect(crdRules(off)).toEqual([]);
    // vCluster's form on only with a boolean true, as the syncer reads it.
    const stringEnabled = renderValues({
      syncer: {
        config: { customResources: { toHost: { 'widgets.example.com': { enabled: 'true' } } } },
      },
    });
    expect(grantsOn(stringEnabled, 'Role', 'example.com')).toEqual([]);
  });

  it('refuses at render, before granting anything, an entry the syncer would refuse: a malformed name, a wildcard, a built-in kind', () => {
    for (const [resource, message] of [
      ['secrets', 'must be <plural>.<group>/<version> or <plural>.<group>'],
      ['*.*', 'must be <plural>.<group>/<version> or <plural>.<group>'],
      ['*', 'must be <plural>.<group>/<version> or <plural>.<group>'],
      ['pods.', 'must be <plural>.<group>/<version> or <plural>.<group>'],
      ['rolebindings.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io is a built-in kind'],
      ['ingresses.networking.k8s.io/v1', 'ingresses.networking.k8s.io is a built-in kind'],
    ])
      for (const dir of ['toHost', 'fromHost']) {
        const refusal = failure({
          syncer: { config: { customResources: { [dir]: [{ resource, scope: 'Cluster' }] } } },
        });
        expect(refusal).toContain(`syncer.config.customResources.${dir}[0].resource`);
        expect(refusal).toContain(message);
      }
    // A CRD-served group under k8s.io (Gateway API's) is no built-in one.
    expect(
      failure({
        syncer: {
          config: { customResources: { toHost: [{ resource: 'httproutes.gateway.networking.k8s.io' }] } },
        },
      }),
    ).toBe('');
  });

  it("the syncer reads the rendered config as it reads vCluster's form in its own config file", () => {
    const rendered = configFile(
      renderValues({
        sync: {
          toHost: { customResources: VCLUSTER_CUSTOM_RESOURCES.toHost },
          fromHost: { customResources: VCLUSTER_CUSTOM_RESOURCES.fromHost },
        },
      }),
    )!;
    const unplaced = (entries: CustomResourceEntry[]) =>
      entries.map(({ field: _field, namespaceFields: _fields, ...rest }) => rest);
    const fromChart = parseCustomResources(rendered.customResources);
    const direct = parseCustomResources(VCLUSTER_CUSTOM_RESOURCES);
    expect(unplaced(fromChart.toHost)).toEqual(unplaced(direct.toHost));
    expect(unplaced(fromChart.fromHost)).toEqual(unplaced(direct.fromHost));
    expect(fromChart.toHost.map((e) => [e.crdName, e.version])).toEqual([
      ['certificates.cert-manager.io', undefined],
      ['servicemonitors.monitoring.coreos.com', 'v1'],
    ]);
  });

  it('entries that are off render nothing, as no value does', () => {
    const off = renderValues({
      sync: {
        toHost: { customResources: { 'orders.acme.cert-manager.io': { enabled: false } } },
        fromHost: { customResources: {} },
      },
    });
    expect(configFile(off)).toBeUndefined();
    expect(ungenerated(off)).toEqual(ungenerated(renderValues({})));
  });

  it('takes a vsyncer value set to the same thing; refuses one set to another, naming both', () => {
    expect(
      configFile(
        renderValues({
          sync: {
            fromHost: {
              customResources: { 'clusterissuers.cert-manager.io': { enabled: true, scope: 'Cluster' } },
            },
          },
          syncer: {
            config: {
              customResources: {
                fromHost: [{ resource: 'clusterissuers.cert-manager.io', scope: 'Cluster' }],
              },
            },
          },
        }),
      ),
    ).toEqual({
      customResources: { fromHost: [{ resource: 'clusterissuers.cert-manager.io', scope: 'Cluster' }] },
    });
    expect(() =>
      renderValues({
        sync: { toHost: { customResources: { 'certificates.cert-manager.io': { enabled: true } } } },
        syncer: {
          config: { customResources: { toHost: [{ resource: 'certificates.cert-manager.io/v1' }] } },
        },
      }),
    ).toThrow(
      'sync.toHost.customResources ([{"resource":"certificates.cert-manager.io"}]) and syncer.config.customResources.toHost ([{"resource":"certificates.cert-manager.io/v1"}]) are both set, to different things: set one',
    );
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'an expression patch, naming what vsyncer offers',
      {
        toHost: {
          customResources: {
            'certificates.cert-manager.io': {
              enabled: true,
              patches: [{ path: 'spec.commonName', expression: 'value' }],
            },
          },
        },
      },
      [
        'sync.toHost.customResources["certificates.cert-manager.io"].patches[0]: an expression patch (JavaScript) has no equivalent',
        `sync.toHost.customResources["certificates.cert-manager.io"].patches: vsyncer does not run vCluster's patches: its own form, syncer.config.customResources.toHost (docs/custom-resources.md), offers references (kind Secret, ConfigMap, Service or another toHost entry's <plural>.<group>) rewritten to the host copy's name, LabelSelector and Labels references scoped to the tenant, and allowedValues limiting a field`,
      ],
    ],
    [
      'a reference patch to a custom resource',
      {
        toHost: {
          customResources: {
            'certificates.cert-manager.io': {
              enabled: true,
              patches: [
                {
                  path: 'spec.issuerRef.name',
                  reference: { apiVersion: 'cert-manager.io/v1', kind: 'Issuer' },
                },
              ],
            },
          },
        },
      },
      ['patches[0]: a reference patch to apiVersion "cert-manager.io/v1", kind "Issuer" does not map'],
    ],
    [
      'a labels patch',
      {
        toHost: {
          customResources: {
            'servicemonitors.monitoring.coreos.com': {
              enabled: true,
              patches: [{ path: 'spec.selector', labels: {} }],
            },
          },
        },
      },
      ['patches[0]: a labels patch has no exact equivalent (a LabelSelector or Labels reference'],
    ],
    [
      'a cluster-scoped resource to the host',
      {
        toHost: {
          customResources: { 'clusterissuers.cert-manager.io': { enabled: true, scope: 'Cluster' } },
        },
      },
      [
        'sync.toHost.customResources["clusterissuers.cert-manager.io"].scope: only namespaced resources are synced to the host',
      ],
    ],
    [
      'patches from the host',
      {
        fromHost: {
          customResources: {
            'clusterissuers.cert-manager.io': {
              enabled: true,
              scope: 'Cluster',
              patches: [{ path: 'spec.x', expression: 'value' }],
            },
          },
        },
      },
      [
        'sync.fromHost.customResources["clusterissuers.cert-manager.io"].patches[0]: fromHost shows the host objects as they are, and takes no patches',
      ],
    ],
    [
      'a mapping of single objects, and of the own namespace',
      {
        fromHost: {
          customResources: {
            'issuers.cert-manager.io': {
              enabled: true,
              scope: 'Namespaced',
              mappings: { byName: { 'cert-manager/ca': 'certs/ca', '': 'certs/*' } },
            },
          },
        },
      },
      [
        `sync.fromHost.customResources["issuers.cert-manager.io"].mappings.byName["cert-manager/ca"]: vsyncer shows whole host namespaces`,
        `sync.fromHost.customResources["issuers.cert-manager.io"].mappings.byName[""] names the virtual cluster's own host namespace`,
      ],
    ],
    [
      'a namespaced resource from the host without mappings',
      {
        fromHost: { customResources: { 'issuers.cert-manager.io': { enabled: true, scope: 'Namespaced' } } },
      },
      [
        'sync.fromHost.customResources["issuers.cert-manager.io"].mappings.byName: a namespaced resource from the host needs the host namespaces to show',
      ],
    ],
    [
      'a key that is not a CRD name, and a key vCluster does not have',
      {
        toHost: {
          customResources: { Certificate: { enabled: true }, 'a.b.io': { enabled: true, references: [] } },
        },
      },
      [
        'sync.toHost.customResources["Certificate"]: the key must be <plural>.<group>',
        'sync.toHost.customResources["a.b.io"].references: vsyncer has no equivalent of this key',
      ],
    ],
  ])('refuses %s', (_name, sync, messages) => {
    let message = '';
    try {
      renderValues({ sync });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const m of messages) expect(message).toContain(m);
  });
});
