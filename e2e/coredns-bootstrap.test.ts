// --coredns-image: the syncer creates in the virtual kube-system what k3s deploys for DNS, each object
// only when missing, and never touches one that exists.
//
// The virtual cluster is shared by every e2e file, and kube-system/kube-dns in it is global: other files
// (services, real-traffic, the real node's `up`) make their own. So this file records what exists before
// its syncer starts, makes a kube-dns of its own as an admin would when there is none (so the syncer
// always meets one to leave alone), checks that the syncer leaves those objects as they were, and
// deletes afterwards only what it or its syncer created.
import { readFileSync } from 'node:fs';
import { hostName } from '../src/naming/names.ts';
import { waitFor } from '../test/harness/clusters.ts';
import { createTenantNamespace, getObject, mustKubectl, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface Obj {
  metadata: { name: string; uid: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}
interface Service extends Obj {
  spec: { clusterIP?: string; ports?: { name?: string; port: number; protocol?: string }[] };
}
interface Pod extends Obj {
  spec: {
    dnsPolicy?: string;
    dnsConfig?: { nameservers?: string[] };
    securityContext?: { sysctls?: { name: string; value: string }[] };
  };
}

const vc = uniqueName('dns');
const hostNs = `host-${vc}`;
const ns = uniqueName('dnsuser');
const ARGS = ['--coredns-image=example.invalid/coredns:1', '--cluster-dns-ip='];
const BOOTSTRAP_LABEL = 'vsyncer.dev/bootstrap';

/** What the syncer makes, as kubectl names them: [resource, name, namespace or '' when cluster-scoped]. */
const OBJECTS = [
  ['serviceaccount', 'coredns', 'kube-system'],
  ['clusterrole', 'system:coredns', ''],
  ['clusterrolebinding', 'system:coredns', ''],
  ['configmap', 'coredns', 'kube-system'],
  ['service', 'kube-dns', 'kube-system'],
  ['deployment', 'coredns', 'kube-system'],
] as const;
type ObjectId = (typeof OBJECTS)[number];
const [, , , CONFIG_MAP, DNS_SERVICE, DEPLOYMENT] = OBJECTS;
const idOf = ([resource, name]: ObjectId) => `${resource}/${name}`;
const getArgs = ([resource, name, namespace]: ObjectId) => [
  resource,
  name,
  ...(namespace ? ['-n', namespace] : []),
];
const virtualObject = <T = Obj>(id: ObjectId) => getObject<T>('virtual', getArgs(id));

/** The virtual objects there before this file's syncer started (another file's kube-dns, say). */
const before = new Map<string, Obj>();
/** No other file's kube-dns was there: this file made one (an admin's), which it may delete. */
let ownDns = false;
let syncer: SyncerProcess;

/** The syncer's log line that ends its CoreDNS pass, with what it created and what it left. */
async function bootstrapDone(proc: SyncerProcess): Promise<{ created: string[]; leftAsTheyWere: string[] }> {
  return waitFor(
    `syncer ${proc.name} to finish creating the CoreDNS objects`,
    async () =>
      readFileSync(proc.logPath, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; created: string[]; leftAsTheyWere: string[] })
        .find((l) => /CoreDNS object/.test(l.msg) && Array.isArray(l.created)),
    60_000,
  );
}

/**
 * No other file makes the CoreDNS Deployment or its ConfigMap in the shared virtual cluster: one
 * there before this file's syncer started is a leftover (of an aborted run, say), and the test that
 * checks what the syncer made of it would check nothing. It fails, naming what to delete.
 */
function requireMadeByThisSyncer(id: ObjectId): void {
  if (before.has(idOf(id)))
    throw new Error(
      `precondition: virtual ${idOf(id)}${id[2] ? ` in ${id[2]}` : ''} existed before this file's syncer started ` +
        `(no other file makes it; a leftover?), so the syncer did not make it and this test cannot check what ` +
        `it makes. Delete it and run again.`,
    );
}

/** Waits until the virtual kube-dns carries its host copy's cluster IP (the syncer re-creates it so). */
function dnsWithHostIP(): Promise<Service> {
  return waitFor(
    'kube-system/kube-dns with the host cluster IP in both clusters',
    async () => {
      const v = await virtualObject<Service>(DNS_SERVICE);
      const h = await getObject<Service>('host', [
        'service',
        hostName('kube-dns', 'kube-system', vc),
        '-n',
        hostNs,
      ]);
      return !!v?.spec.clusterIP && v.spec.clusterIP === h?.spec.clusterIP && v;
    },
    60_000,
  );
}

beforeAll(async () => {
  for (const id of OBJECTS) {
    const found = await virtualObject(id);
    if (found) before.set(idOf(id), found);
  }
  if (!before.has(idOf(DNS_SERVICE))) {
    ownDns = true;
    await mustKubectl(
      'virtual',
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'kube-dns',
          namespace: 'kube-system',
          labels: { 'k8s-app': 'kube-dns', 'made-by': 'admin' },
        },
        spec: { selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
      }),
    );
    before.set(idOf(DNS_SERVICE), (await virtualObject(DNS_SERVICE))!);
  }
  await prepareHostNamespace(vc, hostNs);
  await createTenantNamespace(ns);
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ARGS });
}, 180_000);

afterAll(async () => {
  // Only what this file or its syncer created; another file's kube-dns stays.
  for (const id of [...OBJECTS].reverse()) {
    if (before.has(idOf(id)) && !(id === DNS_SERVICE && ownDns)) continue;
    await mustKubectl('virtual', ['delete', ...getArgs(id), '--ignore-not-found', '--wait=false']).catch(
      () => undefined,
    );
  }
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', ['delete', 'namespace', hostNs, '--wait=false']).catch(() => undefined);
});

describe('CoreDNS bootstrap (--coredns-image)', () => {
  it('creates what is missing in the virtual kube-system, labelled, and leaves kube-dns (it exists) as it was', async () => {
    const done = await bootstrapDone(syncer);
    expect(done.leftAsTheyWere).toContain('Service kube-system/kube-dns');
    expect(done.leftAsTheyWere.length + done.created.length).toBe(OBJECTS.length);
    for (const id of OBJECTS) {
      const now = await virtualObject(id);
      const was = before.get(idOf(id));
      if (!was) {
        expect({ id: idOf(id), label: now?.metadata.labels?.[BOOTSTRAP_LABEL] }).toEqual({
          id: idOf(id),
          label: 'coredns',
        });
        continue;
      }
      // Found in place: no label of ours, the same ports. The syncer may have re-created a Service with
      // its host copy's IP (a new UID), as it does with every Service.
      expect({ id: idOf(id), labels: now?.metadata.labels }).toEqual({
        id: idOf(id),
        labels: was.metadata.labels,
      });
      if (id === DNS_SERVICE) expect((now as Service).spec.ports).toEqual((was as Service).spec.ports);
    }
  }, 90_000);

  it("gives kube-dns the host copy's cluster IP, and a tenant pod reaches the host with it as nameserver", async () => {
    const dns = await dnsWithHostIP();
    await mustKubectl('virtual', [
      'run',
      'dns-user',
      '-n',
      ns,
      '--image=registry.local/tool:1',
      '--restart=Never',
    ]);
    const pod = await waitFor(
      'host pod of dns-user',
      () => getObject<Pod>('host', ['pod', hostName('dns-user', ns, vc), '-n', hostNs]),
      60_000,
    );
    expect(pod.spec.dnsPolicy).toBe('None');
    expect(pod.spec.dnsConfig?.nameservers?.[0]).toBe(dns.spec.clusterIP);
  }, 120_000);

  it("CoreDNS's own pod reaches the host on its node's resolver, able to bind :53 without root", async () => {
    requireMadeByThisSyncer(DEPLOYMENT);
    const pods = await waitFor(
      'the host copy of the CoreDNS pod',
      async () => {
        const list = await getObject<List<Pod>>('host', [
          'pods',
          '-n',
          hostNs,
          '-l',
          `k8s-app=kube-dns,vcluster.loft.sh/namespace=kube-system,vcluster.loft.sh/managed-by=${vc}`,
        ]);
        return !!list?.items.length && list.items;
      },
      90_000,
    );
    // Not the cluster DNS: CoreDNS would forward to itself.
    expect(pods[0]!.spec.dnsPolicy).toBe('Default');
    expect(pods[0]!.spec.dnsConfig).toBeUndefined();
    expect(pods[0]!.spec.securityContext?.sysctls).toEqual([
      { name: 'net.ipv4.ip_unprivileged_port_start', value: '53' },
    ]);
  }, 120_000);

  it("lists the nodes in its ConfigMap's NodeHosts, as k3s keeps them, so pods resolve node names", async () => {
    requireMadeByThisSyncer(CONFIG_MAP);
    const nodeName = uniqueName('dns-node');
    const nodeHosts = async () =>
      (await getObject<{ data?: Record<string, string> }>('virtual', getArgs(CONFIG_MAP)))?.data?.NodeHosts ??
      '';
    await mustKubectl(
      'virtual',
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: nodeName },
        status: { addresses: [{ type: 'InternalIP', address: '192.0.2.10' }] },
      }),
    );
    try {
      await waitFor(
        `NodeHosts listing ${nodeName}`,
        async () => nodeHosts().then((t) => t.split('\n').includes(`192.0.2.10 ${nodeName}`)),
        30_000,
      );
    } finally {
      await mustKubectl('virtual', ['delete', 'node', nodeName, '--wait=false']);
    }
    await waitFor(
      `NodeHosts without ${nodeName}`,
      async () => nodeHosts().then((t) => !t.includes(nodeName)),
      30_000,
    );
  }, 90_000);

  it("keeps an admin's edit of the Deployment across a restart, and re-creates only what was deleted", async () => {
    await mustKubectl('virtual', [
      'patch',
      ...getArgs(DEPLOYMENT),
      '--type=merge',
      '-p',
      JSON.stringify({ metadata: { labels: { 'e2e-edited': 'yes' } }, spec: { replicas: 2 } }),
    ]);
    // Deleted while the syncer is down: a running one makes a missing ConfigMap again within seconds.
    await syncer.stop();
    const ownConfigMap = !before.has(idOf(CONFIG_MAP));
    if (ownConfigMap) await mustKubectl('virtual', ['delete', ...getArgs(CONFIG_MAP)]);
    // This file's own kube-dns goes too: the restart creates the syncer's.
    if (ownDns) await mustKubectl('virtual', ['delete', ...getArgs(DNS_SERVICE)]);
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ARGS });
    const done = await bootstrapDone(syncer);
    expect(done.created).toEqual([
      ...(ownConfigMap ? ['ConfigMap kube-system/coredns'] : []),
      ...(ownDns ? ['Service kube-system/kube-dns'] : []),
    ]);
    const deployment = await virtualObject<Obj & { spec: { replicas: number } }>(DEPLOYMENT);
    expect(deployment?.metadata.labels?.['e2e-edited']).toBe('yes');
    expect(deployment?.spec.replicas).toBe(2);
    expect((await virtualObject(CONFIG_MAP))?.metadata.labels?.[BOOTSTRAP_LABEL]).toBe(
      ownConfigMap ? 'coredns' : before.get(idOf(CONFIG_MAP))?.metadata.labels?.[BOOTSTRAP_LABEL],
    );
    if (!ownDns) return;
    // The syncer's kube-dns: labelled, DNS and metrics ports, and the host copy's IP in both clusters.
    const dns = await dnsWithHostIP();
    expect(dns.metadata.labels).toEqual({
      'k8s-app': 'kube-dns',
      'kubernetes.io/name': 'CoreDNS',
      [BOOTSTRAP_LABEL]: 'coredns',
    });
    expect(dns.spec.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual([
      'dns 53/UDP',
      'dns-tcp 53/TCP',
      'metrics 9153/TCP',
    ]);
  }, 180_000);

  it('gives the Corefile it wrote the host DNS of --fallback-host-dns and takes it away again; an edited one it leaves', async () => {
    requireMadeByThisSyncer(CONFIG_MAP);
    const corefileNow = async () =>
      (await getObject<{ data?: Record<string, string> }>('virtual', getArgs(CONFIG_MAP)))?.data?.Corefile ??
      '';
    const restart = async (extra: string[]) => {
      await syncer.stop();
      syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: [...ARGS, ...extra] });
    };
    await restart(['--fallback-host-dns=192.0.2.53:5353']);
    const withFallback = await waitFor(
      'the Corefile forwarding to 192.0.2.53:5353',
      async () => corefileNow().then((t) => t.includes('forward . 192.0.2.53:5353') && t),
      30_000,
    );
    // Names of the cluster domain the virtual cluster lacks fall through to the host too.
    expect(withFallback).toMatch(/\n\s+fallthrough cluster\.local in-addr\.arpa ip6\.arpa\n/);
    expect(withFallback).not.toContain('/etc/resolv.conf');
    await restart([]);
    const plain = await waitFor(
      'the Corefile forwarding to the node resolver again',
      async () => corefileNow().then((t) => t.includes('forward . /etc/resolv.conf') && t),
      30_000,
    );
    expect(plain).toMatch(/\n\s+fallthrough in-addr\.arpa ip6\.arpa\n/);
    // An admin's edit is theirs: the fallback is not applied, and the log says why.
    const edited = plain.replace('cache 30', 'cache 31');
    await mustKubectl('virtual', [
      'patch',
      ...getArgs(CONFIG_MAP),
      '--type=merge',
      '-p',
      JSON.stringify({ data: { Corefile: edited } }),
    ]);
    await restart(['--fallback-host-dns=192.0.2.53']);
    await waitFor(
      'the syncer saying the edited Corefile gets no fallback',
      async () => readFileSync(syncer.logPath, 'utf8').includes('has an edited Corefile'),
      30_000,
    );
    expect(await corefileNow()).toBe(edited);
    // Deleted (as k3s deletes its own CoreDNS when it is turned off), it is made again without a restart
    // (the syncer reads it every 30 s), now with the fallback.
    await mustKubectl('virtual', ['delete', ...getArgs(CONFIG_MAP)]);
    await waitFor(
      'the CoreDNS ConfigMap made again, forwarding to the host DNS',
      async () => corefileNow().then((t) => t.includes('forward . 192.0.2.53\n')),
      90_000,
    );
  }, 240_000);
});
