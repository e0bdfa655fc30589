import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildConfig } from '../../src/config/config.ts';
import type { RbacRule } from '../../src/sync/kind.ts';
import { resolveEnabledKinds } from '../../src/sync/registry.ts';
import { builtinKinds } from '../../src/translators/index.ts';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, render, renderText, type Manifest } from './render.ts';

interface RenderedRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const registry = builtinKinds();

/** The kubelet API (on by default) streams host pods' logs, exec, attach and port-forward. */
const KUBELET_STREAMS: RenderedRule[] = [
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['get', 'create'] },
];

/**
 * The syncer's own objects, by name where a rule can say it: the exported kubeconfig's Secret
 * (exportKubeconfig) and the Service that owns every synced object (syncer.setOwner, on by default).
 */
const OWN_OBJECTS: RenderedRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update', 'delete'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
];

/** Every (group, resource, verb) a set of rules grants, as sorted strings. */
function grants(
  rules: readonly { apiGroups: readonly string[]; resources: readonly string[]; verbs: readonly string[] }[],
): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res}:${v}`);
  return [...out].sort();
}

function rulesOf(ms: Manifest[], kind: 'Role' | 'ClusterRole'): RenderedRule[] {
  return (ms.find((m) => m.kind === kind)?.rules as RenderedRule[] | undefined) ?? [];
}

describe('chart RBAC derived from the kind descriptors', () => {
  it('names cluster-scoped RBAC so that no two releases share it, however their names read with dashes', () => {
    // Cluster roles, and the Roles the release makes in namespaces not its own (another release's too).
    const sharedScope = (namespace: string, release: string) =>
      parseAllDocuments(
        renderText(
          {
            'syncer.syncRealNodes': 'true',
            'exportKubeconfig.additionalSecrets[0].name': 'kc',
            'exportKubeconfig.additionalSecrets[0].namespace': 'shared',
          },
          namespace,
          release,
        ),
      )
        .map((d) => d.toJS() as Manifest)
        .filter(
          (m) =>
            m?.kind?.startsWith('Cluster') ||
            (m?.kind?.startsWith('Role') && m.metadata.namespace === 'shared'),
        )
        .map((m) => `${m.kind} ${m.metadata.name}`);
    expect(sharedScope('a-b', 'c')).toEqual([
      'ClusterRole vsyncer:a-b:c',
      'ClusterRoleBinding vsyncer:a-b:c',
      'Role vsyncer:a-b:c:kubeconfig',
      'RoleBinding vsyncer:a-b:c:kubeconfig',
    ]);
    expect(sharedScope('a', 'b-c')).toEqual([
      'ClusterRole vsyncer:a:b-c',
      'ClusterRoleBinding vsyncer:a:b-c',
      'Role vsyncer:a:b-c:kubeconfig',
      'RoleBinding vsyncer:a:b-c:kubeconfig',
    ]);
  });

  it('the generated template is current (node hack/gen-chart-rbac.ts rewrites it)', () => {
    const check = spawnSync(process.execPath, [join(REPO_ROOT, 'hack/gen-chart-rbac.ts'), '--check'], {
      encoding: 'utf8',
    });
    expect({ code: check.status, stderr: check.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it.each([
    ['defaults', {}, [], {}],
    ['without pods', { 'syncer.sync[0]': '-pods' }, ['-pods'], {}],
    [
      'everything, real nodes',
      { 'syncer.sync[0]': '*', 'syncer.syncRealNodes': 'true' },
      ['*'],
      { syncRealNodes: true },
    ],
    [
      'only the defaults minus events and nodes',
      { 'syncer.sync[0]': '-events', 'syncer.sync[1]': '-nodes' },
      ['-events', '-nodes'],
      {},
    ],
    // vCluster v0.19's names for kinds, as --sync takes them.
    ['ingressclasses', { 'syncer.sync[0]': 'ingressclasses' }, ['ingressclasses'], {}],
    [
      'the CSI objects, by vCluster names',
      {
        'syncer.sync[0]': 'csidrivers',
        'syncer.sync[1]': '+csinodes',
        'syncer.sync[2]': 'csistoragecapacities',
      },
      ['csidrivers', '+csinodes', 'csistoragecapacities'],
      {},
    ],
    // The host's storage classes and CSI objects come with the virtual scheduler, as vCluster's `auto`.
    [
      'the virtual scheduler',
      { 'syncer.virtualScheduler': 'true', 'syncer.syncRealNodes': 'true' },
      [],
      { virtualScheduler: true, syncRealNodes: true },
    ],
    [
      'the virtual scheduler without claims',
      {
        'syncer.virtualScheduler': 'true',
        'syncer.syncRealNodes': 'true',
        'syncer.sync[0]': '-persistentvolumeclaims',
      },
      ['-persistentvolumeclaims'],
      { virtualScheduler: true, syncRealNodes: true },
    ],
    [
      'everything but fake-nodes, real nodes',
      { 'syncer.sync[0]': '*', 'syncer.sync[1]': '-fake-nodes', 'syncer.syncRealNodes': 'true' },
      ['*', '-fake-nodes'],
      { syncRealNodes: true },
    ],
    // Entries as --sync reads them: split on commas and trimmed, the last mention of a kind deciding,
    // vCluster's names and the kinds they name being one kind.
    [
      'two kinds in one entry',
      { 'syncer.sync[0]': 'ingresses\\,networkpolicies' },
      ['ingresses,networkpolicies'],
      {},
    ],
    [
      'a kind off then on, another on then off, spaced',
      {
        'syncer.sync[0]': ' -ingresses \\, ingresses ',
        'syncer.sync[1]': 'networkpolicies',
        'syncer.sync[2]': '-networkpolicies',
      },
      [' -ingresses , ingresses ', 'networkpolicies', '-networkpolicies'],
      {},
    ],
    [
      'a kind off, then on by its vCluster name, real nodes',
      { 'syncer.sync[0]': '-nodes', 'syncer.sync[1]': 'fake-nodes', 'syncer.syncRealNodes': 'true' },
      ['-nodes', 'fake-nodes'],
      { syncRealNodes: true },
    ],
    [
      'on by its vCluster name, then off by its own',
      { 'syncer.sync[0]': 'ingressclasses', 'syncer.sync[1]': '-host-ingressclasses' },
      ['ingressclasses', '-host-ingressclasses'],
      {},
    ],
    [
      'off by its vCluster name, then on by its own',
      { 'syncer.sync[0]': '-csidrivers', 'syncer.sync[1]': '+host-csidrivers' },
      ['-csidrivers', '+host-csidrivers'],
      {},
    ],
    ['a kind off, then everything', { 'syncer.sync[0]': '-ingresses\\,*' }, ['-ingresses,*'], {}],
    ['everything, then a kind off', { 'syncer.sync[0]': '*\\,-ingresses' }, ['*,-ingresses'], {}],
  ] as const)(
    '%s: the Role and ClusterRole grant exactly what the enabled kinds need',
    (_name, values, entries, options) => {
      const ms = render(values as Record<string, string>);
      // syncer.sync as the syncer parses --sync.
      const sync = buildConfig(
        {},
        { name: 'vc1', hostNamespace: 'team-a', virtualKubeconfig: '/k', sync: [...entries] },
      ).sync;
      // The chart's `*` turns every kind on (the syncer's leaves out those another kind excludes).
      const enabled = sync.includes('*')
        ? resolveEnabledKinds([...sync], registry.kinds(), registry.defaults())
        : registry.enabledKinds([...sync], options);
      const needed = registry.hostRbac(enabled, options as Record<string, unknown>);
      const scoped = (scope: RbacRule['scope']) => needed.filter((r) => r.scope === scope);
      expect(grants(rulesOf(ms, 'Role'))).toEqual(
        grants([...scoped('namespace'), ...KUBELET_STREAMS, ...OWN_OBJECTS]),
      );
      expect(grants(rulesOf(ms, 'ClusterRole'))).toEqual(grants(scoped('cluster')));
    },
  );

  it.each([
    ['syncer.leaderElect', 'true'],
    ['syncer.replicas', '2'],
  ])('with leader election (%s=%s), its one Lease: created, then read and renewed by name', (key, value) => {
    const extra: Record<string, string> =
      key === 'syncer.replicas' ? { 'k3s.datastore.secretName': 'db' } : {};
    const leaseRules = rulesOf(render({ [key]: value, ...extra }), 'Role').filter((r) =>
      r.resources.includes('leases'),
    );
    expect(leaseRules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['vsyncer-vc1'],
        verbs: ['get', 'update'],
      },
    ]);
  });

  it('grants host objects shown by mappings where they point only, through a Role in each mapped namespace', () => {
    const ms = render({
      'syncer.mapHostConfigMaps.shared/\\*': 'team/*',
      'syncer.mapHostConfigMaps./motd': 'team/motd',
      'syncer.mapHostSecrets.vault/creds': 'team/db-creds',
      'syncer.mapHostServices[0]': 'shared/postgres=team/db',
      'syncer.mappedNamespacesRbac': 'Role',
    });
    const mapped = ms.filter((m) => m.kind === 'Role' && String(m.metadata?.name).endsWith(':mapped'));
    const READ = ['get', 'list', 'watch'];
    // A namespace mapped whole: the whole type; objects named one by one: those names only.
    expect(Object.fromEntries(mapped.map((m) => [m.metadata?.namespace, m.rules]))).toEqual({
      shared: [
        { apiGroups: [''], resources: ['configmaps'], verbs: READ },
        { apiGroups: [''], resources: ['endpoints'], resourceNames: ['postgres'], verbs: READ },
        { apiGroups: [''], resources: ['services'], resourceNames: ['postgres'], verbs: READ },
      ],
      'team-a': [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['motd'], verbs: READ }],
      vault: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['creds'], verbs: READ }],
    });
    const bindings = ms.filter(
      (m) => m.kind === 'RoleBinding' && String(m.metadata?.name).endsWith(':mapped'),
    );
    expect(
      bindings.map((b) => [b.metadata?.namespace, (b.subjects as { name: string; namespace: string }[])[0]]),
    ).toEqual(
      expect.arrayContaining([['vault', { kind: 'ServiceAccount', name: 'vc1', namespace: 'team-a' }]]),
    );
    // Nothing of it cluster-wide.
    expect(
      grants(rulesOf(ms, 'ClusterRole')).filter((g) => /^\/(configmaps|secrets|services|endpoints):/.test(g)),
    ).toEqual([]);
    // A kind turned off grants nothing for its mappings.
    const off = render({
      'syncer.mapHostSecrets.vault/creds': 'team/db-creds',
      'syncer.sync[0]': '-mapped-host-secrets',
    });
    expect(off.filter((m) => m.kind === 'Role' && m.metadata?.namespace === 'vault')).toEqual([]);
  });

  it('grants the kubeconfig Secret and the owner Service by name, whatever kinds are on', () => {
    const named = (ms: Manifest[]) =>
      (rulesOf(ms, 'Role') as (RenderedRule & { resourceNames?: string[] })[]).filter((r) => r.resourceNames);
    expect(named(render())).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['vc-vc1'],
        verbs: ['get', 'update', 'delete'],
      },
      { apiGroups: [''], resources: ['services'], resourceNames: ['vc1'], verbs: ['get', 'list', 'watch'] },
    ]);
    // Without an owner, no delete (only the owner-reference admission check needs it), no Service read.
    expect(named(render({ 'syncer.setOwner': 'false', 'exportKubeconfig.secret': 'kc' }))).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['kc'], verbs: ['get', 'update'] },
    ]);
    const withoutSecretKinds = render({ 'syncer.sync[0]': '-secrets', 'syncer.sync[1]': '-pods' });
    expect(grants(rulesOf(withoutSecretKinds, 'Role'))).toEqual(
      expect.arrayContaining(['/secrets:create', '/secrets:get', '/secrets:update', '/services:get']),
    );
  });
});
