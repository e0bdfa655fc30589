import { buildConfig, ConfigError, placementOf } from '../../config/config.ts';
import { builtinKinds } from '../index.ts';
import { scopeProblem } from './crd.ts';

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

  it('no section: nothing configured', () => {
    expect(buildConfig({}, flags).customResources).toEqual({ toHost: [], fromHost: [] });
  });

  it.each<[string, unknown, string]>([
    ['not a mapping', ['x'], "config field 'customResources': must be a mapping"],
    ['unknown direction', { both: [] }, "config field 'customResources.both': unknown field"],
    ['list expected', { toHost: {} }, "config field 'customResources.toHost': must be a list"],
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
    ['no version', { toHost: [{ resource: 'certificates.cert-manager.io' }] }, 'toHost[0].resource'],
    ['no group dot', { toHost: [{ resource: 'certificates.local/v1' }] }, 'toHost[0].resource'],
    ['built-in kind', { toHost: [{ resource: 'ingresses.networking.k8s.io/v1' }] }, 'is a built-in kind'],
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
      'reference to a fromHost entry',
      {
        toHost: [{ resource: 'a.b.io/v1', references: [{ path: 'spec.x', kind: 'c.b.io' }] }],
        fromHost: [{ resource: 'c.b.io/v1' }],
      },
      'references[0].kind',
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
