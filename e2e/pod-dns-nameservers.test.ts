import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
  type List,
} from '../test/harness/objects.ts';
import { chartIdentityKubeconfig } from '../test/harness/host-identity.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/**
 * vCluster's `sync.toHost.pods.dns.nameservers` between real API servers: host Services picked by
 * label in a host namespace of their own give synced pods their nameservers.
 */
interface Pod {
  metadata: { name: string; uid: string };
  spec: { dnsPolicy?: string; dnsConfig?: { nameservers?: string[] } };
}
const vc = uniqueName('dnsns');
const hostNs = `host-${vc}`;
const dnsNs = uniqueName('dns');
const ns = uniqueName('apps');
const LABEL = 'e2e.vsyncer.dev/dns-ns';
let syncer: SyncerProcess;

const dnsService = (name: string, role?: string, namespace = dnsNs) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels: role ? { [LABEL]: role } : {} },
  spec: { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
});
const ipOf = async (name: string) =>
  (await getObject<{ spec: { clusterIP: string } }>('host', ['service', name, '-n', dnsNs]))!.spec.clusterIP;
const hostPodOf = (name: string) => getObject<Pod>('host', ['pod', hostName(name, ns, vc), '-n', hostNs]);

const pod = (name: string, spec: Record<string, unknown> = {}, namespace = ns) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: [{ name: 'main', image: 'registry.local/app:1' }], ...spec },
});

describe('pod DNS nameservers from host Services', () => {
  // Its own syncer, stopped before the next block starts another: two syncers of one virtual
  // cluster would take each other's pods for pods whose host copy is gone.
  beforeAll(async () => {
    await prepareHostNamespace(vc, hostNs);
    await mustKubectl('host', ['create', 'namespace', dnsNs]);
    await apply('host', dnsService('primary-dns', 'primary'));
    await apply('host', dnsService('secondary-dns', 'secondary'));
    await createTenantNamespace(ns);
    syncer = await startSyncer({
      name: vc,
      hostNamespace: hostNs,
      args: [
        `--pod-dns-nameserver=control-plane-host:${dnsNs}:${LABEL}=primary`,
        `--pod-dns-nameserver=host:${dnsNs}:${LABEL}=secondary`,
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await syncer?.stop();
    await mustKubectl('host', ['delete', 'namespace', dnsNs, '--wait=false']).catch(() => undefined);
  });

  it("a pod gets the selected Services' cluster IPs; one naming its own nameservers keeps them", async () => {
    await apply('virtual', pod('web'));
    await apply('virtual', pod('own', { dnsPolicy: 'None', dnsConfig: { nameservers: ['8.8.8.8'] } }));
    const web = await waitFor('host pod', () => hostPodOf('web'), 60_000);
    expect(web.spec.dnsPolicy).toBe('None');
    expect(web.spec.dnsConfig?.nameservers).toEqual([await ipOf('primary-dns'), await ipOf('secondary-dns')]);
    const own = await waitFor('host pod of the pod with its own', () => hostPodOf('own'), 60_000);
    expect(own.spec.dnsConfig?.nameservers).toEqual(['8.8.8.8']);
  }, 120_000);

  it('a pod waits while a selector picks no Service, and starts once one is labelled', async () => {
    await mustKubectl('host', ['label', 'service', 'secondary-dns', '-n', dnsNs, `${LABEL}-`]);
    try {
      await apply('virtual', pod('held'));
      const events = await waitForEvents('virtual', ns, 'held', 'MissingClusterDNS');
      expect(events[0]!.message).toContain('waiting for the DNS nameserver Services');
      expect(events[0]!.message).not.toContain(dnsNs);
      expect(await hostPodOf('held')).toBeUndefined();
    } finally {
      await mustKubectl('host', ['label', 'service', 'secondary-dns', '-n', dnsNs, `${LABEL}=secondary`]);
    }
    await waitFor('host pod once the Service is labelled', () => hostPodOf('held'), 60_000);
  }, 120_000);

  it("a Deployment's pod is made again with the new nameservers when a Service is re-created with another IP", async () => {
    await mustKubectl('virtual', [
      'create',
      'deployment',
      'dns-user',
      '-n',
      ns,
      '--image=registry.local/app:1',
    ]);
    const podsOf = async () =>
      (await getObject<List<Pod>>('virtual', ['pods', '-n', ns, '-l', 'app=dns-user']))?.items ?? [];
    const first = await waitFor(
      'the deployment pod on the host',
      async () => {
        const [p] = await podsOf();
        return p && (await hostPodOf(p.metadata.name)) && p;
      },
      60_000,
    );
    const oldIp = await ipOf('primary-dns');
    await mustKubectl('host', ['delete', 'service', 'primary-dns', '-n', dnsNs]);
    await apply('host', dnsService('primary-dns', 'primary'));
    const newIp = await ipOf('primary-dns');
    expect(newIp).not.toBe(oldIp);
    const replaced = await waitFor(
      'a new pod with the new nameserver',
      async () => {
        for (const p of await podsOf()) {
          if (p.metadata.uid === first.metadata.uid) continue;
          const host = await hostPodOf(p.metadata.name);
          if (host?.spec.dnsConfig?.nameservers?.[0] === newIp) return host;
        }
        return undefined;
      },
      90_000,
    );
    expect(replaced.spec.dnsConfig?.nameservers).toEqual([newIp, await ipOf('secondary-dns')]);
    const events = await waitForEvents('virtual', ns, first.metadata.name, 'NameserversChanged');
    expect(events[0]!.message).toContain(`-> ${newIp}`);
  }, 180_000);
});

/**
 * An admin names a host namespace the syncer may not read (its RBAC from the chart, which grants
 * none there): that must not hold up the syncer, only the pods that need those nameservers.
 */
describe('pod DNS nameservers from a host namespace the syncer may not read', () => {
  const lockedVc = uniqueName('dnsro');
  const lockedHostNs = `host-${lockedVc}`;
  const lockedNs = uniqueName('locked');
  const tenantNs = uniqueName('apps');
  let lockedSyncer: SyncerProcess;
  const lockedHostPod = (name: string) =>
    getObject<Pod>('host', ['pod', hostName(name, tenantNs, lockedVc), '-n', lockedHostNs]);

  beforeAll(async () => {
    await prepareHostNamespace(lockedVc, lockedHostNs);
    await mustKubectl('host', ['create', 'namespace', lockedNs]);
    await apply('host', dnsService('dns', 'primary', lockedNs));
    await createTenantNamespace(tenantNs);
    lockedSyncer = await startSyncer({
      name: lockedVc,
      hostNamespace: lockedHostNs,
      hostKubeconfig: await chartIdentityKubeconfig(lockedVc, lockedHostNs),
      args: [`--pod-dns-nameserver=control-plane-host:${lockedNs}:${LABEL}=primary`],
    });
  }, 180_000);

  afterAll(async () => {
    await mustKubectl('virtual', ['delete', 'namespace', tenantNs, '--wait=false']).catch(() => undefined);
    await lockedSyncer?.stop();
    await mustKubectl('host', ['delete', 'namespace', lockedNs, '--wait=false']).catch(() => undefined);
  });

  it('the syncer is ready and syncs on; pods using the cluster DNS wait, saying so, and start once it may read them', async () => {
    // startSyncer waited for /readyz: the unreadable namespace did not hold it up.
    expect(lockedSyncer.logs()).toMatch(
      /list\/watch failed, retrying.*forbidden|forbidden.*list\/watch failed, retrying/is,
    );
    await apply('virtual', pod('own-resolver', { dnsPolicy: 'Default' }, tenantNs));
    await apply('virtual', pod('cluster-dns', {}, tenantNs));
    await waitFor(
      'the host pod of the pod on its node resolver',
      () => lockedHostPod('own-resolver'),
      60_000,
    );
    const events = await waitForEvents('virtual', tenantNs, 'cluster-dns', 'MissingClusterDNS');
    expect(events[0]!.message).toContain(
      'the syncer cannot read the Services of a namespace of the host cluster yet',
    );
    expect(events[0]!.message).not.toContain(lockedNs);
    expect(await lockedHostPod('cluster-dns')).toBeUndefined();

    // The admin grants what the chart would have with the entry in its values.
    await mustKubectl('host', [
      'create',
      'role',
      'read-dns',
      '-n',
      lockedNs,
      '--verb=get,list,watch',
      '--resource=services',
    ]);
    await mustKubectl('host', [
      'create',
      'rolebinding',
      'read-dns',
      '-n',
      lockedNs,
      '--role=read-dns',
      `--serviceaccount=${lockedHostNs}:${lockedVc}`,
    ]);
    const started = await waitFor(
      'the host pod once its nameserver can be read',
      () => lockedHostPod('cluster-dns'),
      90_000,
    );
    const ip = (await getObject<{ spec: { clusterIP: string } }>('host', ['service', 'dns', '-n', lockedNs]))!
      .spec.clusterIP;
    expect(started.spec.dnsConfig?.nameservers).toEqual([ip]);
  }, 180_000);
});
