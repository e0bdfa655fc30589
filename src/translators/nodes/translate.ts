import { endianness } from 'node:os';
import { tolerates, type Taint, type Toleration } from '../shared/tolerations.ts';
import type { KubeObject, ObjectMeta } from '../../kube/object.ts';
import type { KubeletEndpoint } from '../../sync/kind.ts';
import { mergeManagedMetadata, withManagedRecord } from '../../sync/managed-metadata.ts';
import { MANAGED_BY_LABEL } from '../../naming/labels.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { sameJson } from '../shared/host-metadata.ts';
import { parseCidr, parseIP } from '../../util/ip.ts';

/** Marks nodes the syncer made, so it only ever deletes its own (same key as vCluster's fake nodes). */
export const FAKE_NODE_LABEL = 'vcluster.loft.sh/fake-node';
/**
 * vCluster's marker on the nodes a virtual cluster shows (`vcluster.loft.sh/managed-by: <name>`): a
 * real node's copy carries the host's labels and this one only, as vCluster's do.
 */
export const NODE_MARKER_LABEL = MANAGED_BY_LABEL;
/** The marker of nodes made before the syncer took vCluster's: still its own. */
export const LEGACY_NODE_MARKER_LABEL = FROM_HOST_LABEL;

/**
 * Whether a virtual node is a syncer's (by any marker). Any name counts: the virtual cluster is the
 * scope (a syncer of this virtual cluster made it, under whatever release name), so a node left by an
 * earlier one is taken over and marked anew. vCluster's own syncer marks the fake nodes it makes with
 * FAKE_NODE_LABEL alone (`managed-by` only its copies of real nodes): a virtual cluster moved from it
 * keeps them, and without this they would keep vCluster's kubelet address (logs and exec failing).
 */
export const isManagedNode = (node: KubeObject): boolean =>
  node.metadata?.labels?.[NODE_MARKER_LABEL] !== undefined ||
  node.metadata?.labels?.[LEGACY_NODE_MARKER_LABEL] === 'true' ||
  node.metadata?.labels?.[FAKE_NODE_LABEL] === 'true';

/**
 * Go's name (GOARCH, what `kubernetes.io/arch` holds) of a Node.js architecture (`process.arch`):
 * most are the same; `ppc64` is `ppc64le` on a little-endian machine, as Linux's usually are.
 */
export function goArch(arch: string, endian: 'BE' | 'LE'): string {
  if (arch === 'ppc64') return endian === 'LE' ? 'ppc64le' : 'ppc64';
  return NODE_TO_GO_ARCH[arch] ?? arch;
}
const NODE_TO_GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', mipsel: 'mipsle' };

/** What a fake node says it has: vCluster's fake node's figures. */
const FAKE_NODE_RESOURCES: Readonly<Record<string, string>> = {
  cpu: '16',
  memory: '32Gi',
  'ephemeral-storage': '100Gi',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
  pods: '110',
};

/**
 * A minimal Ready node standing in for the host node a tenant pod runs on (with real copies, a
 * standIn); it reveals nothing of the host. Its architecture is the syncer's own, as vCluster's fake nodes' label: a guess, right on a
 * host of one architecture. The virtual DaemonSet controller matches a DaemonSet's
 * `kubernetes.io/arch` selector against it: on arm64 nodes, fake nodes claiming amd64 would get the
 * pods of an amd64-only DaemonSet (which cannot run there) and none of an arm64 one.
 */
export function fakeNode(name: string, kubeletVersion: string, now: string, vcName: string): KubeObject {
  const arch = goArch(process.arch, endianness());
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      ...withManagedRecord({
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': arch,
          // The deprecated keys a kubelet still sets, and older selectors and charts read.
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': arch,
          [FAKE_NODE_LABEL]: 'true',
          [NODE_MARKER_LABEL]: vcName,
        },
      }),
    },
    spec: {},
    status: {
      // A kubelet's four conditions, as tools that read node health (kubectl describe, autoscalers,
      // node problem dashboards) expect them: no pressure, Ready.
      conditions: [
        ...(
          [
            ['MemoryPressure', 'KubeletHasSufficientMemory'],
            ['DiskPressure', 'KubeletHasNoDiskPressure'],
            ['PIDPressure', 'KubeletHasSufficientPID'],
          ] as const
        ).map(([type, reason]) => ({
          type,
          status: 'False',
          reason,
          message: 'fake node of the virtual cluster',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        })),
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'fake node of the virtual cluster',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [{ type: 'Hostname', address: name }],
      // vCluster's fake node's, which tools and tests written for it read.
      capacity: { ...FAKE_NODE_RESOURCES },
      allocatable: { ...FAKE_NODE_RESOURCES },
      nodeInfo: {
        architecture: arch,
        operatingSystem: 'linux',
        kubeletVersion,
        kubeProxyVersion: '',
        containerRuntimeVersion: 'vsyncer://fake',
        osImage: 'virtual',
        kernelVersion: '',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    },
  };
}

/**
 * What keeps pods off a stand-in: a DaemonSet's pods tolerate the cordon's taint
 * (`node.kubernetes.io/unschedulable`), not this one, so the virtual DaemonSet controller makes none
 * for it either.
 */
export const STAND_IN_TAINT: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' };

/**
 * A fake node standing for no node the tenant may use: with real copies (--sync-real-nodes) a fake
 * node is shown only for a host node that is gone (until the pods bound to it go) or one the host
 * never placed this virtual cluster's pods on (a tenant's pod naming it, even a name the host lacks).
 * It keeps those pods (the virtual pod GC deletes the pods of a missing node, and with them their
 * host pods) but must draw no others: a pod the virtual scheduler or DaemonSet controller put there
 * would be sent to the host bound to a node it may not use, and stay Pending for good. So it is
 * cordoned, tainted as unreachable, has room for no pod (a pod tolerating every taint still does not
 * fit) and is not Ready, as a node whose kubelet is gone. Its Ready `Unknown` evicts nothing: the
 * virtual cluster runs no node lifecycle controller (the chart turns it off), the one that would add
 * the NoExecute taint. The same for a hidden host node as for a missing one, so it tells nothing.
 */
export function standIn(fake: KubeObject): KubeObject {
  const status = (fake.status ?? {}) as { conditions?: Condition[]; allocatable?: Record<string, string> };
  return {
    ...fake,
    spec: { taints: [STAND_IN_TAINT], unschedulable: true },
    status: {
      ...status,
      // Every condition Unknown, as a node whose kubelet stopped reporting shows them.
      conditions: conditionsOf(status).map((c) => ({
        ...c,
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'stand-in: no node of the host this virtual cluster may use',
      })),
      allocatable: { ...status.allocatable, pods: '0' },
    },
  };
}

/**
 * The node pointed at the syncer's kubelet API: the virtual API server reaches a node's kubelet at
 * its InternalIP and daemon endpoint port, so `kubectl logs` and `exec` come to the syncer, which
 * streams them from the host pod. A real node's own address would send the virtual API server (with
 * its own client certificate) to the host's kubelet, which must never trust it.
 */
export function withKubeletEndpoint(
  node: KubeObject,
  endpoint: KubeletEndpoint | undefined,
  current?: KubeObject,
): KubeObject {
  if (!endpoint) return node;
  const status = (node.status ?? {}) as Record<string, unknown>;
  // With a port per node, the node keeps the port it advertises (when free), so a restart moves none.
  const advertised = (
    current?.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: unknown } } } | undefined
  )?.daemonEndpoints?.kubeletEndpoint?.Port;
  const port = endpoint.nodePorts
    ? endpoint.nodePorts.portFor(
        node.metadata?.name ?? '',
        typeof advertised === 'number' ? advertised : undefined,
      )
    : endpoint.port;
  return {
    ...node,
    status: {
      ...status,
      addresses: [
        { type: 'InternalIP', address: endpoint.address },
        { type: 'Hostname', address: node.metadata?.name ?? '' },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    },
  };
}

/**
 * Without a kubelet endpoint of its own, the syncer does not manage where a node's kubelet is: the
 * node keeps the addresses and daemon endpoint it has (set when it was made, or by whoever serves
 * its kubelet), so two syncers sharing a virtual cluster's nodes never undo each other's endpoint.
 */
export function withCurrentKubeletAddress(
  desired: KubeObject,
  current: KubeObject,
  hostNode?: KubeObject,
): KubeObject {
  const now = (current.status ?? {}) as Record<string, unknown>;
  if (now.addresses === undefined && now.daemonEndpoints === undefined) return desired;
  // The host kubelet's own address (a copy made before real copies left it out): never kept.
  if (hostNode && pointsAtHostKubelet(now.addresses, hostNode)) return desired;
  return {
    ...desired,
    status: {
      ...((desired.status ?? {}) as Record<string, unknown>),
      addresses: now.addresses,
      daemonEndpoints: now.daemonEndpoints,
    },
  };
}

type NodeAddress = { type?: string; address?: string };

/** Whether addresses name one of the host node's own (other than its name). */
function pointsAtHostKubelet(addresses: unknown, hostNode: KubeObject): boolean {
  const own = new Set(
    ((hostNode.status as { addresses?: NodeAddress[] } | undefined)?.addresses ?? [])
      .filter((a) => a?.type !== 'Hostname' && a?.address)
      .map((a) => a.address),
  );
  return Array.isArray(addresses) && (addresses as NodeAddress[]).some((a) => own.has(a?.address));
}

/** A dotted quad anywhere in a text (an address in JSON, a list, a URL). */
const IPV4_IN_TEXT = /(^|[^0-9.])\d{1,3}(\.\d{1,3}){3}($|[^0-9]|\.($|[^0-9]))/;
/** A MAC address (flannel's VTEP in its backend data). */
const MAC_IN_TEXT = /(^|[^0-9a-f:])[0-9a-f]{2}(:[0-9a-f]{2}){5}($|[^0-9a-f:])/i;
/** Annotations that name the machine: CSI drivers' node IDs, cloud instance and Cluster API machines. */
const MACHINE_ANNOTATIONS = new Set([
  'csi.volume.kubernetes.io/nodeid',
  'container.googleapis.com/instance_id',
  'cluster.x-k8s.io/machine',
  'machine.openshift.io/machine',
]);

/**
 * Annotations that sum up the host cluster's pods on the node, every tenant's and the host's: Rancher's
 * requests and limits totals (as vCluster leaves them off its copies).
 */
const HOST_WIDE_ANNOTATIONS = new Set([
  'management.cattle.io/pod-requests',
  'management.cattle.io/pod-limits',
]);

/**
 * Whether a host node's annotation tells where the node is or which machine it is: an address or a
 * block in its value (the node's IPs as its kubelet, k3s, flannel or Calico record them, pod CIDRs),
 * or CSI's per-driver node IDs (cloud instance IDs). The copy shows no address of the host node
 * (see tenantVisibleStatus), so none may come back through an annotation.
 */
function locatesHostNode(key: string, value: string): boolean {
  if (MACHINE_ANNOTATIONS.has(key) || key.startsWith('kwok.x-k8s.io/')) return true;
  if (IPV4_IN_TEXT.test(value) || MAC_IN_TEXT.test(value)) return true;
  return (
    value
      .split(/[\s,;"'[\]{}=]+/)
      // `ip:fd00::1`: an address after a word and a colon.
      .flatMap((token) => [token, token.replace(/^[a-z]+:(?=[0-9a-f]*:)/i, '')])
      .some(
        (token) => token.includes(':') && (parseIP(token) !== undefined || parseCidr(token) !== undefined),
      )
  );
}

/**
 * The virtual copy of a real host node: its labels, taints and status, kept current. Taints every
 * synced pod tolerates (--enforce-toleration) are left out, as vCluster does: the virtual cluster's
 * controllers (a DaemonSet's) would otherwise keep its pods off a node the host lets them on.
 */
export function realNodeCopy(
  hostNode: KubeObject,
  vcName: string,
  enforcedTolerations: readonly Toleration[] = [],
): KubeObject {
  const meta = hostNode.metadata ?? {};
  const spec = (hostNode.spec ?? {}) as { taints?: Taint[]; unschedulable?: boolean; podCIDR?: string };
  const taints = spec.taints?.filter((taint) => !enforcedTolerations.some((t) => tolerates(t, taint)));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: meta.name,
      ...withManagedRecord({
        labels: { ...(meta.labels ?? {}), [NODE_MARKER_LABEL]: vcName },
        annotations: Object.fromEntries(
          Object.entries(meta.annotations ?? {}).filter(
            ([k, v]) => !HOST_WIDE_ANNOTATIONS.has(k) && !locatesHostNode(k, String(v)),
          ),
        ),
      }),
    },
    spec: { taints: taints?.length ? taints : undefined, unschedulable: spec.unschedulable },
    status: tenantVisibleStatus(hostNode.status, meta.name ?? ''),
  };
}

/**
 * A host node's status minus what belongs to other tenants (the images pulled there and the volumes
 * attached name their workloads and storage), minus which machine it is (its machine, system and
 * boot IDs, as the node stats leave them out) and minus where its kubelet is: the virtual API server
 * dials a node's address and daemon port, with its own client certificate, for `kubectl logs` and
 * `exec`, and must never reach the host's kubelet. The syncer's kubelet endpoint, when it has one,
 * takes their place (withKubeletEndpoint); without one the node has none, as a fake node.
 */
function tenantVisibleStatus(status: unknown, name: string): unknown {
  if (!status || typeof status !== 'object') return status;
  const {
    images: _images,
    volumesAttached: _attached,
    volumesInUse: _inUse,
    addresses: _addresses,
    daemonEndpoints: _endpoints,
    nodeInfo,
    ...rest
  } = status as Record<string, unknown>;
  return {
    ...rest,
    ...(nodeInfo && typeof nodeInfo === 'object'
      ? { nodeInfo: { ...nodeInfo, machineID: '', systemUUID: '', bootID: '' } }
      : {}),
    addresses: [{ type: 'Hostname', address: name }],
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
  };
}

type Condition = Record<string, unknown> & { type?: string; status?: string };
const conditionsOf = (status: unknown): Condition[] =>
  (status as { conditions?: Condition[] } | undefined)?.conditions ?? [];

/**
 * Conditions without their times: a heartbeat alone, or a fake node's freshly stamped transition
 * time, is no change a tenant could see (a change of status is compared all the same).
 */
function conditionsWithoutTimes(status: unknown): unknown {
  return conditionsOf(status).map(
    ({ lastHeartbeatTime: _heartbeat, lastTransitionTime: _transition, ...rest }) => rest,
  );
}

/**
 * The desired status with each condition's times taken from the current node while its status has
 * not changed, so a write that happens for another reason does not move them either.
 */
export function withCurrentConditionTimes(desired: unknown, current: unknown): unknown {
  if (!desired || typeof desired !== 'object') return desired;
  const before = new Map(conditionsOf(current).map((c) => [c.type, c]));
  const conditions = conditionsOf(desired).map((c) => {
    const old = before.get(c.type);
    return old && old.status === c.status
      ? { ...c, lastHeartbeatTime: old.lastHeartbeatTime, lastTransitionTime: old.lastTransitionTime }
      : c;
  });
  return { ...(desired as Record<string, unknown>), conditions };
}

/**
 * The labels and annotations to write on a virtual node, or undefined when they are already right.
 * Only the keys the syncer set are managed (recorded on the node): the virtual cluster's own
 * controllers annotate nodes too (the TTL controller), and fighting them would write forever.
 */
export function nodeMetadataFor(
  desired: KubeObject,
  actual: KubeObject,
): Pick<ObjectMeta, 'labels' | 'annotations'> | undefined {
  const merged = mergeManagedMetadata(desired.metadata ?? {}, actual.metadata ?? {});
  const inSync =
    sameJson(merged.labels, actual.metadata?.labels) &&
    sameJson(merged.annotations, actual.metadata?.annotations);
  return inSync ? undefined : merged;
}

/** True when the virtual node's taints and schedulability match the desired ones. */
export function nodeSpecInSync(desired: KubeObject, actual: KubeObject): boolean {
  const d = desired.spec as Record<string, unknown>;
  const a = (actual.spec ?? {}) as Record<string, unknown>;
  return (
    sameJson(orNone(d.taints), orNone(a.taints)) && Boolean(d.unschedulable) === Boolean(a.unschedulable)
  );
}

/** An empty list and no list mean the same (the API server drops empty taint lists). */
const orNone = (list: unknown) => (Array.isArray(list) && list.length === 0 ? undefined : list);

/**
 * The virtual node's spec with the desired taints and schedulability in place of its own. The
 * virtual API server taints a new node not-ready (TaintNodesByCondition); with no node lifecycle
 * controller in the virtual cluster, only this removes it.
 */
export function nodeSpecWith(desired: KubeObject, current: KubeObject): Record<string, unknown> {
  const d = (desired.spec ?? {}) as Record<string, unknown>;
  const spec: Record<string, unknown> = { ...((current.spec ?? {}) as Record<string, unknown>) };
  for (const field of ['taints', 'unschedulable']) {
    const value = field === 'taints' ? orNone(d[field]) : d[field] || undefined;
    if (value === undefined) delete spec[field];
    else spec[field] = value;
  }
  return spec;
}

/** True when the status matches, ignoring heartbeat timestamps. */
export function nodeStatusInSync(desired: KubeObject, actual: KubeObject): boolean {
  const { conditions: _d, ...dRest } = (desired.status ?? {}) as Record<string, unknown>;
  const { conditions: _a, ...aRest } = (actual.status ?? {}) as Record<string, unknown>;
  return (
    sameJson(dRest, aRest) &&
    sameJson(conditionsWithoutTimes(desired.status), conditionsWithoutTimes(actual.status))
  );
}
