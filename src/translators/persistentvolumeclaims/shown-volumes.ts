import type { KubeObject } from '../../kube/object.ts';
import { volumeSpecOf, type VolumeSpec } from '../persistentvolumes/translate.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { coversJson, sameJson } from '../shared/host-metadata.ts';
import {
  FAKE_PV_DRIVER,
  FAKE_PV_LABEL,
  FAKE_PV_PROVISIONER,
  specOf,
  statusOf,
  storageClassOf,
} from './translate.ts';

/*
 * The PersistentVolume the virtual cluster shows for each bound claim, named as the host volume is
 * (as vCluster does). By default a fake one, which says what the tenant may know (size, access modes,
 * class) and nothing of the host volume. With tenants' own volumes synced (the persistentvolumes
 * kind, vCluster's `sync.toHost.persistentVolumes`), vCluster shows the host volume's details
 * instead, for tools that need its driver and volume handle (Velero, CSI tooling): so does vsyncer,
 * without the names of host Secrets the host volume's source may hold.
 */

/** Names, on a volume showing a host volume's details, that host volume (vCluster's annotation). */
export const HOST_PV_ANNOTATION = 'vcluster.loft.sh/host-pv';

/** Label and annotation prefixes of vCluster and vsyncer: never taken from a host volume. */
const SYNCER_PREFIXES = ['vcluster.loft.sh/', 'vsyncer.dev/'];

/**
 * Keys naming a Secret in a volume source: CSI's `nodePublishSecretRef` and the like, the
 * `secretRef` of iSCSI, RBD, CephFS and others, Azure File's `secretName` and `secretNamespace`, and
 * the same spelled as CSI volume attributes (`csi.storage.k8s.io/node-publish-secret-name`).
 */
const SECRET_KEY = /secret[-_]?(ref|name|namespace)$/i;
/**
 * What a Secret's name or namespace reads as on a shown volume. Some sources require the field (Azure
 * File's `secretName`, iSCSI's `secretRef` with CHAP): a stand-in keeps the volume valid. No Secret
 * of the virtual cluster is ever read through it: no kubelet mounts the shown volume.
 */
export const HIDDEN_SECRET_NAME = 'hidden-by-vsyncer';

/** True for a PersistentVolume of the virtual cluster the syncer shows for a bound claim. */
export function isShownVolume(pv: KubeObject | undefined): boolean {
  const meta = pv?.metadata;
  if (meta?.labels?.[FROM_HOST_LABEL] !== 'true') return false;
  return meta.labels[FAKE_PV_LABEL] === 'true' || !!meta.annotations?.[HOST_PV_ANNOTATION];
}

/** True for a shown volume with a host volume's details (not a fake one). */
export const isHostDetailsVolume = (pv: KubeObject): boolean =>
  isShownVolume(pv) && !!pv.metadata?.annotations?.[HOST_PV_ANNOTATION];

/** The `namespace/name` of the virtual claim a shown volume stands behind. */
export function claimKeyOfShownVolume(pv: KubeObject): string | undefined {
  const ref = volumeSpecOf(pv).claimRef;
  return ref?.namespace && ref.name ? `${ref.namespace}/${ref.name}` : undefined;
}

/** A volume's claimRef to a claim, as a binder writes it. */
export const claimRefTo = (claim: KubeObject) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  namespace: claim.metadata?.namespace,
  name: claim.metadata?.name,
  uid: claim.metadata?.uid,
});

/**
 * What made a shown volume, in the storage controllers' annotations: also makes a PV controller
 * running in the virtual cluster leave its deletion to the syncer.
 */
const SHOWN_BY = {
  'kubernetes.io/createdby': FAKE_PV_PROVISIONER,
  'pv.kubernetes.io/provisioned-by': FAKE_PV_PROVISIONER,
};

/**
 * The fake volume of a claim bound on the host (`host` is the host claim): its source is an inert
 * flexVolume no kubelet or controller has.
 */
export function fakeVolumeFor(virtual: KubeObject, host: KubeObject): KubeObject {
  const v = specOf(virtual);
  const status = statusOf(host);
  const capacity = status.capacity?.storage ?? v.resources?.requests?.storage;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: specOf(host).volumeName,
      labels: { [FAKE_PV_LABEL]: 'true', [FROM_HOST_LABEL]: 'true' },
      annotations: { ...SHOWN_BY },
    },
    spec: {
      capacity: capacity ? { storage: capacity } : {},
      accessModes: status.accessModes ?? v.accessModes ?? [],
      // The virtual claim's class, so a binder in the virtual cluster finds that the two match.
      storageClassName: storageClassOf(virtual) ?? '',
      volumeMode: v.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: 'Delete',
      flexVolume: { driver: FAKE_PV_DRIVER },
      claimRef: claimRefTo(virtual),
    },
  };
}

/**
 * True when the host volume is bound to the host claim, both ways: the claim names the volume and
 * the volume's claimRef names the claim, UID included. Only then are its details the claim's to see
 * (a volume's name proves nothing: any host volume could be named in a claim being bound).
 */
export function boundToClaim(hostVolume: KubeObject, hostClaim: KubeObject): boolean {
  const ref = volumeSpecOf(hostVolume).claimRef;
  const claim = hostClaim.metadata;
  return (
    specOf(hostClaim).volumeName === hostVolume.metadata?.name &&
    !!ref?.uid &&
    ref.uid === claim?.uid &&
    ref.namespace === claim?.namespace &&
    ref.name === claim?.name
  );
}

/**
 * The volume showing the details of the host volume a claim is bound to (see boundToClaim): its
 * source, capacity, access and volume modes, reclaim policy, mount options, node affinity and
 * labels, with the virtual claim as its claimRef and the claim's class. Secret names are left out
 * of the source (they name host Secrets), and so are the host's annotations (its provisioner's own;
 * a PV controller in the virtual cluster would act on them).
 */
export function hostDetailsVolumeFor(virtual: KubeObject, hostVolume: KubeObject): KubeObject {
  const { claimRef: _hostClaim, storageClassName: _hostClass, ...details } = volumeSpecOf(hostVolume);
  const name = hostVolume.metadata?.name ?? '';
  const labels = Object.fromEntries(
    Object.entries(hostVolume.metadata?.labels ?? {}).filter(
      ([k]) => !SYNCER_PREFIXES.some((p) => k.startsWith(p)),
    ),
  );
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      labels: { ...labels, [FROM_HOST_LABEL]: 'true' },
      annotations: { ...SHOWN_BY, [HOST_PV_ANNOTATION]: name },
    },
    spec: {
      ...(withSecretNamesHidden(details) as VolumeSpec),
      storageClassName: storageClassOf(virtual) ?? '',
      claimRef: claimRefTo(virtual),
    },
  };
}

/** A JSON value whose Secret names and namespaces (SECRET_KEY, at any depth) read HIDDEN_SECRET_NAME. */
function withSecretNamesHidden(value: unknown, naming = false): unknown {
  if (naming && typeof value === 'string') return HIDDEN_SECRET_NAME;
  if (Array.isArray(value)) return value.map((v) => withSecretNamesHidden(v, naming));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, withSecretNamesHidden(v, naming || SECRET_KEY.test(k))]),
  );
}

/**
 * True when a shown volume has what the syncer decides: every spec field desired sets (the API
 * server's defaults and a binder's marks are left be), the claimRef's claim, the labels and
 * annotations desired.
 */
export function shownVolumeInSync(desired: KubeObject, current: KubeObject): boolean {
  const { claimRef: want, ...spec } = volumeSpecOf(desired);
  const have = volumeSpecOf(current).claimRef;
  const sameClaim = sameJson(
    { namespace: want?.namespace, name: want?.name, uid: want?.uid },
    { namespace: have?.namespace, name: have?.name, uid: have?.uid },
  );
  return (
    sameClaim &&
    coversJson(spec, volumeSpecOf(current)) &&
    coversJson(desired.metadata?.labels ?? {}, current.metadata?.labels ?? {}) &&
    coversJson(desired.metadata?.annotations ?? {}, current.metadata?.annotations ?? {})
  );
}
