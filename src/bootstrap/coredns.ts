import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';

/**
 * Marks what the syncer created in the virtual cluster because it was missing, valued with what it
 * was created for, so an admin looking at kube-system sees where an object came from. The syncer never
 * reads it back: an object it finds, labelled or not, is left as it is.
 */
export const BOOTSTRAP_LABEL = 'vsyncer.dev/bootstrap';
export const COREDNS_BOOTSTRAP = 'coredns';

/** Where k3s (and kubeadm) put the cluster DNS, and where synced pods look for its Service. */
export const DNS_NAMESPACE = 'kube-system';
/** The DNS Service's name: the pod translator reads its cluster IP (see --cluster-dns-ip). */
export const DNS_SERVICE = 'kube-dns';
const NAME = 'coredns';
/** The ConfigMap of the Corefile and NodeHosts. */
export const COREDNS_CONFIG_MAP = NAME;
/** The ConfigMap key (and file) listing the nodes, kept by CorednsConfigKeeper (coredns-config.ts). */
export const NODE_HOSTS_KEY = 'NodeHosts';
const CLUSTER_ROLE = 'system:coredns';
/** The pods of the Deployment, as the Service selects them (k3s's and kubeadm's label). */
const APP_LABELS = { 'k8s-app': 'kube-dns' };
/** CoreDNS's own non-root user (its image's `nonroot`, given as a number so runAsNonRoot can check it). */
const COREDNS_UID = 65532;

/** One object to create when missing, with the resource it is created as. */
export interface BootstrapObject {
  type: ResourceType;
  object: KubeObject;
}

export interface CorednsOptions {
  /** The CoreDNS image (`--coredns-image`). */
  image: string;
  /** The virtual cluster's DNS domain (`--cluster-domain`). */
  clusterDomain: string;
  /** The host cluster's DNS, asked what the virtual cluster does not know (`--fallback-host-dns`). */
  hostDns?: string;
}

/**
 * The Corefile k3s ships, less its `.override` imports: the nodes by name (NodeHosts, which the syncer
 * keeps as k3s's server does), names of the cluster domain and reverse lookups from the virtual API,
 * everything else from the resolver of the node the pod runs on (the Deployment's `dnsPolicy:
 * Default`), metrics on :9153 for the Service's `metrics` port.
 *
 * With hostDns (vCluster's `fallbackHostCluster`), a name of the cluster domain the virtual cluster
 * does not have (`<service>.<host namespace>`, through the search path) and every other name are asked
 * of the host cluster's DNS instead, so tenants reach host Services by name.
 */
export function corefile(clusterDomain: string, hostDns?: string): string {
  const fallthrough = hostDns ? `${clusterDomain} in-addr.arpa ip6.arpa` : 'in-addr.arpa ip6.arpa';
  return `.:53 {
    errors
    health
    ready
    hosts /etc/coredns/${NODE_HOSTS_KEY} {
        ttl 60
        reload 15s
        fallthrough
    }
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough ${fallthrough}
    }
    prometheus :9153
    forward . ${hostDns || RESOLV_CONF}
    cache 30
    loop
    reload
    loadbalance
}
`;
}

const RESOLV_CONF = '/etc/resolv.conf';

/**
 * Whether a Corefile is one the syncer writes for this domain, with or without a host fallback: such
 * a Corefile follows `--fallback-host-dns` when it changes; any other (an admin's edit, k3s's) is left
 * as it is.
 */
export function isSyncerCorefile(text: unknown, clusterDomain: string): boolean {
  if (typeof text !== 'string') return false;
  if (text === corefile(clusterDomain)) return true;
  const to = /\n {4}forward \. (\S+)\n/.exec(text)?.[1];
  return to !== undefined && to !== RESOLV_CONF && text === corefile(clusterDomain, to);
}

/**
 * What k3s deploys for the virtual cluster's DNS, as the syncer creates it when missing (for a
 * control plane without its own, such as the chart's vanilla one), in the order it is created: the
 * identity and its rights, the Corefile, the Service (its IP is what waiting pods need), then the
 * Deployment, whose pod finds the rest in place.
 */
export function corednsObjects(opts: CorednsOptions): BootstrapObject[] {
  const metadata = (name: string, namespaced: boolean, labels: Record<string, string> = {}) => ({
    name,
    ...(namespaced ? { namespace: DNS_NAMESPACE } : {}),
    labels: { ...labels, [BOOTSTRAP_LABEL]: COREDNS_BOOTSTRAP },
  });
  return [
    {
      type: Resources.serviceAccounts,
      object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(NAME, true) },
    },
    {
      type: Resources.clusterRoles,
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: metadata(CLUSTER_ROLE, false),
        rules: [
          {
            apiGroups: [''],
            resources: ['endpoints', 'services', 'pods', 'namespaces'],
            verbs: ['list', 'watch'],
          },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        ],
      },
    },
    {
      type: Resources.clusterRoleBindings,
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: metadata(CLUSTER_ROLE, false),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CLUSTER_ROLE },
        subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: DNS_NAMESPACE }],
      },
    },
    {
      type: Resources.configMaps,
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: metadata(NAME, true),
        // NodeHosts starts empty (the pod mounts the key): the syncer fills it in once it runs.
        data: { Corefile: corefile(opts.clusterDomain, opts.hostDns), [NODE_HOSTS_KEY]: '' },
      },
    },
    {
      type: Resources.services,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata(DNS_SERVICE, true, { ...APP_LABELS, 'kubernetes.io/name': 'CoreDNS' }),
        // No clusterIP: the syncer re-creates the Service with its host copy's IP anyway.
        spec: {
          selector: APP_LABELS,
          ports: [
            { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
            { name: 'metrics', port: 9153, targetPort: 9153, protocol: 'TCP' },
          ],
        },
      },
    },
    {
      type: Resources.deployments,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: metadata(NAME, true, { ...APP_LABELS, 'kubernetes.io/name': 'CoreDNS' }),
        spec: {
          replicas: 1,
          selector: { matchLabels: APP_LABELS },
          template: {
            metadata: { labels: APP_LABELS },
            spec: corednsPodSpec(opts.image),
          },
        },
      },
    },
  ];
}

/** CoreDNS's pod: non-root on a read-only root, with only the capability to bind port 53. */
function corednsPodSpec(image: string): Record<string, unknown> {
  return {
    serviceAccountName: NAME,
    // Upstream names come from the node's resolver. With the cluster DNS as its own nameserver,
    // `forward . /etc/resolv.conf` would send CoreDNS's queries back to itself (the `loop` plugin
    // then stops it).
    dnsPolicy: 'Default',
    securityContext: {
      seccompProfile: { type: 'RuntimeDefault' },
      // NET_BIND_SERVICE alone lets a non-root process bind :53 only where its binary carries that
      // file capability (the public image's does; a /coredns copied into another image does not) or the
      // runtime passes it on as ambient (containerd does not): a non-root exec drops added
      // capabilities. This pod-scoped safe sysctl makes :53 bindable in the pod's network namespace
      // whatever the image or runtime.
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '53' }],
    },
    containers: [
      {
        name: NAME,
        image,
        imagePullPolicy: 'IfNotPresent',
        command: ['/coredns'],
        args: ['-conf', '/etc/coredns/Corefile'],
        resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } },
        ports: [
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
          { name: 'ready', containerPort: 8181, protocol: 'TCP' },
          { name: 'health', containerPort: 8080, protocol: 'TCP' },
        ],
        readinessProbe: {
          httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' },
          periodSeconds: 2,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        livenessProbe: {
          httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
          initialDelaySeconds: 60,
          periodSeconds: 10,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        securityContext: {
          runAsNonRoot: true,
          runAsUser: COREDNS_UID,
          runAsGroup: COREDNS_UID,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
        },
        volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
      },
    ],
    volumes: [
      {
        name: 'config-volume',
        configMap: {
          name: NAME,
          items: [
            { key: 'Corefile', path: 'Corefile' },
            { key: NODE_HOSTS_KEY, path: NODE_HOSTS_KEY },
          ],
        },
      },
    ],
  };
}
