import { TerminalError } from '../../controller/errors.ts';
import { isApiError } from '../../kube/errors.ts';
import { objectKey, splitKey, type KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import { MANAGED_BY_LABEL, OBJECT_HOST_NAMESPACE_ANNOTATION } from '../../naming/labels.ts';
import { KUBECONFIG_OF_LABEL } from '../../kubeconfig-export/secret.ts';
import { unreadableHostScope } from '../../sync/host-watch.ts';
import type { KindSpec, ReconcileContext, SyncResult } from '../../sync/kind.ts';
import {
  FROM_HOST_LABEL,
  recordedHostKey,
  virtualCopyDifferences,
  virtualCopyOf,
  writeVirtualCopy,
} from '../shared/from-host.ts';
import { ensureVirtualNamespace } from '../shared/virtual-namespace.ts';
import { hostKeysOf, mappedHostScopes, virtualKeyOf, type HostDataMappings } from './mappings.ts';

/** Which mapped kind made a virtual replica (config maps and secrets each have one). */
export const REPLICA_KIND_ANNOTATION = 'vsyncer.dev/replica-kind';
/**
 * Where the replica was made (`namespace/name`): a copy a tenant makes of it elsewhere (kubectl get
 * -o yaml, then apply) carries the records too, but not this key, and is the tenant's, not a stale
 * replica to delete.
 */
export const REPLICA_KEY_ANNOTATION = 'vsyncer.dev/replica-key';

/**
 * Whether a host object is a virtual cluster's own (its PKI, the kubelet's key, a deployed etcd's
 * certificates and join token): by any label a chart puts on every object it makes, this chart's
 * (`helm.sh/chart: vsyncer-<version>`, the control plane's and the etcd's names) or vCluster's (`app:
 * vcluster`, `app: vcluster-etcd`), so that a label one template lacks does not show its object.
 */
function isControlPlaneObject(labels: Record<string, string>): boolean {
  const name = labels['app.kubernetes.io/name'];
  return (
    name === 'vsyncer' ||
    name === 'vsyncer-etcd' ||
    (labels['helm.sh/chart'] ?? '').startsWith('vsyncer-') ||
    labels.app === 'vcluster' ||
    labels.app === 'vcluster-etcd'
  );
}

/**
 * Annotations of a Secret holding a service account's credentials whatever its type: the legacy
 * token Secret's and the pull Secrets a platform makes for each account (OpenShift's `*-dockercfg-*`,
 * annotated by the token Secret before 4.16 and by the account and token binding since).
 */
const SERVICE_ACCOUNT_SECRET_ANNOTATIONS = [
  'kubernetes.io/service-account.name',
  'openshift.io/token-secret.name',
  'openshift.io/internal-registry-auth-token.service-account',
  'openshift.io/internal-registry-auth-token.binding',
];

/**
 * Why a host object is never shown, even when a mapping names it (a namespace's `*` names them
 * all), or undefined. These are objects no tenant may read whatever the admin mapped: a syncer's
 * copies of tenants' objects (of other virtual namespaces, or other virtual clusters), the token
 * secrets of host service accounts and node bootstrap tokens, the virtual cluster's own keys and kubeconfig, and the root CA
 * bundle every namespace has its own of.
 */
export function neverShown(host: KubeObject, type: ResourceType): string | undefined {
  const labels = host.metadata?.labels ?? {};
  if (labels[MANAGED_BY_LABEL] !== undefined) return 'a syncer made it (a copy of a tenant object)';
  if (labels[KUBECONFIG_OF_LABEL] !== undefined) return "it is a virtual cluster's exported kubeconfig";
  if (isControlPlaneObject(labels)) return "it is a virtual cluster's control-plane object";
  // Helm's release records hold every manifest of the release, the control plane's keys included.
  if (labels.owner === 'helm' || host.type === 'helm.sh/release.v1') return "it is a Helm release's record";
  if (host.type === 'kubernetes.io/service-account-token') return 'it holds a host service account token';
  const annotations = host.metadata?.annotations ?? {};
  if (type.kind === 'Secret' && SERVICE_ACCOUNT_SECRET_ANNOTATIONS.some((a) => annotations[a] !== undefined))
    return "it holds a host service account's credentials";
  // A bootstrap token joins nodes to the host cluster (`kube-system/*` mapped would name them all).
  if (host.type === 'bootstrap.kubernetes.io/token') return 'it holds a host node bootstrap token';
  if (type.kind === 'ConfigMap' && host.metadata?.name === 'kube-root-ca.crt')
    return 'every namespace has its own root CA bundle';
  return undefined;
}

/** The host object a virtual object is the replica of (by its records), or undefined when it is none of this kind's. */
export function replicaOf(virtual: KubeObject, kindName: string): string | undefined {
  const meta = virtual.metadata;
  const annotations = meta?.annotations ?? {};
  if (meta?.labels?.[FROM_HOST_LABEL] !== 'true' || annotations[REPLICA_KIND_ANNOTATION] !== kindName)
    return undefined;
  if (annotations[REPLICA_KEY_ANNOTATION] !== `${meta?.namespace}/${meta?.name}`) return undefined;
  return recordedHostKey(virtual);
}

/**
 * What every kind of host objects shown by an admin's mappings shares: it reads only what the
 * mappings name (a namespace it may not read holds up this kind alone, with the reason logged), its
 * copies are its own kind (`replica`: never taken for the kind that copies that type to the host),
 * and it keeps track of them by what they record: one whose mapping was changed or removed is a
 * stale copy, and goes; a tenant's own object that held a copy's name is gone, and the host objects
 * mapped there may show. A host object is wanted while it exists, is mapped, and is one a tenant may
 * be shown (neverShown).
 */
export function mappedReplicas(
  type: ResourceType,
  kindName: string,
  mappings: HostDataMappings,
): Pick<
  KindSpec,
  'direction' | 'virtualType' | 'hostType' | 'replica' | 'hostWatch' | 'prepare' | 'mapper'
> & {
  wanted: (ctx: ReconcileContext, host: KubeObject | undefined) => host is KubeObject;
} {
  const scopes = mappedHostScopes(mappings);
  return {
    direction: 'from-host',
    virtualType: type,
    hostType: type,
    replica: true,
    hostWatch: scopes,
    prepare: (env) => unreadableHostScope(env, [type], scopes),
    mapper: {
      targetKey: (hostKey) => virtualKeyOf(mappings, hostKey),
      sourceKeyOf: (virtual) => replicaOf(virtual, kindName),
      sourceKeysFor: (virtualKey) => hostKeysOf(mappings, virtualKey),
    },
    wanted: (ctx, host): host is KubeObject =>
      host !== undefined &&
      !host.metadata?.deletionTimestamp &&
      virtualKeyOf(mappings, ctx.key) !== undefined &&
      neverShown(host, type) === undefined &&
      !controllerOutputOfOwnNamespace(host, ctx.hostNamespace, mappings),
  };
}

/**
 * Whether a host object is shown only by the whole-namespace mapping of this virtual cluster's own
 * host namespace and a controller made it (it has owners): there the owners may be any tenant's
 * copies (a host operator's ConfigMap generated from another virtual cluster's custom resource), so
 * only what the admin names object by object is shown of such objects.
 */
function controllerOutputOfOwnNamespace(
  host: KubeObject,
  hostNamespace: string,
  mappings: HostDataMappings,
): boolean {
  const { namespace, name } = host.metadata ?? {};
  return (
    namespace === hostNamespace &&
    !mappings.exact.has(`${namespace}/${name}`) &&
    (host.metadata?.ownerReferences ?? []).length > 0
  );
}

/**
 * ConfigMaps or Secrets of the host, shown in the virtual cluster where `--map-host-configmap` /
 * `--map-host-secret` say (vCluster's sync.fromHost.configMaps/secrets): data, type, labels and
 * annotations follow the host object; a tenant's edit is reverted and a deleted replica is made
 * again; the replica goes when the host object goes, or its mapping. The virtual namespace is made
 * when missing. A tenant's own object of the replica's name is never touched (the mapping waits,
 * with the reason logged). Only the host namespaces the mappings name are read. A replica is an
 * ordinary object of its namespace to the other kinds: a pod that mounts one gets a host copy of it
 * as of any other.
 */
export function mappedHostDataKind(
  type: ResourceType,
  kindName: string,
  mappings: HostDataMappings,
): KindSpec {
  function desiredReplica(host: KubeObject, virtualKey: string): KubeObject {
    const { namespace, name } = splitKey(virtualKey);
    return virtualCopyOf(host, type, {
      namespace,
      name,
      annotations: {
        [OBJECT_HOST_NAMESPACE_ANNOTATION]: host.metadata?.namespace ?? '',
        [REPLICA_KIND_ANNOTATION]: kindName,
        [REPLICA_KEY_ANNOTATION]: virtualKey,
      },
    });
  }

  const write = (ctx: ReconcileContext, host: KubeObject, current?: KubeObject): Promise<SyncResult> =>
    writeVirtualCopy(ctx, type, ctx.virtualNamespace, desiredReplica(host, ctx.virtualKey), current);

  return {
    // Other kinds look the copier of ConfigMaps or Secrets up by type: that is never this one.
    ...mappedReplicas(type, kindName, mappings),

    async create(ctx, host): Promise<SyncResult> {
      const madeNamespace = await ensureVirtualNamespace(ctx, ctx.virtualNamespace);
      try {
        const result = await write(ctx, host!);
        ctx.log.info(
          `replicated host ${type.kind} ${objectKey(host!)} as ${ctx.virtualKey}${madeNamespace ? ' (namespace made)' : ''}`,
        );
        return result;
      } catch (err) {
        if (!isApiError(err, 'alreadyExists')) throw err;
        throw new TerminalError(
          `virtual ${type.kind} ${ctx.virtualKey} exists and is not the replica of host ${type.kind} ${ctx.key}: delete it, or map the host object to another name`,
        );
      }
    },

    update: async (ctx, host, current) => write(ctx, host!, current),

    diff: (ctx, host, current) => virtualCopyDifferences(desiredReplica(host, ctx.virtualKey), current),
  };
}
