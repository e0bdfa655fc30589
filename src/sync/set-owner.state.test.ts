import type { KubeObject, OwnerReference } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const OWNER: OwnerReference = {
  apiVersion: 'v1',
  kind: 'Service',
  name: VC,
  uid: 'vc-svc-uid',
  controller: false,
};
const KINDS = [
  'configmaps',
  'secrets',
  'pods',
  'services',
  'endpoints',
  'persistentvolumeclaims',
  'poddisruptionbudgets',
  'networkpolicies',
  'ingresses',
];
/** The namespaced host types those kinds write, and the virtual ones a tenant edits. */
const HOST_TYPES: ResourceType[] = [
  Resources.configMaps,
  Resources.secrets,
  Resources.pods,
  Resources.services,
  Resources.endpoints,
  Resources.persistentVolumeClaims,
  Resources.podDisruptionBudgets,
  Resources.networkPolicies,
  Resources.ingresses,
];
const meta = (name: string, labels: Record<string, string> = {}) => ({ name, namespace: 'team', labels });

const seeds: { virtual: Seed[]; host: Seed[] } = {
  virtual: [
    [
      Resources.services,
      { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
    ],
    [Resources.namespaces, { metadata: { name: 'team' } }],
    [Resources.serviceAccounts, { metadata: { name: 'default', namespace: 'team' } }],
    [Resources.configMaps, { metadata: meta('cfg'), data: { a: '1' } }],
    [Resources.secrets, { metadata: meta('sec'), data: { k: 'dg==' } }],
    [
      Resources.pods,
      {
        metadata: { ...meta('web', { app: 'web' }), uid: 'web-uid' },
        spec: {
          containers: [{ name: 'main', image: 'app:1', envFrom: [{ secretRef: { name: 'sec' } }] }],
          volumes: [
            { name: 'c', configMap: { name: 'cfg' } },
            {
              name: 'kube-api-access-x',
              projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] },
            },
          ],
        },
        status: { phase: 'Pending' },
      },
    ],
    [
      Resources.services,
      { metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    ],
    [
      Resources.endpoints,
      { metadata: meta('ext'), subsets: [{ addresses: [{ ip: '93.184.216.1' }], ports: [{ port: 80 }] }] },
    ],
    [Resources.services, { metadata: meta('ext'), spec: { ports: [{ port: 80 }] } }],
    [
      Resources.persistentVolumeClaims,
      {
        metadata: meta('data'),
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ],
    [
      Resources.podDisruptionBudgets,
      { metadata: meta('web'), spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } },
    ],
    [
      Resources.networkPolicies,
      { metadata: meta('deny'), spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    ],
    [
      Resources.ingresses,
      {
        metadata: meta('web'),
        spec: {
          rules: [
            {
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    ],
  ],
  host: [
    [
      Resources.services,
      {
        metadata: { name: VC, namespace: HOST_NS, uid: OWNER.uid },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ],
    // The class the claim gets (it names none).
    [
      Resources.storageClasses,
      {
        metadata: {
          name: 'standard',
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        },
        provisioner: 'csi.example.com',
      },
    ],
  ],
};

/** Every object of the synced types in the host namespace except the virtual API Service itself. */
function hostObjects(t: StateTable): KubeObject[] {
  return HOST_TYPES.flatMap((type) =>
    t.host.objects(type, HOST_NS).map((o) => ({ ...o, kind: type.kind })),
  ).filter((o) => !(o.kind === 'Service' && o.metadata?.name === VC));
}
const ownersByObject = (t: StateTable) =>
  Object.fromEntries(
    hostObjects(t).map((o) => [`${o.kind} ${o.metadata?.name}`, o.metadata?.ownerReferences]),
  );

async function converged(owner?: OwnerReference): Promise<StateTable> {
  const t = await start({ kinds: KINDS, ...seeds, owner });
  await t.settle();
  return t;
}

describe('--set-owner through the kinds', () => {
  it('gives every object the syncer creates in the host namespace the virtual API Service as its one owner', async () => {
    const t = await converged(OWNER);
    const owners = ownersByObject(t);
    // Each kind made its copy (the token bundle is a secret of its own, made for the pod).
    expect(Object.keys(owners).sort()).toEqual(
      expect.arrayContaining([
        `ConfigMap cfg-x-team-x-${VC}`,
        `Secret sec-x-team-x-${VC}`,
        `Pod web-x-team-x-${VC}`,
        `Service web-x-team-x-${VC}`,
        `Endpoints ext-x-team-x-${VC}`,
        `PersistentVolumeClaim data-x-team-x-${VC}`,
        `PodDisruptionBudget web-x-team-x-${VC}`,
        `NetworkPolicy deny-x-team-x-${VC}`,
        `Ingress web-x-team-x-${VC}`,
      ]),
    );
    expect(Object.keys(owners).some((k) => k.startsWith('Secret vsyncer-tokens-'))).toBe(true);
    for (const [object, refs] of Object.entries(owners))
      expect({ object, refs }).toEqual({ object, refs: [OWNER] });
  });

  it('keeps the owner reference through every update of a copy (PUTs of rebuilt objects)', async () => {
    const t = await converged(OWNER);
    t.host.clearWrites();
    // A tenant edits every object: labels on each, and the content the host copy follows.
    for (const type of HOST_TYPES) {
      for (const obj of t.virtual.objects(type, 'team')) {
        const edited: KubeObject = {
          ...obj,
          metadata: { ...obj.metadata, labels: { ...obj.metadata?.labels, edited: 'yes' } },
        };
        if (type === Resources.configMaps) edited.data = { a: '2' };
        if (type === Resources.pods)
          (edited.spec as { containers: { image: string }[] }).containers[0]!.image = 'app:2';
        await t.virtual.update(type, 'team', edited);
      }
    }
    await t.settle();
    const updated = new Set(
      t.host
        .writeLog()
        .filter((w) => w.startsWith('update ') && !w.includes('/status'))
        .map((w) => w.split(' ')[1]),
    );
    expect([...updated].sort()).toEqual(
      expect.arrayContaining([
        'configmaps',
        'endpoints',
        'ingresses',
        'networkpolicies',
        'persistentvolumeclaims',
        'poddisruptionbudgets',
        'pods',
        'secrets',
        'services',
      ]),
    );
    for (const [object, refs] of Object.entries(ownersByObject(t)))
      expect({ object, refs }).toEqual({ object, refs: [OWNER] });
    const pod = t.host
      .objects(Resources.pods, HOST_NS)
      .find((p) => p.metadata?.name === `web-x-team-x-${VC}`);
    expect(pod?.metadata?.labels?.edited).toBe('yes');
  });

  it("while the owner Service is deleted (helm uninstall under way), nothing is created: each copy would be the host's garbage collector's at once, and made again, in a loop; back, it owns the copies made again", async () => {
    const t = await start({ kinds: KINDS, ...seeds, ownerService: true });
    await t.settle();
    const made = Object.keys(ownersByObject(t)).sort();
    expect(made.length).toBeGreaterThanOrEqual(10);
    // The Service goes, and the host's garbage collector takes what it owned with it.
    await t.host.delete(Resources.services, HOST_NS, VC);
    for (const o of hostObjects(t))
      if (o.metadata?.ownerReferences?.some((r) => r.uid === OWNER.uid))
        await t.host
          .delete(
            HOST_TYPES.find((type) => type.kind === o.kind)!,
            HOST_NS,
            o.metadata!.name!,
          )
          // (a Service's Endpoints went with it)
          .catch(() => undefined);
    t.host.clearWrites();
    t.virtual.clearWrites();
    await t.settle();
    t.clock.advance(60_000);
    await t.settle();
    expect(t.host.writeLog().filter((w) => w.startsWith('create'))).toEqual([]);
    // Nor is any tenant object made again (a Service with a copy's new IP, a pod taken for gone).
    expect(t.virtual.writeLog().filter((w) => /^(create|delete) (services|pods) /.test(w))).toEqual([]);
    const back = await t.host.create(Resources.services, HOST_NS, {
      metadata: { name: VC, namespace: HOST_NS },
      spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
    });
    t.clock.advance(10_000);
    await t.settle();
    const owners = ownersByObject(t);
    expect(Object.keys(owners).sort()).toEqual(made);
    for (const [object, refs] of Object.entries(owners))
      expect({ object, uid: refs?.[0]?.uid }).toEqual({ object, uid: back.metadata?.uid });
  });

  it('restarted with --set-owner over copies made without it: no write, no owner added to what exists', async () => {
    const before = await converged();
    const snapshot = (cluster: 'virtual' | 'host') =>
      Object.values(Resources).flatMap((type) => before[cluster].objects(type).map((o): Seed => [type, o]));
    const virtual = snapshot('virtual');
    const host = snapshot('host');
    await before.stop();
    const t = await start({ kinds: KINDS, virtual, host, owner: OWNER });
    await t.settle();
    expect(t.writes()).toEqual([]);
    expect(hostObjects(t).length).toBeGreaterThanOrEqual(10);
    for (const refs of Object.values(ownersByObject(t))) expect(refs).toBeUndefined();
  });
});
