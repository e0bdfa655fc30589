import { posix } from 'node:path';
import { ipKey, isStrictIP } from '../../util/ip.ts';
import { absentReferenceName } from '../pods/reference-safety.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { hostName } from '../../naming/names.ts';
import { coversJson, hostMetadataFor } from '../shared/host-metadata.ts';
import { FROM_HOST_LABEL } from '../shared/from-host.ts';
import { FAKE_PV_LABEL, isControllerAnnotation } from '../persistentvolumeclaims/translate.ts';

/** The volume source fields of a PersistentVolume (core/v1 PersistentVolumeSource). */
export const PV_SOURCE_TYPES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'csi',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'glusterfs',
  'hostPath',
  'iscsi',
  'local',
  'nfs',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
] as const;

/** Source types that are only allowed for one named driver: `csi:<driver>`, `flexVolume:<driver>`. */
const PER_DRIVER = new Set(['csi', 'flexVolume']);

/** The parts of a PersistentVolume the syncer reads or writes. */
export interface VolumeClaimRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface VolumeSpec {
  capacity?: Record<string, string>;
  accessModes?: string[];
  volumeMode?: string;
  storageClassName?: string;
  persistentVolumeReclaimPolicy?: string;
  mountOptions?: string[];
  nodeAffinity?: unknown;
  claimRef?: VolumeClaimRef | null;
  [source: string]: unknown;
}

export const volumeSpecOf = (pv: KubeObject | undefined): VolumeSpec => (pv?.spec ?? {}) as VolumeSpec;
export const volumePhaseOf = (pv: KubeObject | undefined): string | undefined =>
  (pv?.status as { phase?: string } | undefined)?.phase;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields copied from the virtual volume to its host copy, besides its source and claimRef. Not
 * the reclaim policy: see HOST_COPY_RECLAIM_POLICY.
 */
const COPIED_FIELDS = [
  'capacity',
  'accessModes',
  'volumeMode',
  'storageClassName',
  'mountOptions',
  'nodeAffinity',
] as const;

/**
 * The reclaim policy of every host copy, whatever the tenant's volume says. A tenant's volume names
 * storage it did not provision and may not own (any volume handle of a listed CSI driver): with
 * `Delete`, the host's CSI provisioners delete that storage once the copy is Released, and recent
 * ones do so without their provisioned-by annotation (HonorPVReclaimPolicy, KEP-2644). The virtual
 * volume keeps showing the tenant's own value.
 */
export const HOST_COPY_RECLAIM_POLICY = 'Retain';

/**
 * What is wrong with a `--allowed-pv-source` entry, or undefined when it names a source type:
 * a type by its field name (`nfs`, `iscsi`, `hostPath`...), CSI and flexVolume only with a driver.
 */
export function invalidAllowedSource(entry: string): string | undefined {
  const [type, driver] = splitEntry(entry);
  const known = PV_SOURCE_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
  if (!known) return `unknown volume source type "${type}" (known: ${PV_SOURCE_TYPES.join(', ')})`;
  if (PER_DRIVER.has(known) && !driver) return `"${known}" must name its driver: ${known}:<driver-name>`;
  if (!PER_DRIVER.has(known) && driver !== undefined) return `"${known}" takes no driver`;
  return undefined;
}

function splitEntry(entry: string): [string, string | undefined] {
  const i = entry.indexOf(':');
  return i < 0 ? [entry.trim(), undefined] : [entry.slice(0, i).trim(), entry.slice(i + 1).trim()];
}

/** Validates the whole `--allowed-pv-source` list. */
export function invalidAllowedSources(list: readonly string[]): string | undefined {
  for (const entry of list) {
    const problem = invalidAllowedSource(entry);
    if (problem) return problem;
  }
  return undefined;
}

/** True for a PersistentVolume the claims kind made to stand for a host volume (never a tenant's). */
export function isSyncerVolume(pv: KubeObject): boolean {
  const labels = pv.metadata?.labels ?? {};
  return labels[FAKE_PV_LABEL] !== undefined || labels[FROM_HOST_LABEL] === 'true';
}

/** The source field a volume uses, or why it cannot be judged. */
export function sourceTypeOf(pv: KubeObject): { type: string } | { problem: string } {
  const spec = volumeSpecOf(pv);
  const present = PV_SOURCE_TYPES.filter((t) => spec[t] != null);
  if (present.length === 0) return { problem: 'the volume names no source' };
  if (present.length > 1) return { problem: `the volume names more than one source (${present.join(', ')})` };
  return { type: present[0]! };
}

/** The storage a volume names, where any volume naming the same reaches the same data. */
export interface NamedStorage {
  /** The field that names it (`spec.csi.volumeHandle`, `spec.nfs.path`), for a refusal to point at. */
  field: string;
  /** What names it, as the tenant wrote it, for a refusal to quote. */
  what: string;
  /** The same for any two volumes naming that storage (an index value). */
  key: string;
}

/**
 * The storage a volume names, for the sources whose storage is named by value: a CSI driver's volume
 * handle, an NFS server's export path (read as the server reads it: a trailing slash, `//`, `.` or
 * `..` name no other directory, and server names are not case-sensitive). Undefined for other sources.
 */
export function namedStorageOf(pv: KubeObject): NamedStorage | undefined {
  const spec = volumeSpecOf(pv);
  const { csi, nfs } = spec;
  if (isRecord(csi) && typeof csi.driver === 'string' && typeof csi.volumeHandle === 'string')
    return {
      field: 'spec.csi.volumeHandle',
      what: `volume handle "${csi.volumeHandle}" of CSI driver "${csi.driver}"`,
      key: JSON.stringify(['csi', csi.driver, csi.volumeHandle]),
    };
  if (isRecord(nfs) && typeof nfs.server === 'string' && typeof nfs.path === 'string')
    return {
      field: 'spec.nfs.path',
      what: `NFS export "${nfs.server}:${nfs.path}"`,
      key: JSON.stringify(['nfs', nfsServerKey(nfs.server), exportPath(nfs.path)]),
    };
  return undefined;
}

/** An NFS path as the directory it names: normalized, with no trailing slash (but the root's). */
const exportPath = (path: string): string => posix.normalize(path.trim()).replace(/(.)\/+$/, '$1');

/** The NFS export a volume mounts: its server (nfsServerKey) and directory. */
export function nfsExportOf(pv: KubeObject): { server: string; path: string } | undefined {
  const { nfs } = volumeSpecOf(pv);
  if (!isRecord(nfs) || typeof nfs.server !== 'string' || typeof nfs.path !== 'string') return undefined;
  return { server: nfsServerKey(nfs.server), path: exportPath(nfs.path) };
}

/** An NFS server's address or name without brackets, case or surrounding spaces. */
const bareServer = (server: string): string =>
  server
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');

/**
 * One key per NFS server however it is written: an address by value (`fd00::5` is `fd00:0:0::5`), a
 * name without its case or one trailing dot (the resolver reads `nfs.example.com.` as the same name).
 */
export function nfsServerKey(server: string): string {
  const bare = bareServer(server);
  return (isStrictIP(bare) ? ipKey(bare) : undefined) ?? bare.replace(/\.$/, '');
}

/**
 * Why an NFS server cannot be compared with others, or undefined: numbers that are not an address in
 * its usual form. The kubelet's mount resolves the server with the C library, which reads `10.0.5`
 * as 10.0.0.5, `0x0a000005` and `167772165` as the same, and a leading zero as octal.
 */
function nfsServerRefusal(server: string): string | undefined {
  const bare = bareServer(server).replace(/\.$/, '');
  if (isStrictIP(bare)) return undefined;
  const numeric = /^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+))*$/.test(bare);
  return numeric || bare.includes(':')
    ? `spec.nfs.server: ${JSON.stringify(server)} is neither a host name nor an IP address written in its usual form (a.b.c.d, or IPv6)`
    : undefined;
}

/**
 * Whether two directories of one server share data: the same, or one inside the other (a volume of
 * `/exports` reaches every volume under it, and one of `/exports/a/b` part of `/exports/a`'s).
 */
export function nfsPathsOverlap(a: string, b: string): boolean {
  const within = (inner: string, outer: string) =>
    inner === outer || inner.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
  return within(a, b) || within(b, a);
}

/** Paths inside a source that name a Secret (`csi.nodePublishSecretRef`, `rbd.secretRef`...). */
function secretReferences(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretReferences(v, `${path}[${i}]`));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    /secret/i.test(k) && v != null && v !== '' ? [`${path}.${k}`] : secretReferences(v, `${path}.${k}`),
  );
}

/**
 * Why a tenant's volume may not reach the host, or undefined when it may. A PersistentVolume names
 * storage directly, so only source types the host's admin listed are synced (CSI and flexVolume for
 * the listed drivers only), never one naming a Secret (it would name a host Secret), never
 * `Recycle` (the host copy is always `Retain`: nothing on the host scrubs or deletes the storage).
 */
export function refusalOf(pv: KubeObject, allowed: readonly string[]): string | undefined {
  const spec = pv.spec;
  if (!isRecord(spec)) return 'malformed persistent volume: spec must be an object';
  const claimRef = spec.claimRef;
  if (claimRef != null) {
    if (!isRecord(claimRef)) return 'malformed persistent volume: spec.claimRef must be an object';
    for (const f of ['namespace', 'name'])
      if (claimRef[f] != null && typeof claimRef[f] !== 'string')
        return `malformed persistent volume: spec.claimRef.${f} must be a string`;
  }
  const source = sourceTypeOf(pv);
  if ('problem' in source) return source.problem;
  const type = source.type;
  if (allowed.length === 0)
    return `spec.${type}: no volume source is allowed for PersistentVolumes of the virtual cluster (the syncer's --allowed-pv-source is empty)`;
  const driver = PER_DRIVER.has(type) ? (spec[type] as { driver?: unknown }).driver : undefined;
  const ok = allowed.some((entry) => {
    const [t, d] = splitEntry(entry);
    if (t.toLowerCase() !== type.toLowerCase()) return false;
    return PER_DRIVER.has(type) ? typeof driver === 'string' && d === driver : d === undefined;
  });
  if (!ok) {
    const what = PER_DRIVER.has(type) ? `${type}:${String(driver)}` : type;
    return `spec.${type}: the volume source "${what}" is not allowed (--allowed-pv-source: ${allowed.join(', ')})`;
  }
  const nfs = spec.nfs;
  if (type === 'nfs' && isRecord(nfs) && typeof nfs.server === 'string') {
    const refusal = nfsServerRefusal(nfs.server);
    if (refusal) return refusal;
  }
  const secrets = secretReferences(spec[type], `spec.${type}`);
  if (secrets.length > 0)
    return `${secrets[0]}: a PersistentVolume of the virtual cluster may not name a Secret (it would name one of the host cluster)`;
  if (spec.persistentVolumeReclaimPolicy === 'Recycle')
    return `spec.persistentVolumeReclaimPolicy: Recycle is not supported (the host copy of a volume is always ${HOST_COPY_RECLAIM_POLICY})`;
  return undefined;
}

/** The virtual claim (`namespace/name`) a volume is reserved for, when its claimRef names one. */
export function claimKeyOf(pv: KubeObject | undefined): string | undefined {
  const ref = volumeSpecOf(pv).claimRef;
  return ref?.namespace && ref.name ? `${ref.namespace}/${ref.name}` : undefined;
}

/**
 * The host copy of a tenant's volume: the size, access modes, mode, class, mount options, node
 * affinity and source of the virtual one, and reclaim policy `Retain` (HOST_COPY_RECLAIM_POLICY: no
 * host provisioner deletes the storage a tenant named); its claimRef points at the host copy of the
 * virtual claim, UID included (`claimCopyUid`, once that copy is provably the claim's): a reservation
 * by name alone would outlive that copy, and the binder would give the volume to whatever claim comes
 * under the (ambiguous) host name next. The storage controllers' annotations
 * (`pv.kubernetes.io/provisioned-by`, which older provisioners also need before they delete) stay out.
 * `hostClassName` is the class as the host knows it, when the kind renamed it (a tenant's own class).
 */
export function hostVolumeFor(
  virtual: KubeObject,
  where: { vcName: string; hostNamespace: string; hostName: string },
  hostClassName?: string,
  claimCopyUid?: string,
): KubeObject {
  const meta = virtual.metadata ?? {};
  const v = volumeSpecOf(virtual);
  const annotations = Object.fromEntries(
    Object.entries(meta.annotations ?? {}).filter(([k]) => !isControllerAnnotation(k)),
  );
  const spec: VolumeSpec = {};
  for (const f of COPIED_FIELDS) if (v[f] != null) spec[f] = v[f] as never;
  spec.persistentVolumeReclaimPolicy = HOST_COPY_RECLAIM_POLICY;
  if (spec.storageClassName && hostClassName) spec.storageClassName = hostClassName;
  const source = sourceTypeOf(virtual);
  if ('type' in source) spec[source.type] = v[source.type];
  const claimKey = claimKeyOf(virtual);
  if (claimKey) {
    const [namespace = '', name = ''] = claimKey.split('/');
    // Pre-bound to the claim's host copy once that exists and is provably its copy; until then to a
    // name of the volume's own, which no claim has: a pre-bound volume is bound to whatever claim has
    // the name it names, and host names are ambiguous (another virtual cluster's claim could come
    // under that name first).
    spec.claimRef = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: where.hostNamespace,
      name: claimCopyUid
        ? hostName(name, namespace, where.vcName)
        : absentReferenceName(`PersistentVolume/${meta.name}/${meta.uid}`, {
            kind: 'PersistentVolumeClaim',
            name: claimKey,
          }),
      ...(claimCopyUid ? { uid: claimCopyUid } : {}),
    };
  }
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: hostMetadataFor(
      { ...virtual, metadata: { ...meta, annotations } },
      Resources.persistentVolumes,
      where,
    ),
    spec,
  };
}

/** Whether the host claimRef names the claim the desired one does: namespace, name and (when desired) UID. */
function sameClaim(desired: KubeObject, host: KubeObject): boolean {
  const d = volumeSpecOf(desired).claimRef;
  const h = volumeSpecOf(host).claimRef;
  if (!d || !h || d.namespace !== h.namespace || d.name !== h.name) return false;
  return !d.uid || d.uid === h.uid;
}

/**
 * True when the host volume has what the desired one says. The host claimRef's other fields are the
 * binder's (resourceVersion); none desired leaves the host's as it is.
 */
export function hostVolumeInSync(desired: KubeObject, host: KubeObject): boolean {
  const { claimRef, ...rest } = volumeSpecOf(desired);
  return coversJson(rest, volumeSpecOf(host)) && (!claimRef || sameClaim(desired, host));
}

/** The host volume's spec updated to the desired one, keeping the binder's claimRef on the same claim. */
export function updatedHostSpec(desired: KubeObject, host: KubeObject): VolumeSpec {
  const h = volumeSpecOf(host);
  const d = volumeSpecOf(desired);
  const spec: VolumeSpec = { ...h, ...d };
  if (!d.claimRef || sameClaim(desired, host)) spec.claimRef = h.claimRef;
  return spec;
}

/**
 * The status the virtual volume shows: the host phase (with its reason and message), but the virtual
 * phase is kept while the host has not yet bound a volume that is bound in the virtual cluster, and
 * while the virtual cluster has not yet bound (the claim's UID in claimRef, which the claims kind
 * writes) a volume the host has: a tenant would otherwise see a Bound volume naming no claim, and a
 * binder running in the virtual cluster would set it back to Available.
 */
export function virtualVolumeStatusFor(host: KubeObject, virtual: KubeObject): Record<string, unknown> {
  const hostStatus = (host.status ?? {}) as { phase?: string; reason?: string; message?: string };
  const current = (virtual.status ?? {}) as Record<string, unknown>;
  const phase = hostStatus.phase;
  if (!phase) return current;
  if ((phase === 'Pending' || phase === 'Available') && current.phase === 'Bound') return current;
  if (phase === 'Bound' && !volumeSpecOf(virtual).claimRef?.uid) return current;
  const status: Record<string, unknown> = { ...current, phase };
  delete status.reason;
  delete status.message;
  if (hostStatus.reason) status.reason = hostStatus.reason;
  if (hostStatus.message) status.message = hostStatus.message;
  return status;
}
