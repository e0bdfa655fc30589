import { buildConfig, placementOf } from '../config/config.ts';
import { field } from '../config/fields.ts';
import { Resources } from '../kube/resources.ts';
import { defineKind, type KindDescriptor, type KindSpec } from './kind.ts';
import { builtinKinds } from '../translators/index.ts';
import { parseHostGatewaysConfig } from '../translators/host-gateways/config.ts';
import { KindRegistry, resolveEnabledKinds } from './registry.ts';

/** What `--sync '*'` turns on of a registry's kinds. */
const everyKind = (registry: KindRegistry) =>
  resolveEnabledKinds(['*'], registry.kinds(), registry.defaults(), registry.excludedByOthers());

describe('resolveEnabledKinds', () => {
  const known = ['configmaps', 'secrets', 'pods', 'events', 'nodes'];
  const defaults = ['configmaps', 'secrets', 'pods'];
  it.each([
    [[], ['configmaps', 'secrets', 'pods']],
    [['-pods'], ['configmaps', 'secrets']],
    [
      ['events', '+nodes'],
      ['configmaps', 'secrets', 'pods', 'events', 'nodes'],
    ],
    [
      ['*', '-secrets'],
      ['configmaps', 'pods', 'events', 'nodes'],
    ],
    // vCluster v0.19's names for the same kinds.
    [['-fake-nodes'], ['configmaps', 'secrets', 'pods']],
    [['+fake-nodes'], ['configmaps', 'secrets', 'pods', 'nodes']],
  ])('%j', (spec, expected) => {
    expect([...resolveEnabledKinds(spec, known, defaults)].sort()).toEqual([...expected].sort());
  });

  it('rejects an unknown kind by name', () => {
    expect(() => resolveEnabledKinds(['podz'], known, defaults)).toThrow("unknown kind 'podz'");
  });

  it("'*' leaves off the kinds another kind excludes, so every built-in kind at once still starts", () => {
    const registry = builtinKinds();
    const all = everyKind(registry);
    expect(() => registry.checkConflicts(all)).not.toThrow();
    expect(all).toEqual(
      new Set(registry.kinds().filter((k) => !['host-priorityclasses', 'host-storageclasses'].includes(k))),
    );
    // Named with the kind that excludes it turned off, a host- kind is on.
    const explicit = resolveEnabledKinds(
      ['*', '-storageclasses', 'host-storageclasses'],
      registry.kinds(),
      registry.defaults(),
      registry.excludedByOthers(),
    );
    expect(() => registry.checkConflicts(explicit)).not.toThrow();
    expect(explicit.has('host-storageclasses')).toBe(true);
  });
});

describe('KindRegistry', () => {
  const spec = (name: string): KindSpec => ({
    direction: 'to-host',
    virtualType: Resources.configMaps,
    hostType: Resources.configMaps,
    mapper: { targetKey: (k) => `${name}:${k}`, sourceKeyOf: () => undefined },
    create: async () => ({}),
    update: async () => ({}),
  });
  const kind = (name: string, defaultOn: boolean, key?: string): KindDescriptor =>
    defineKind({
      name,
      description: name,
      defaultOn,
      eventKind: name === 'b' ? 'B' : undefined,
      fields: key ? [field({ flag: key, key, kind: 'bool', default: false, description: key })] : [],
      hostRbac: [
        { scope: 'namespace', apiGroups: [''], resources: [name], verbs: ['get'] },
        {
          scope: 'cluster',
          apiGroups: [''],
          resources: ['nodes'],
          verbs: ['get'],
          whenOption: key ?? 'never',
        },
      ],
      build: (options, where) => {
        built.push({ name, options, where });
        return spec(name);
      },
    }) as KindDescriptor;
  let built: { name: string; options: unknown; where: unknown }[] = [];
  beforeEach(() => (built = []));

  it('builds only enabled kinds, in registration order, each with only its own options', () => {
    const registry = new KindRegistry().register(kind('b', true, 'bOpt')).register(kind('a', false, 'aOpt'));
    const where = { vcName: 'vc', hostNamespace: 'ns', virtualApiService: 'vc' };
    const kinds = registry.build(new Set(['a', 'b']), { bOpt: true, aOpt: false, secret: 'x' }, where);
    expect([...kinds.keys()]).toEqual(['b', 'a']);
    expect(built).toEqual([
      { name: 'b', options: { bOpt: true }, where },
      { name: 'a', options: { aOpt: false }, where },
    ]);
    expect(kinds.get('b')?.eventKind).toBe('B');
    expect(registry.defaults()).toEqual(['b']);
    expect(registry.fields().map((f) => f.key)).toEqual(['bOpt', 'aOpt']);
    expect(registry.eventKinds(new Set(['a', 'b']))).toEqual(['B']);
  });

  it('gives a kind the options it reads of another kind, without declaring them twice', () => {
    const shared = [
      field({ flag: 'shared', key: 'shared', kind: 'bool', default: false, description: 's' }),
    ] as const;
    const owner = defineKind({ ...kind('owner', true), fields: shared }) as KindDescriptor;
    const reader = defineKind({ ...kind('reader', true), fields: [], reads: shared }) as KindDescriptor;
    const registry = new KindRegistry().register(owner).register(reader);
    expect(registry.fields().map((f) => f.key)).toEqual(['shared']);
    registry.build(
      new Set(['reader']),
      { shared: true, other: 1 },
      { vcName: 'vc', hostNamespace: 'ns', virtualApiService: 'vc' },
    );
    expect(built.map((b) => b.options)).toEqual([{ shared: true }]);
  });

  it('derives the host RBAC of the enabled kinds, with option-gated rules only when the option is on', () => {
    const registry = new KindRegistry().register(kind('b', true, 'bOpt')).register(kind('a', false));
    expect(registry.hostRbac(new Set(['b']), { bOpt: false }).map((r) => r.resources[0])).toEqual(['b']);
    expect(registry.hostRbac(new Set(['a', 'b']), { bOpt: true }).map((r) => r.resources[0])).toEqual([
      'b',
      'nodes',
      'a',
    ]);
  });

  it('refuses a kind or an option key declared twice, and an unknown kind', () => {
    const registry = new KindRegistry().register(kind('a', true, 'opt'));
    expect(() => registry.register(kind('a', true))).toThrow('registered twice');
    expect(() => registry.register(kind('c', true, 'opt'))).toThrow(
      "option 'opt' is declared by another kind",
    );
    expect(() =>
      registry.build(new Set(['zz']), {}, { vcName: 'v', hostNamespace: 'n', virtualApiService: 'v' }),
    ).toThrow("unknown kind 'zz'");
  });
});

describe('event kinds', () => {
  it('only kinds whose host copies are namespaced copy host events up (events about cluster-scoped objects are in no namespace the syncer watches)', () => {
    const registry = builtinKinds(
      undefined,
      parseHostGatewaysConfig({ mappings: { byName: { 'platform/*': 'shared/*' } } }),
    );
    const all = everyKind(registry);
    const config = buildConfig({}, { name: 'vc', hostNamespace: 'host-ns', virtualKubeconfig: '/dev/null' });
    const built = registry.build(all, config as unknown as Record<string, unknown>, placementOf(config));
    const clusterScoped = [...built.values()]
      .filter((k) => k.eventKind && !k.spec.hostType.namespaced)
      .map((k) => k.name);
    expect(clusterScoped).toEqual([]);
  });
});

describe('KindRegistry.enabledKinds', () => {
  const registry = builtinKinds();

  it("leaves host-gateways out of '*' unless the config names host Gateways to show; named, it is on", () => {
    expect(registry.enabledKinds(['*'], {}).has('host-gateways')).toBe(false);
    expect(registry.enabledKinds(['*', 'host-gateways'], {}).has('host-gateways')).toBe(true);
    const configured = builtinKinds(
      undefined,
      parseHostGatewaysConfig({ mappings: { byName: { 'platform/*': 'shared/*' } } }),
    );
    expect(configured.enabledKinds(['*'], {}).has('host-gateways')).toBe(true);
  });
  const FROM_HOST_STORAGE = ['host-storageclasses', 'host-csidrivers', 'host-csinodes'];

  it("turns the host's storage classes and CSI objects on with the virtual scheduler, as vCluster's auto", () => {
    const on = registry.enabledKinds([], { virtualScheduler: true });
    for (const kind of FROM_HOST_STORAGE) expect(on.has(kind)).toBe(true);
    // Not the capacities: their node topology would show host nodes the selector hides.
    expect(on.has('host-csistoragecapacities')).toBe(false);
    const off = registry.enabledKinds([], { virtualScheduler: false });
    for (const kind of FROM_HOST_STORAGE) expect(off.has(kind)).toBe(false);
  });

  it('leaves them off when named off, without claims, or when a kind they conflict with is on', () => {
    expect(registry.enabledKinds(['-host-csinodes'], { virtualScheduler: true }).has('host-csinodes')).toBe(
      false,
    );
    const withoutClaims = registry.enabledKinds(['-persistentvolumeclaims'], { virtualScheduler: true });
    for (const kind of FROM_HOST_STORAGE) expect(withoutClaims.has(kind)).toBe(false);
    const tenantClasses = registry.enabledKinds(['+storageclasses'], { virtualScheduler: true });
    expect(tenantClasses.has('host-storageclasses')).toBe(false);
    expect(tenantClasses.has('host-csidrivers')).toBe(true);
    expect(() => registry.checkConflicts(tenantClasses)).not.toThrow();
  });
});

describe('KindRegistry.settingWithoutKind', () => {
  it('names a class selector set while its class kind is off; none when it is on or unset', () => {
    const registry = builtinKinds();
    const config = { hostStorageclassesSelector: 'tier=gold' };
    expect(registry.settingWithoutKind(new Set(['pods']), config)).toEqual([
      '--host-storageclasses-selector',
      "is set, but kind 'host-storageclasses' is off: add it to --sync (+host-storageclasses)",
    ]);
    expect(registry.settingWithoutKind(new Set(['host-storageclasses']), config)).toBeUndefined();
    expect(
      registry.settingWithoutKind(new Set(['pods']), { hostStorageclassesSelector: '' }),
    ).toBeUndefined();
  });
});

describe('KindRegistry.settingWithoutKind: a setting that needs another kind', () => {
  it('a virtual --pod-dns-nameserver entry needs the services kind', () => {
    const registry = builtinKinds();
    const config = { podDnsNameservers: ['tenant-cluster:kube-system:k8s-app=kube-dns'] };
    expect(registry.settingWithoutKind(new Set(['pods']), config)?.[0]).toBe('--pod-dns-nameserver');
    expect(registry.settingWithoutKind(new Set(['pods', 'services']), config)).toBeUndefined();
    expect(
      registry.settingWithoutKind(new Set(['pods']), { podDnsNameservers: ['host:dns:role=primary'] }),
    ).toBeUndefined();
  });

  it('--virtual-scheduler needs real nodes (the nodes kind with --sync-real-nodes)', () => {
    const registry = builtinKinds();
    const on = { virtualScheduler: true };
    expect(registry.settingWithoutKind(new Set(['pods', 'nodes']), on)).toEqual([
      '--virtual-scheduler',
      expect.stringContaining('needs --sync-real-nodes'),
    ]);
    expect(registry.settingWithoutKind(new Set(['pods']), { ...on, syncRealNodes: true })?.[0]).toBe(
      '--virtual-scheduler',
    );
    expect(
      registry.settingWithoutKind(new Set(['pods', 'nodes']), { ...on, syncRealNodes: true }),
    ).toBeUndefined();
  });
});
