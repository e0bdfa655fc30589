import type { KubeObject, ObjectMeta } from '../../kube/object.ts';
import { mergeManagedMetadata, withManagedRecord } from '../../sync/managed-metadata.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { sameJson } from '../shared/host-metadata.ts';

/** Marks nodes the syncer made, so it only ever deletes its own (same key as vCluster's fake nodes). */
export const FAKE_NODE_LABEL = 'vcluster.loft.sh/fake-node';
export const MANAGED_NODE_LABEL = FROM_HOST_LABEL;

/** A minimal Ready node standing in for the host node a tenant pod runs on; it reveals nothing of the host. */
export function fakeNode(name: string, kubeletVersion: string, now: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      ...withManagedRecord({
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          [FAKE_NODE_LABEL]: 'true',
          [MANAGED_NODE_LABEL]: 'true',
        },
      }),
    },
    spec: {},
    status: {
      conditions: [
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
      capacity: { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      nodeInfo: {
        architecture: 'amd64',
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

/** The virtual copy of a real host node: its labels, taints and status, kept current. */
export function realNodeCopy(hostNode: KubeObject): KubeObject {
  const meta = hostNode.metadata ?? {};
  const spec = (hostNode.spec ?? {}) as { taints?: unknown[]; unschedulable?: boolean; podCIDR?: string };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: meta.name,
      ...withManagedRecord({
        labels: { ...(meta.labels ?? {}), [MANAGED_NODE_LABEL]: 'true' },
        annotations: Object.fromEntries(
          Object.entries(meta.annotations ?? {}).filter(([k]) => !k.startsWith('kwok.x-k8s.io/')),
        ),
      }),
    },
    spec: { taints: spec.taints, unschedulable: spec.unschedulable },
    status: tenantVisibleStatus(hostNode.status),
  };
}

/**
 * A host node's status minus what belongs to other tenants: the images pulled there and the
 * volumes attached name their workloads and storage.
 */
function tenantVisibleStatus(status: unknown): unknown {
  if (!status || typeof status !== 'object') return status;
  const {
    images: _images,
    volumesAttached: _attached,
    volumesInUse: _inUse,
    ...rest
  } = status as Record<string, unknown>;
  return rest;
}

/** Conditions without their heartbeat times, so a heartbeat alone does not cause a write. */
function conditionsWithoutHeartbeat(status: unknown): unknown {
  const conditions = (status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? [];
  return conditions.map(({ lastHeartbeatTime: _ignored, ...rest }) => rest);
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
  return sameJson(d.taints, a.taints) && sameJson(d.unschedulable, a.unschedulable);
}

/** True when the status matches, ignoring heartbeat timestamps. */
export function nodeStatusInSync(desired: KubeObject, actual: KubeObject): boolean {
  const { conditions: _d, ...dRest } = (desired.status ?? {}) as Record<string, unknown>;
  const { conditions: _a, ...aRest } = (actual.status ?? {}) as Record<string, unknown>;
  return (
    sameJson(dRest, aRest) &&
    sameJson(conditionsWithoutHeartbeat(desired.status), conditionsWithoutHeartbeat(actual.status))
  );
}
