import { hostName } from '../src/naming/names.ts';
import { kubectl, waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/**
 * vCluster's `sync.fromHost.<classes>.selector` between real API servers: the host shows a tenant
 * only the runtime, storage and priority classes an admin labelled for it, and the syncer lets the
 * tenant's pods and claims use only those.
 */
const vc = uniqueName('sel');
const hostNs = `host-${vc}`;
const ns = uniqueName('apps');
/** The label the admin selects with: unique to this run, so other files' host classes stay out. */
const OFFERED = { 'e2e.vsyncer.dev/offered-to': vc };
const offered = uniqueName('offered');
const withheld = uniqueName('withheld');
let syncer: SyncerProcess;

const classes = [
  {
    kind: 'RuntimeClass',
    apiVersion: 'node.k8s.io/v1',
    resource: 'runtimeclass',
    extra: { handler: 'runc' },
  },
  {
    kind: 'StorageClass',
    apiVersion: 'storage.k8s.io/v1',
    resource: 'storageclass',
    extra: { provisioner: 'csi.example.com' },
  },
  {
    kind: 'PriorityClass',
    apiVersion: 'scheduling.k8s.io/v1',
    resource: 'priorityclass',
    extra: { value: 1000 },
  },
];

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  for (const c of classes) {
    for (const [name, labels] of [
      [offered, OFFERED],
      [withheld, {}],
    ] as const)
      await apply('host', { apiVersion: c.apiVersion, kind: c.kind, metadata: { name, labels }, ...c.extra });
  }
  const selector = `--host-%s-selector=e2e.vsyncer.dev/offered-to=${vc}`;
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: [
      '--sync=+host-runtimeclasses,+host-storageclasses,+host-priorityclasses',
      ...['runtimeclasses', 'storageclasses', 'priorityclasses'].map((k) => selector.replace('%s', k)),
    ],
  });
}, 180_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  for (const c of classes)
    await mustKubectl('host', ['delete', c.resource, offered, withheld, '--ignore-not-found']);
  await mustKubectl('virtual', ['delete', 'runtimeclass', withheld, '--ignore-not-found']);
});

const pod = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }], ...spec },
});
const hostPod = (name: string) =>
  getObject<{ spec: { runtimeClassName?: string; priorityClassName?: string } }>('host', [
    'pod',
    hostName(name, ns, vc),
    '-n',
    hostNs,
  ]);

describe('host classes limited by label', () => {
  it('only the selected classes are shown in the virtual cluster', async () => {
    for (const c of classes)
      await waitFor(`${c.kind} ${offered} shown`, () => getObject('virtual', [c.resource, offered]), 60_000);
    for (const c of classes) expect(await getObject('virtual', [c.resource, withheld])).toBeUndefined();
  }, 120_000);

  it("a pod may run with a shown runtime and priority class; another runtime class is the host's to offer: one the tenant makes of that name is deleted (as vCluster does), and the pod runs once the host's is selected", async () => {
    await apply('virtual', pod('ok', { runtimeClassName: offered, priorityClassName: offered }));
    const ok = await waitFor('host pod with the shown classes', () => hostPod('ok'), 60_000);
    expect(ok.spec).toMatchObject({ runtimeClassName: offered, priorityClassName: offered });

    // The tenant's API server refuses a class it does not have, as vCluster's tests expect ...
    const refused = await kubectl(
      'virtual',
      ['apply', '-f', '-'],
      JSON.stringify(pod('held', { runtimeClassName: withheld })),
    );
    expect(refused.stderr).toContain(`RuntimeClass "${withheld}" not found`);
    // ... and a class of its own by that name, which the host withholds, is deleted with a word.
    await apply('virtual', {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: withheld },
      handler: 'runc',
    });
    const [deleted] = await waitForEvents('virtual', 'default', withheld, 'SyncWarning');
    expect(deleted!.message).toContain("this virtual cluster shows the host's RuntimeClass objects");
    await waitFor(
      "the tenant's RuntimeClass deleted",
      async () => (await getObject('virtual', ['runtimeclass', withheld])) === undefined,
      30_000,
    );

    await mustKubectl('host', ['label', 'runtimeclass', withheld, `e2e.vsyncer.dev/offered-to=${vc}`]);
    await waitFor(
      `RuntimeClass ${withheld} shown`,
      () => getObject('virtual', ['runtimeclass', withheld]),
      60_000,
    );
    await apply('virtual', pod('held', { runtimeClassName: withheld }));
    const held = await waitFor('host pod once the class is selected', () => hostPod('held'), 60_000);
    expect(held.spec.runtimeClassName).toBe(withheld);
  }, 180_000);

  it('a claim may name a shown storage class; one naming another is refused', async () => {
    const claim = (name: string, storageClassName: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName },
    });
    await apply('virtual', claim('fine', offered));
    await apply('virtual', claim('denied', withheld));
    await waitFor(
      'host claim of the shown class',
      () => getObject('host', ['pvc', hostName('fine', ns, vc), '-n', hostNs]),
      60_000,
    );
    const events = await waitForEvents('virtual', ns, 'denied', 'SyncWarning');
    expect(events[0]!.message).toContain(
      `did not sync persistent volume claim "denied" to host because the storage class "${withheld}" in the host does not match the selector under 'sync.fromHost.storageClasses.selector'`,
    );
    expect(await getObject('host', ['pvc', hostName('denied', ns, vc), '-n', hostNs])).toBeUndefined();
  }, 120_000);
});
