import { buildConfig, ConfigError, placementOf } from '../../config/config.ts';
import { builtinKinds } from '../index.ts';
import type { CustomResourceEntry } from './config.ts';
import { scopeProblem, unresolvedType } from './crd.ts';

const flags = { name: 'vc', hostNamespace: 'ns', virtualKubeconfig: '/dev/null' };
const build = (customResources: unknown) => buildConfig({ customResources }, flags);

/** The ConfigError message a custom resources section gives, or '' when it is valid. */
function problem(customResources: unknown): string {
  try {
    build(customResources);
    return '';
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
}

describe('customResources config', () => {
  it('parses a full entry of each direction, with defaults', () => {
    const config = build({
      toHost: [
        {
          resource: 'certificates.cert-manager.io/v1',
          references: [{ path: 'spec.tls[].secretName', kind: 'Secret' }],
          allowedValues: [{ path: 'spec.issuerRef.kind', values: ['ClusterIssuer'] }],
        },
      ],
      fromHost: [{ resource: 'clusterissuers.cert-manager.io/v1', crd: 'existing' }],
    });
    expect(config.customResources.toHost[0]).toMatchObject({
      plural: 'certificates',
      group: 'cert-manager.io',
      version: 'v1',
      crd: 'fromHost',
      status: true,
      references: [
        {
          path: 'spec.tls[].secretName',
          kind: 'Secret',
          segments: [
            { field: 'spec', each: false },
            { field: 'tls', each: true },
            { field: 'secretName', each: false },
          ],
        },
      ],
    });
    expect(config.customResources.toHost[0]!.allowedValues).toEqual([
      {
        path: 'spec.issuerRef.kind',
        segments: [
          { field: 'spec', each: false },
          { field: 'issuerRef', each: false },
          { field: 'kind', each: false },
        ],
        values: ['ClusterIssuer'],
        optional: false,
      },
    ]);
    expect(config.customResources.fromHost[0]).toMatchObject({ crd: 'existing', status: false });
  });

  it('label selector references: LabelSelector and Labels, at a field or each item of a list', () => {
    const config = build({
      toHost: [
        {
          resource: 'servicemonitors.monitoring.coreos.com/v1',
          references: [
            { path: 'spec.selector', kind: 'LabelSelector' },
            { path: 'spec.workloads[].labels', kind: 'Labels' },
            { path: 'spec.secretName', kind: 'Secret' },
          ],
        },
      ],
    });
    expect(config.customResources.toHost[0]!.references.map((r) => [r.path, r.kind])).toEqual([
      ['spec.selector', 'LabelSelector'],
      ['spec.workloads[].labels', 'Labels'],
      ['spec.secretName', 'Secret'],
    ]);
  });

  it('allowedValues without values, optional: the field may not be set', () => {
    const config = build({
      toHost: [
        {
          resource: 'servicemonitors.monitoring.coreos.com/v1',
          allowedValues: [{ path: 'spec.namespaceSelector', values: [], optional: true }],
        },
      ],
    });
    expect(config.customResources.toHost[0]!.allowedValues).toMatchObject([
      { path: 'spec.namespaceSelector', values: [], optional: true },
    ]);
  });

  it('an allowedValues rule with `when` holds only while that field holds one of its values', () => {
    const config = build({
      toHost: [
        {
          resource: 'certificates.cert-manager.io/v1',
          allowedValues: [
            {
              path: 'spec.isCA',
              values: ['false'],
              optional: true,
              when: { path: 'spec.issuerRef.kind', values: ['ClusterIssuer'] },
            },
          ],
        },
      ],
    });
    expect(config.customResources.toHost[0]!.allowedValues).toMatchObject([
      {
        path: 'spec.isCA',
        values: ['false'],
        when: { path: 'spec.issuerRef.kind', values: ['ClusterIssuer'], orAbsent: false },
      },
    ]);
    expect(() =>
      build({
        toHost: [
          {
            resource: 'certificates.cert-manager.io/v1',
            allowedValues: [
              { path: 'spec.isCA', values: ['false'], when: { path: 'spec.a[].b', values: ['x'] } },
            ],
          },
        ],
      }),
    ).toThrow(
      "config field 'customResources.toHost[0].allowedValues[0].when.path': must name one field (no [])",
    );
  });

  it('no section: nothing configured', () => {
    expect(buildConfig({}, flags).customResources).toEqual({ toHost: [], fromHost: [] });
  });

  it.each<[string, unknown, string]>([
    ['not a mapping', ['x'], "config field 'customResources': must be a mapping"],
    ['unknown direction', { both: [] }, "config field 'customResources.both': unknown field"],
    [
      'list or mapping expected',
      { toHost: 'x' },
      "config field 'customResources.toHost': must be a list of entries, or vCluster's mapping",
    ],
    ['entry not a mapping', { toHost: ['x'] }, "config field 'customResources.toHost[0]': must be a mapping"],
    [
      'missing resource',
      { toHost: [{}] },
      "config field 'customResources.toHost[0].resource': must be <plural>.<group>/<version>",
    ],
    [
      'kind instead of plural',
      { toHost: [{ resource: 'Certificate.cert-manager.io/v1' }] },
      'toHost[0].resource',
    ],
    ['bad version', { toHost: [{ resource: 'certificates.cert-manager.io/1' }] }, 'toHost[0].resource'],
    [
      'bad scope',
      { toHost: [{ resource: 'a.b.io/v1', scope: 'namespaced' }] },
      "'customResources.toHost[0].scope': must be one of Namespaced, Cluster",
    ],
    [
      'a cluster-scoped resource to the host',
      { toHost: [{ resource: 'a.b.io/v1', scope: 'Cluster' }] },
      "'customResources.toHost[0].scope': only namespaced resources are synced to the host",
    ],
    [
      'a namespaced resource from the host without namespaces',
      { fromHost: [{ resource: 'a.b.io/v1', scope: 'Namespaced' }] },
      "'customResources.fromHost[0].scope': a namespaced resource from the host needs namespaces",
    ],
    [
      'a cluster-scoped resource from the host with namespaces',
      { fromHost: [{ resource: 'a.b.io/v1', scope: 'Cluster', namespaces: { a: 'b' } }] },
      "'customResources.fromHost[0].scope': namespaces",
    ],
    ['no group dot', { toHost: [{ resource: 'certificates.local/v1' }] }, 'toHost[0].resource'],
    ['built-in kind', { toHost: [{ resource: 'ingresses.networking.k8s.io/v1' }] }, 'is a built-in kind'],
    [
      'a built-in API group the syncer has no kind of',
      { fromHost: [{ resource: 'rolebindings.rbac.authorization.k8s.io', scope: 'Cluster' }] },
      'rolebindings.rbac.authorization.k8s.io is a built-in kind',
    ],
    [
      'unknown field',
      { toHost: [{ resource: 'a.b.io/v1', copy: true }] },
      "'customResources.toHost[0].copy': unknown field",
    ],
    [
      'fromHost takes no references',
      { fromHost: [{ resource: 'a.b.io/v1', references: [] }] },
      'fromHost[0].references',
    ],
    [
      'bad crd',
      { toHost: [{ resource: 'a.b.io/v1', crd: 'yes' }] },
      "'customResources.toHost[0].crd': must be one of fromHost, toHost, existing",
    ],
    ['crd toHost from the host', { fromHost: [{ resource: 'a.b.io/v1', crd: 'toHost' }] }, 'fromHost[0].crd'],
    [
      'bad status',
      { toHost: [{ resource: 'a.b.io/v1', status: 'yes' }] },
      "'customResources.toHost[0].status': must be true or false",
    ],
    [
      'references not a list',
      { toHost: [{ resource: 'a.b.io/v1', references: 'x' }] },
      'toHost[0].references',
    ],
    [
      'bad path',
      { toHost: [{ resource: 'a.b.io/v1', references: [{ path: 'spec..x', kind: 'Secret' }] }] },
      'toHost[0].references[0].path',
    ],
    [
      'path into metadata',
      { toHost: [{ resource: 'a.b.io/v1', references: [{ path: 'metadata.name', kind: 'Secret' }] }] },
      "references[0].path': must not start at metadata",
    ],
    [
      'index in path',
      { toHost: [{ resource: 'a.b.io/v1', references: [{ path: 'spec.tls[0].name', kind: 'Secret' }] }] },
      'references[0].path',
    ],
    [
      'unknown reference kind',
      { toHost: [{ resource: 'a.b.io/v1', references: [{ path: 'spec.x', kind: 'Pod' }] }] },
      'references[0].kind',
    ],
    [
      'unknown reference kind names the selector kinds',
      { toHost: [{ resource: 'a.b.io/v1', references: [{ path: 'spec.x', kind: 'Selector' }] }] },
      'must be one of Secret, ConfigMap, Service, LabelSelector, Labels or the <plural>.<group>',
    ],
    [
      'a reference inside a selector',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [
              { path: 'spec.selector', kind: 'LabelSelector' },
              { path: 'spec.selector.matchLabels.app', kind: 'Service' },
            ],
          },
        ],
      },
      `'customResources.toHost[0].references[1].path': overlaps customResources.toHost[0].references[0].path ("spec.selector")`,
    ],
    [
      'a selector configured twice (it would be scoped twice)',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [
              { path: 'spec.selector', kind: 'Labels' },
              { path: 'spec.selector', kind: 'LabelSelector' },
            ],
          },
        ],
      },
      "'customResources.toHost[0].references[1].path': overlaps",
    ],
    [
      'filledByHost on a ConfigMap',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [{ path: 'spec.x', kind: 'ConfigMap', filledByHost: 'Opaque' }],
          },
        ],
      },
      "'customResources.toHost[0].references[0].filledByHost': only a Secret may be filled by the host's controller, not a ConfigMap",
    ],
    [
      'filledByHost not a Secret type',
      {
        toHost: [
          { resource: 'a.b.io/v1', references: [{ path: 'spec.x', kind: 'Secret', filledByHost: 'a b' }] },
        ],
      },
      "'customResources.toHost[0].references[0].filledByHost': must be the type of Secret",
    ],
    [
      'a template without filledByHost',
      {
        toHost: [
          { resource: 'a.b.io/v1', references: [{ path: 'spec.x', kind: 'Secret', template: 'spec.t' }] },
        ],
      },
      "'customResources.toHost[0].references[0].template': labels and annotations are templated only for a Secret the host's controller fills",
    ],
    [
      "a template path through an object's prototype",
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [
              { path: 'spec.x', kind: 'Secret', filledByHost: 'Opaque', template: 'spec.__proto__.t' },
            ],
          },
        ],
      },
      `'customResources.toHost[0].references[0].template': "spec.__proto__.t": "__proto__" is not a field`,
    ],
    [
      'a template through a list',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [{ path: 'spec.x', kind: 'Secret', filledByHost: 'Opaque', template: 'spec.t[].m' }],
          },
        ],
      },
      "'customResources.toHost[0].references[0].template': must name one field (no [])",
    ],
    [
      'when through a list',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [{ path: 'spec.x', kind: 'Secret', when: { path: 'spec.l[].k', values: ['a'] } }],
          },
        ],
      },
      "'customResources.toHost[0].references[0].when.path': must name one field (no [])",
    ],
    [
      'when without values',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [{ path: 'spec.x', kind: 'Secret', when: { path: 'spec.k', values: [] } }],
          },
        ],
      },
      "'customResources.toHost[0].references[0].when.values': must be a non-empty list of strings",
    ],
    [
      'when with an unknown key',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [
              { path: 'spec.x', kind: 'Secret', when: { path: 'spec.k', values: ['a'], unless: 1 } },
            ],
          },
        ],
      },
      "'customResources.toHost[0].references[0].when.unless': unknown field (known: path, values, orAbsent)",
    ],
    [
      'urls not a list',
      { toHost: [{ resource: 'a.b.io/v1', urls: 'spec.server' }] },
      "'customResources.toHost[0].urls': must be a list of {path}",
    ],
    [
      'a url with an unknown key',
      { toHost: [{ resource: 'a.b.io/v1', urls: [{ path: 'spec.server', scheme: 'https' }] }] },
      "'customResources.toHost[0].urls[0].scheme': unknown field (known: path)",
    ],
    [
      'holdsTemplates on a Service reference',
      {
        toHost: [
          { resource: 'a.b.io/v1', references: [{ path: 'spec.s', kind: 'Service', holdsTemplates: true }] },
        ],
      },
      "'customResources.toHost[0].references[0].holdsTemplates': only a Secret or ConfigMap",
    ],
    [
      'holdsTemplates not a boolean',
      {
        toHost: [
          { resource: 'a.b.io/v1', references: [{ path: 'spec.s', kind: 'Secret', holdsTemplates: 'yes' }] },
        ],
      },
      "'customResources.toHost[0].references[0].holdsTemplates': must be true or false",
    ],
    [
      'a template path under metadata',
      { toHost: [{ resource: 'a.b.io/v1', templates: [{ path: 'metadata.annotations' }] }] },
      "'customResources.toHost[0].templates[0].path'",
    ],
    [
      'templates on a fromHost entry',
      { fromHost: [{ resource: 'a.b.io/v1', templates: [{ path: 'spec.t' }] }] },
      "'customResources.fromHost[0].templates': unknown field",
    ],
    [
      'a toHost selector that is not labels',
      { toHost: [{ resource: 'a.b.io/v1', selector: { matchLabels: { a: 'b' } } }] },
      "'customResources.toHost[0].selector.matchLabels': unknown field (known: labels)",
    ],
    [
      'allowedKeys without keys',
      { toHost: [{ resource: 'a.b.io/v1', allowedKeys: [{ path: 'spec.provider', keys: [] }] }] },
      "'customResources.toHost[0].allowedKeys[0].keys': must be a non-empty list of field names",
    ],
    [
      'allowedKeys with required not a bool',
      {
        toHost: [
          { resource: 'a.b.io/v1', allowedKeys: [{ path: 'spec.provider', keys: ['a'], required: 'yes' }] },
        ],
      },
      "'customResources.toHost[0].allowedKeys[0].required': must be true or false",
    ],
    [
      'typeFrom without filledByHost',
      {
        toHost: [
          { resource: 'a.b.io/v1', references: [{ path: 'spec.x', kind: 'Secret', typeFrom: 'spec.t' }] },
        ],
      },
      "'customResources.toHost[0].references[0].typeFrom': a type is read only for a Secret the host's controller fills",
    ],
    [
      'typeFrom over a list',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [
              { path: 'spec.x', kind: 'Secret', filledByHost: 'Opaque', typeFrom: 'spec.t[].type' },
            ],
          },
        ],
      },
      "'customResources.toHost[0].references[0].typeFrom': must name one field (no [])",
    ],
    [
      'orOwnName over a list',
      {
        toHost: [
          { resource: 'a.b.io/v1', references: [{ path: 'spec.x[].name', kind: 'Secret', orOwnName: true }] },
        ],
      },
      "'customResources.toHost[0].references[0].orOwnName': only a reference by one field",
    ],
    [
      'a server default that is not a URL',
      {
        toHost: [{ resource: 'a.b.io/v1', servers: [{ path: 'spec.server', defaults: ['ca.example.com'] }] }],
      },
      "'customResources.toHost[0].servers[0].defaults': must be a list of http(s) URLs",
    ],
    [
      'a server with an unknown key',
      { toHost: [{ resource: 'a.b.io/v1', servers: [{ path: 'spec.server', scheme: 'https' }] }] },
      "'customResources.toHost[0].servers[0].scheme': unknown field (known: path, defaults)",
    ],
    [
      'an allowedValues pattern that is not a regular expression',
      { toHost: [{ resource: 'a.b.io/v1', allowedValues: [{ path: 'spec.id', pattern: '([' }] }] },
      "'customResources.toHost[0].allowedValues[0].pattern': must be a regular expression",
    ],
    [
      'ownedWhen without filledByHost',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [
              { path: 'spec.x', kind: 'Secret', ownedWhen: { path: 'spec.p', values: ['Owner'] } },
            ],
          },
        ],
      },
      "'customResources.toHost[0].references[0].ownedWhen': only a Secret the host's controller fills",
    ],
    [
      'ownMetadataUnless without template',
      {
        toHost: [
          {
            resource: 'a.b.io/v1',
            references: [
              { path: 'spec.x', kind: 'Secret', filledByHost: 'Opaque', ownMetadataUnless: 'spec.t' },
            ],
          },
        ],
      },
      "'customResources.toHost[0].references[0].ownMetadataUnless': names the field holding the template: only with template",
    ],
    [
      'orOwnName not a bool',
      {
        toHost: [
          { resource: 'a.b.io/v1', references: [{ path: 'spec.x', kind: 'Secret', orOwnName: 'yes' }] },
        ],
      },
      "'customResources.toHost[0].references[0].orOwnName': must be true or false",
    ],
    [
      'a fromHost selector that is not labels',
      { fromHost: [{ resource: 'a.b.io/v1', selector: { matchLabels: { a: 'b' } } }] },
      "'customResources.fromHost[0].selector.matchLabels': unknown field (known: labels)",
    ],
    [
      'a fromHost selector label that is not a string',
      { fromHost: [{ resource: 'a.b.io/v1', selector: { labels: { a: 1 } } }] },
      "'customResources.fromHost[0].selector.labels': must be a mapping of label keys to string values",
    ],
    [
      'twice',
      { toHost: [{ resource: 'a.b.io/v1' }], fromHost: [{ resource: 'a.b.io/v2' }] },
      "'customResources.fromHost[0].resource': a.b.io is already configured",
    ],
    [
      'bad namespaces',
      { fromHost: [{ resource: 'a.b.io/v1', namespaces: { 'Bad NS': 'x' } }] },
      'fromHost[0].namespaces.Bad NS',
    ],
    [
      'allowedValues not a list',
      { toHost: [{ resource: 'a.b.io/v1', allowedValues: { path: 'spec.x' } }] },
      "'customResources.toHost[0].allowedValues': must be a list of {path, values, optional}",
    ],
    [
      'allowedValues without values',
      { toHost: [{ resource: 'a.b.io/v1', allowedValues: [{ path: 'spec.x', values: [] }] }] },
      "'customResources.toHost[0].allowedValues[0].values': must be a non-empty list of strings",
    ],
    [
      'allowedValues without values and not optional (nothing could be synced)',
      {
        toHost: [{ resource: 'a.b.io/v1', allowedValues: [{ path: 'spec.x', values: [], optional: false }] }],
      },
      "'customResources.toHost[0].allowedValues[0].values': must be a non-empty list of strings (an empty one with optional: true forbids the field)",
    ],
    [
      'allowedValues with a bad path',
      { toHost: [{ resource: 'a.b.io/v1', allowedValues: [{ path: 'status.x', values: ['a'] }] }] },
      "'customResources.toHost[0].allowedValues[0].path': must not start at status",
    ],
    [
      'allowedValues with a bad optional',
      {
        toHost: [
          { resource: 'a.b.io/v1', allowedValues: [{ path: 'spec.x', values: ['a'], optional: 'no' }] },
        ],
      },
      "'customResources.toHost[0].allowedValues[0].optional': must be true or false",
    ],
    [
      'allowedValues unknown field',
      {
        toHost: [{ resource: 'a.b.io/v1', allowedValues: [{ path: 'spec.x', values: ['a'], regex: '.*' }] }],
      },
      "'customResources.toHost[0].allowedValues[0].regex': unknown field",
    ],
    [
      'fromHost takes no allowedValues',
      { fromHost: [{ resource: 'a.b.io/v1', allowedValues: [] }] },
      "'customResources.fromHost[0].allowedValues': unknown field",
    ],
    [
      'two host namespaces into one',
      { fromHost: [{ resource: 'a.b.io/v1', namespaces: { a: 'x', b: 'x' } }] },
      'fromHost[0].namespaces.b',
    ],
  ])('%s', (_name, section, message) => {
    expect(problem(section)).toContain(message);
  });

  it('each configured resource is a kind of its own, on by default, named cr:<plural>.<group>', () => {
    const config = build({
      toHost: [{ resource: 'certificates.cert-manager.io/v1' }],
      fromHost: [{ resource: 'clusterissuers.cert-manager.io/v1' }],
    });
    const registry = builtinKinds(config.customResources);
    expect(registry.kinds()).toEqual(
      expect.arrayContaining(['cr:certificates.cert-manager.io', 'cr:clusterissuers.cert-manager.io']),
    );
    expect(registry.defaults()).toContain('cr:certificates.cert-manager.io');
  });

  it('a cluster-scoped resource is refused for toHost, once its CRD tells the scope', () => {
    const config = build({
      toHost: [{ resource: 'clusterissuers.cert-manager.io/v1' }],
      fromHost: [{ resource: 'clusterpolicies.kyverno.io/v1' }],
    });
    expect(scopeProblem(config.customResources.toHost[0]!, false)).toMatch(
      /^customResources\.toHost clusterissuers\.cert-manager\.io\/v1: .*cluster-scoped.*every namespace/,
    );
    expect(scopeProblem(config.customResources.toHost[0]!, true)).toBeUndefined();
    // Shown read-only from the host, a cluster-scoped resource is fine.
    expect(scopeProblem(config.customResources.fromHost[0]!, false)).toBeUndefined();
  });

  it("fromHost may not show the virtual cluster's own host namespace: other virtual clusters' objects are there too", () => {
    /** The ConfigError the kinds give when built for host namespace `ns`, or '' when none. */
    const buildProblem = (namespaces: Record<string, string>): string => {
      const config = build({
        fromHost: [
          { resource: 'clusterissuers.cert-manager.io/v1' },
          { resource: 'certificaterequests.cert-manager.io/v1', namespaces },
        ],
      });
      const kinds = builtinKinds(config.customResources);
      try {
        kinds.build(
          new Set(['cr:certificaterequests.cert-manager.io']),
          config as unknown as Record<string, unknown>,
          placementOf(config),
        );
        return '';
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return err.message;
      }
    };
    // A CertificateRequest cert-manager made for another virtual cluster's copy carries no managed-by.
    expect(buildProblem({ 'cert-manager': 'certs', ns: 'mirror' })).toMatch(
      /^config field 'customResources\.fromHost\[1\]\.namespaces\.ns': .*host namespace of this virtual cluster/,
    );
    expect(buildProblem({ 'cert-manager': 'certs' })).toBe('');
  });
});

describe("customResources config: vCluster's form (a mapping of <plural>.<group> to {enabled, ...})", () => {
  it('takes the entries that are enabled, as the list form writes them; no version: the one the CRD stores', () => {
    const config = build({
      toHost: {
        'certificates.cert-manager.io': { enabled: true },
        'issuers.cert-manager.io/v1': { enabled: true, scope: 'Namespaced' },
        'orders.acme.cert-manager.io': { enabled: false },
        'challenges.acme.cert-manager.io': {},
      },
      fromHost: {
        'clusterissuers.cert-manager.io': { enabled: true, scope: 'Cluster' },
        'certificaterequests.cert-manager.io': {
          enabled: true,
          scope: 'Namespaced',
          mappings: { byName: { 'cert-manager/*': 'certs/*', 'shared/*': 'shared/*' } },
        },
      },
    }).customResources;
    const list = build({
      toHost: [
        { resource: 'certificates.cert-manager.io' },
        { resource: 'issuers.cert-manager.io/v1', scope: 'Namespaced' },
      ],
      fromHost: [
        { resource: 'clusterissuers.cert-manager.io', scope: 'Cluster' },
        {
          resource: 'certificaterequests.cert-manager.io',
          scope: 'Namespaced',
          namespaces: { 'cert-manager': 'certs', shared: 'shared' },
        },
      ],
    }).customResources;
    // The same entries but for where each was configured.
    const unplaced = (entries: CustomResourceEntry[]) =>
      entries.map(({ field: _field, namespaceFields: _fields, ...rest }) => rest);
    expect(unplaced(config.toHost)).toEqual(unplaced(list.toHost));
    expect(unplaced(config.fromHost)).toEqual(unplaced(list.fromHost));
    expect(config.toHost.map((e) => e.field)).toEqual([
      'customResources.toHost["certificates.cert-manager.io"]',
      'customResources.toHost["issuers.cert-manager.io/v1"]',
    ]);
    // No version: none until the CRD is read (its storage version, see the state tests).
    expect(config.toHost[0]).toMatchObject({ plural: 'certificates', group: 'cert-manager.io' });
    expect(config.toHost[0]!.version).toBeUndefined();
    expect(unresolvedType(config.toHost[0]!).version).toBe('');
    expect(config.toHost[1]!.version).toBe('v1');
    expect(config.fromHost[1]!.namespaces).toEqual({ 'cert-manager': 'certs', shared: 'shared' });
    const registry = builtinKinds(config);
    expect(registry.kinds()).toEqual(
      expect.arrayContaining(['cr:certificates.cert-manager.io', 'cr:certificaterequests.cert-manager.io']),
    );
    expect(registry.kinds()).not.toContain('cr:orders.acme.cert-manager.io');
  });

  it("a scope given must be the CRD's: told when the CRD is read, naming the field", () => {
    const config = build({
      toHost: { 'certificates.cert-manager.io': { enabled: true, scope: 'Namespaced' } },
      fromHost: { 'clusterissuers.cert-manager.io': { enabled: true, scope: 'Cluster' } },
    }).customResources;
    expect(scopeProblem(config.fromHost[0]!, true)).toBe(
      'customResources.fromHost clusterissuers.cert-manager.io: scope Cluster is configured (customResources.fromHost["clusterissuers.cert-manager.io"].scope), but CRD clusterissuers.cert-manager.io is Namespaced: correct the scope, or leave it out (the CRD tells it)',
    );
    expect(scopeProblem(config.fromHost[0]!, false)).toBeUndefined();
    expect(scopeProblem(config.toHost[0]!, false)).toMatch(
      /scope Namespaced is configured .*, but CRD certificates\.cert-manager\.io is Cluster/,
    );
    expect(scopeProblem(config.toHost[0]!, true)).toBeUndefined();
  });

  it('a reference patch naming a v1 Secret, ConfigMap or Service is a reference ([*] is [])', () => {
    const config = build({
      toHost: {
        'certificates.cert-manager.io': {
          enabled: true,
          patches: [
            { path: 'spec.secretName', reference: { apiVersion: 'v1', kind: 'Secret' } },
            {
              path: 'spec.keystores[*].passwordSecretRef',
              reference: { apiVersion: 'v1', kind: 'Secret', namePath: 'name' },
            },
            { path: 'spec.caBundleFrom', reference: { apiVersion: 'v1', kind: 'ConfigMap' } },
          ],
        },
      },
    }).customResources;
    expect(config.toHost[0]!.references.map((r) => [r.path, r.kind])).toEqual([
      ['spec.secretName', 'Secret'],
      ['spec.keystores[].passwordSecretRef.name', 'Secret'],
      ['spec.caBundleFrom', 'ConfigMap'],
    ]);
    expect(config.toHost[0]!.references[1]!.segments).toEqual([
      { field: 'spec', each: false },
      { field: 'keystores', each: true },
      { field: 'passwordSecretRef', each: false },
      { field: 'name', each: false },
    ]);
  });

  const offers =
    "vsyncer does not run vCluster's patches; what it offers instead is in its list form (customResources.toHost[], see docs/custom-resources.md): references (a path and a kind: Secret, ConfigMap, Service or another toHost entry's <plural>.<group>) rewritten to the named object's host copy, LabelSelector and Labels references scoped to the tenant's namespace on the host, and allowedValues limiting what a field may hold";
  const toHost = (patches: unknown[]) => ({
    toHost: { 'certificates.cert-manager.io': { enabled: true, patches } },
  });
  it.each<[string, unknown, string]>([
    [
      'an expression',
      toHost([{ path: 'spec.commonName', expression: '"x-" + value' }]),
      `config field 'customResources.toHost["certificates.cert-manager.io"].patches[0]': an expression patch (JavaScript) has no equivalent. ${offers}`,
    ],
    [
      'a reverse expression',
      toHost([
        { path: 'spec.secretName', reference: { apiVersion: 'v1', kind: 'Secret' } },
        { path: 'spec.commonName', reverseExpression: 'value' },
      ]),
      "patches[1]': an expression patch (JavaScript) has no equivalent. vsyncer does not run",
    ],
    [
      'labels',
      toHost([{ path: 'spec.selector', labels: {} }]),
      'a labels patch has no exact equivalent (a LabelSelector or Labels reference',
    ],
    [
      'a reference to a custom resource',
      toHost([
        { path: 'spec.issuerRef.name', reference: { apiVersion: 'cert-manager.io/v1', kind: 'Issuer' } },
      ]),
      'a reference patch to apiVersion "cert-manager.io/v1", kind "Issuer" does not map',
    ],
    [
      'a reference whose namespace the object names',
      toHost([
        { path: 'spec.ref', reference: { apiVersion: 'v1', kind: 'Secret', namespacePath: 'namespace' } },
      ]),
      'a reference patch with namespacePath has no equivalent',
    ],
    [
      'a reference at an index',
      toHost([{ path: 'spec.tls[0].secretName', reference: { apiVersion: 'v1', kind: 'Secret' } }]),
      `the reference patch's path "spec.tls[0].secretName" is not one vsyncer takes`,
    ],
    [
      'patches from the host',
      {
        fromHost: {
          'clusterissuers.cert-manager.io': {
            enabled: true,
            scope: 'Cluster',
            patches: [{ path: 'spec.x', expression: 'value' }],
          },
        },
      },
      `'customResources.fromHost["clusterissuers.cert-manager.io"].patches[0]': fromHost shows the host objects as they are, and takes no patches. ${offers}`,
    ],
    [
      'one object of a host namespace',
      {
        fromHost: {
          'issuers.cert-manager.io': {
            enabled: true,
            scope: 'Namespaced',
            mappings: { byName: { 'cert-manager/ca': 'certs/ca' } },
          },
        },
      },
      `'customResources.fromHost["issuers.cert-manager.io"].mappings.byName["cert-manager/ca"]': vsyncer shows whole host namespaces, each as one virtual namespace with the objects' names unchanged: "<host-namespace>/*": "<virtual-namespace>/*"`,
    ],
    [
      "the virtual cluster's own host namespace",
      {
        fromHost: {
          'issuers.cert-manager.io': {
            enabled: true,
            scope: 'Namespaced',
            mappings: { byName: { '': 'certs/*' } },
          },
        },
      },
      `mappings.byName[""]': names the virtual cluster's own host namespace, which vsyncer never shows`,
    ],
    [
      'a namespaced resource from the host without mappings',
      { fromHost: { 'issuers.cert-manager.io': { enabled: true, scope: 'Namespaced' } } },
      `'customResources.fromHost["issuers.cert-manager.io"].mappings.byName': a namespaced resource from the host needs the host namespaces to show`,
    ],
    [
      'a cluster-scoped resource from the host with mappings',
      {
        fromHost: {
          'clusterissuers.cert-manager.io': {
            enabled: true,
            scope: 'Cluster',
            mappings: { byName: { 'a/*': 'b/*' } },
          },
        },
      },
      `'customResources.fromHost["clusterissuers.cert-manager.io"].mappings': mappings (host namespaces to show) apply only to namespaced resources`,
    ],
    [
      'a cluster-scoped resource to the host',
      { toHost: { 'clusterissuers.cert-manager.io': { enabled: true, scope: 'Cluster' } } },
      `'customResources.toHost["clusterissuers.cert-manager.io"].scope': only namespaced resources are synced to the host`,
    ],
    [
      'a key that is not a CRD name',
      { toHost: { Certificate: { enabled: true } } },
      `'customResources.toHost["Certificate"]': the key must be <plural>.<group>`,
    ],
    [
      'enabled not a boolean',
      { toHost: { 'certificates.cert-manager.io': { enabled: 'yes' } } },
      `'customResources.toHost["certificates.cert-manager.io"].enabled': must be true or false`,
    ],
    [
      "vsyncer's own fields",
      { toHost: { 'certificates.cert-manager.io': { enabled: true, allowedValues: [] } } },
      `'customResources.toHost["certificates.cert-manager.io"].allowedValues': unknown field (known in vCluster's form: enabled, scope, patches; vsyncer's own fields take its list form)`,
    ],
    [
      'one resource in both directions',
      { toHost: { 'a.b.io': { enabled: true } }, fromHost: { 'a.b.io/v1': { enabled: true } } },
      `'customResources.fromHost["a.b.io/v1"]': a.b.io is already configured at customResources.toHost["a.b.io"]`,
    ],
  ])('refuses %s, naming the field and what vsyncer offers', (_name, section, message) => {
    expect(problem(section)).toContain(message);
  });

  it("an enabled: false entry is not checked further (vCluster's defaults may leave one in place)", () => {
    expect(problem(toHost([{ path: 'x', expression: 'value' }]))).not.toBe('');
    expect(
      build({
        toHost: {
          'certificates.cert-manager.io': { enabled: false, patches: [{ path: 'x', expression: 'value' }] },
        },
      }).customResources.toHost,
    ).toEqual([]);
  });

  it("fromHost may not show the virtual cluster's own host namespace: the mapping is named", () => {
    const config = build({
      fromHost: {
        'issuers.cert-manager.io': {
          enabled: true,
          scope: 'Namespaced',
          mappings: { byName: { 'ns/*': 'mirror/*' } },
        },
      },
    });
    expect(() =>
      builtinKinds(config.customResources).build(
        new Set(['cr:issuers.cert-manager.io']),
        config as unknown as Record<string, unknown>,
        placementOf(config),
      ),
    ).toThrow(
      /^config field 'customResources\.fromHost\["issuers\.cert-manager\.io"\]\.mappings\.byName\["ns\/\*"\]': ns is the host namespace of this virtual cluster/,
    );
  });
});
