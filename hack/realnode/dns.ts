// The local virtual cluster's DNS, beside the real node (VSYNC_REAL_NODE=1).
//
// k3s runs CoreDNS as a Deployment in the virtual cluster. The local virtual cluster has no nodes of
// its own and the real node belongs to the host, so here CoreDNS (built from its Go module by
// hack/build-tools.sh) runs as a managed process of the state dir (`virtual/coredns`, stopped by
// `down`) on the host's address on the real node's pod bridge. Its `kubernetes` plugin reads the
// VIRTUAL API server, so names are the tenant's (`web.<ns>.svc.cluster.local` → the virtual Service's
// cluster IP, which is also the host copy's). The virtual `kube-system/kube-dns` Service has no
// selector and an EndpointSlice naming that address: the syncer copies both to the host like any tenant
// Service, the syncer gives pods its cluster IP as nameserver, and the node's kube-proxy carries
// pod → cluster IP:53 → CoreDNS.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ComponentError,
  startComponent,
  stopComponent,
  waitReady,
  type ComponentSpec,
} from '../cluster/process.ts';

export const VIRTUAL_DNS_ID = 'virtual/coredns';
/** The port CoreDNS serves DNS on (UDP and TCP), on the bridge address. */
export const DNS_PORT = 53;
/** The manager of the kube-dns EndpointSlice: none of the virtual cluster's controllers. */
const SLICE_MANAGER = 'virtual-dns.vsyncer.dev';

export interface VirtualDnsOptions {
  stateDir: string;
  /** Where CoreDNS listens: the host's address on the real node's bridge. */
  bindIP: string;
  /** Free port for CoreDNS's readiness endpoint (`ready` plugin) on loopback. */
  readyPort: number;
  virtualKubeconfig: string;
  kubectl: string;
  clusterDomain?: string;
}

function buildCoreDNS(): string {
  const hack = join(import.meta.dirname, '..');
  const build = spawnSync('bash', [join(hack, 'build-tools.sh'), 'coredns'], {
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  if (build.status !== 0) {
    const line = (build.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? 'build failed';
    throw new Error(line.startsWith('error:') ? line : `error: ${VIRTUAL_DNS_ID}: ${line}`);
  }
  process.stderr.write(build.stderr ?? '');
  const dir = spawnSync('bash', [join(hack, 'build-tools.sh'), '--print-dir', 'coredns'], {
    encoding: 'utf8',
  });
  return join(dir.stdout.trim(), 'coredns');
}

/**
 * The virtual `kube-system/kube-dns` Service (no selector, DNS over UDP and TCP) and a tenant
 * EndpointSlice naming the CoreDNS address. Applied by `up`, and by tests that need it back after a
 * test replaced it. An EndpointSlice, not Endpoints: the syncer re-creates the virtual Service with
 * the host's cluster IP, and the virtual endpoints controller deletes the Endpoints of a deleted
 * Service (seen here: they were gone right after `re-created the virtual service with the host
 * cluster IP`), while a slice of no controller stays.
 */
export function virtualDnsManifest(bindIP: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  ports:
  - {name: dns, port: ${DNS_PORT}, protocol: UDP, targetPort: ${DNS_PORT}}
  - {name: dns-tcp, port: ${DNS_PORT}, protocol: TCP, targetPort: ${DNS_PORT}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-coredns
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: ${SLICE_MANAGER}
addressType: IPv4
endpoints:
- addresses: [${bindIP}]
  conditions: {ready: true}
ports:
- {name: dns, port: ${DNS_PORT}, protocol: UDP}
- {name: dns-tcp, port: ${DNS_PORT}, protocol: TCP}
`;
}

export interface CoreDnsOptions {
  /** The component id (state dir, logs, pid file are named after it). */
  id: string;
  stateDir: string;
  /** Where CoreDNS listens, and on which port (UDP and TCP). */
  bindIP: string;
  port: number;
  /** Free port for CoreDNS's readiness endpoint (`ready` plugin) on loopback. */
  readyPort: number;
  /** The API server its `kubernetes` plugin reads. */
  kubeconfig: string;
  clusterDomain?: string;
}

/**
 * Builds CoreDNS if missing and starts it on bindIP:port answering names of the cluster domain from
 * the API server of `kubeconfig`, waiting until its `kubernetes` plugin has synced. Returns the
 * component spec (the caller stops it, or records it with the cluster's components).
 */
export async function startCoreDns(
  opts: CoreDnsOptions,
  log: (line: string) => void,
): Promise<ComponentSpec> {
  const binary = buildCoreDNS();
  const file = opts.id.replaceAll('/', '-');
  const dir = join(opts.stateDir, ...opts.id.split('/'));
  mkdirSync(dir, { recursive: true });
  const domain = opts.clusterDomain ?? 'cluster.local';
  const corefile = join(dir, 'Corefile');
  // Names of the cluster domain (and reverse lookups of its IPs) from the API server; other names
  // from this machine's resolver.
  writeFileSync(
    corefile,
    `.:${opts.port} {
    bind ${opts.bindIP}
    errors
    ready 127.0.0.1:${opts.readyPort}
    kubernetes ${domain} in-addr.arpa ip6.arpa {
        kubeconfig ${opts.kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    forward . /etc/resolv.conf
    cache 5
}
`,
  );
  const spec: ComponentSpec = {
    id: opts.id,
    command: binary,
    args: ['-conf', corefile],
    log: join(opts.stateDir, 'logs', `${file}.log`),
    pidFile: join(opts.stateDir, 'pids', `${file}.pid`),
    port: opts.readyPort,
    readyUrl: `http://127.0.0.1:${opts.readyPort}/ready`,
  };
  log(`${opts.id}: starting CoreDNS on ${opts.bindIP}:${opts.port}`);
  startComponent(spec);
  try {
    await waitReady(spec, 60_000);
  } catch (err) {
    await stopComponent(spec, 2000);
    throw err;
  }
  return spec;
}

/**
 * Starts the virtual cluster's CoreDNS on bindIP:53 reading the virtual API server, and makes the
 * virtual kube-dns Service. Returns the component spec (the caller records it with the cluster's
 * components, so `down` and `ctl` know it).
 */
export async function startVirtualDns(
  opts: VirtualDnsOptions,
  log: (line: string) => void,
): Promise<ComponentSpec> {
  const spec = await startCoreDns(
    {
      id: VIRTUAL_DNS_ID,
      stateDir: opts.stateDir,
      bindIP: opts.bindIP,
      port: DNS_PORT,
      readyPort: opts.readyPort,
      kubeconfig: opts.virtualKubeconfig,
      clusterDomain: opts.clusterDomain,
    },
    log,
  );
  try {
    const res = spawnSync(opts.kubectl, ['--kubeconfig', opts.virtualKubeconfig, 'apply', '-f', '-'], {
      input: virtualDnsManifest(opts.bindIP),
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (res.status !== 0)
      throw new ComponentError(
        VIRTUAL_DNS_ID,
        `creating kube-system/kube-dns failed: ${(res.stderr ?? '').trim()}`,
      );
  } catch (err) {
    await stopComponent(spec, 2000);
    throw err;
  }
  return spec;
}
