import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import type { BuiltKind, Mapper, SyncEnvironment } from '../../sync/kind.ts';
import type { KeptFor } from '../shared/data-object.ts';
import { managedCopiesScope } from '../../sync/mappers.ts';
import {
  classWithheld,
  FROM_HOST_LABEL,
  hostClassSelectorOf,
  isHostsOwnClass,
  isMarkedDefault,
  offersClass,
} from '../shared/from-host.ts';
import type { LabelSelector } from '../../naming/labels.ts';

/** The kind that syncs tenants' own classes; with it on, a tenant's class stands for its host copy. */
export const TENANT_CLASSES_KIND = 'storageclasses';
/** The kind that shows the host's classes; its selector limits which a claim may name. */
const HOST_CLASSES_KIND = 'host-storageclasses';
/** How a host marks its default class (the beta key is still honoured). */
const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

/**
 * A claim's metadata a class's parameters read: CSI secret templates
 * (`${pvc.annotations['team.example.com/key']}`) and provisioners' path patterns, in their syntax
 * (`${.PVC.annotations.nfs.io/storage-path}`, `${.PVC.labels.tier}`) or Go templates'
 * (`{{ .PVC.Annotations.volumeName }}`, `{{ index .PVC.Labels "tier" }}`).
 */
const CLAIM_METADATA_TEMPLATES = [
  /\$\{\s*\.?pvc\.(annotations|labels)(?:\[\s*['"]([^'"]+)['"]\s*\]|\.([^}\s]+))\s*\}/gi,
  /\.PVC(?:\.ObjectMeta)?\.(Annotations|Labels)(?:\.([A-Za-z_][A-Za-z0-9_]*)|\s+"([^"]+)"|\s+`([^`]+)`)/g,
];

/**
 * The claim labels and annotations a class's parameters read, by kind. A host provisioner fills them
 * in with the host's authority (which Secret of the claim's namespace its CSI driver uses, which
 * directory of a share a volume gets), and on the host every tenant's claim is in one namespace.
 */
export function claimMetadataReadBy(storageClass: KubeObject | undefined): {
  annotations: string[];
  labels: string[];
} {
  const found = { annotations: new Set<string>(), labels: new Set<string>() };
  const parameters = (storageClass as { parameters?: unknown } | undefined)?.parameters;
  if (parameters && typeof parameters === 'object')
    for (const value of Object.values(parameters as Record<string, unknown>)) {
      if (typeof value !== 'string') continue;
      for (const template of CLAIM_METADATA_TEMPLATES)
        for (const m of value.matchAll(template))
          found[m[1]!.toLowerCase() as 'annotations' | 'labels'].add((m[2] ?? m[3] ?? m[4])!);
    }
  return { annotations: [...found.annotations], labels: [...found.labels] };
}

/** How the CSI external-provisioner spells the claim's own name and namespace in a Secret's. */
const CLAIM_TEMPLATES: ObjectTemplates = { name: '${pvc.name}', namespace: '${pvc.namespace}' };

/**
 * Why a Secret copy stays, when a host claim copy of its very host name has a host class naming its
 * CSI driver's Secrets after the claim (see claimNamedSecretsOf): the driver reads that name not only
 * to provision but at every mount and resize of the volume (node-stage, node-publish, expand
 * secrets), for the volume's whole life. Were the copy to go, its ambiguous name could pass to
 * another namespace's Secret, which the volume would then be mounted with. Undefined without the
 * claims kind (no claim copies, nor its caches and RBAC).
 */
export const claimNamedSecretHolder = secretHolderFor({
  kind: 'persistentvolumeclaims',
  objects: Resources.persistentVolumeClaims,
  classField: 'storageClassName',
  classes: Resources.storageClasses,
  templates: CLAIM_TEMPLATES,
  reads: (className) =>
    `the host claim of this name has StorageClass "${className}", whose CSI driver reads this Secret by the claim's name`,
});

/** What a kind's objects are read by: see secretHolderFor. */
export interface NamedSecretReaders {
  /** The kind whose host copies these are (nothing is held without it: no copies, caches or RBAC). */
  kind: string;
  objects: ResourceType;
  /** The spec field naming the object's host class. */
  classField: string;
  classes: ResourceType;
  templates: ObjectTemplates;
  reads: (className: string) => string;
}

/**
 * Why a Secret copy stays: a host copy of its very host name (a claim's, a snapshot's) has a host
 * class naming its CSI Secrets just after the object (see secretsNamedAfter), which a CSI sidecar reads
 * by that name for as long as the object is there.
 */
export function secretHolderFor(readers: NamedSecretReaders): KeptFor {
  return (env, kinds) => {
    if (!kinds.has(readers.kind)) return undefined;
    const objects = env.informers.get(env.host, readers.objects, managedCopiesScope(env));
    const classes = env.informers.get(env.host, readers.classes);
    return (copy) => {
      const object = objects.store.get(`${env.hostNamespace}/${copy.metadata?.name ?? ''}`);
      const className = (object?.spec as Record<string, unknown> | undefined)?.[readers.classField];
      if (typeof className !== 'string') return undefined;
      const parameters = (classes.store.get(className) as { parameters?: unknown } | undefined)?.parameters;
      return secretsNamedAfter(parameters, readers.templates).exact ? readers.reads(className) : undefined;
    };
  };
}

/**
 * What a class's CSI secret parameters make of the claim's own name, for Secrets among the claim's
 * (the host namespace, where every tenant's copies are): `exact` when a Secret is named just that
 * (`${pvc.name}`): the copy of the claim's namespace's Secret of the claim's name has it, and only
 * that one may (host names are ambiguous: another namespace's, or another virtual cluster's, Secret
 * can hold it); `other` lists the parameters that name a Secret after the claim's name with more
 * around it, which no tenant's copy can be proved to hold. A Secret in a namespace of the admin's
 * is the admin's to name.
 */
export function claimNamedSecretsOf(storageClass: KubeObject | undefined): SecretsNamedAfter {
  return secretsNamedAfter(
    (storageClass as { parameters?: unknown } | undefined)?.parameters,
    CLAIM_TEMPLATES,
  );
}

/** How a CSI sidecar spells the name and namespace of the object it acts for in its parameters. */
export interface ObjectTemplates {
  name: string;
  namespace: string;
}

/** What a class's CSI secret parameters make of an object's name (see claimNamedSecretsOf). */
export interface SecretsNamedAfter {
  exact: boolean;
  other: string[];
}

/**
 * Which CSI secret parameters of a class (a StorageClass's, a VolumeSnapshotClass's) name a Secret
 * after the object the sidecar acts for, in that object's namespace: `exact` for one named just the
 * object's name, `other` for the parameters naming one after it with more around it.
 */
export function secretsNamedAfter(parameters: unknown, templates: ObjectTemplates): SecretsNamedAfter {
  const out: SecretsNamedAfter = { exact: false, other: [] };
  if (!parameters || typeof parameters !== 'object') return out;
  const values = parameters as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    // csi.storage.k8s.io/<step>-secret-name, and the older csi<Step>SecretName.
    const namespaceKey = key.endsWith('-secret-name')
      ? `${key.slice(0, -'name'.length)}namespace`
      : key.endsWith('SecretName')
        ? `${key.slice(0, -'Name'.length)}Namespace`
        : undefined;
    if (!namespaceKey || typeof value !== 'string' || !value.includes(templates.name)) continue;
    const namespace = values[namespaceKey];
    if (typeof namespace !== 'string' || !namespace.includes(templates.namespace)) continue;
    if (value === templates.name) out.exact = true;
    else out.other.push(key);
  }
  return out;
}

/**
 * Which host class a claim's class name stands for: ready, not yet, none the tenant may use, or (with
 * an admin's selector) one withheld by it, reported as vCluster reports it (see classWithheld).
 */
export type ClaimClassVerdict =
  | { state: 'ready'; hostName: string }
  | { state: 'waiting'; message: string }
  | { state: 'missing'; message: string }
  | { state: 'withheld'; message: (claim: string) => string };

/**
 * The host StorageClass a virtual class name stands for, for claims and volumes.
 *
 * With the storageclasses kind on, a class the tenant made in the virtual cluster stands for its
 * host copy (`vcluster-<name>-x-<hostNamespace>-x-<vc>`), usable once that copy is provably this
 * class's copy: host names are ambiguous, and another tenant's class of the same host name must never
 * provision this tenant's claims. Any other name is a host class of that name, which must exist and
 * must not be a copy some virtual cluster made (a tenant names the host's classes, never another
 * tenant's, and its own only through the virtual class).
 */
export class ClaimClassResolver {
  private readonly hostClasses: Informer<KubeObject>;
  /** The storageclasses kind's mapper and the virtual classes, when that kind is on. */
  private readonly tenantClasses?: { mapper: Mapper; virtual: Informer<KubeObject> };

  /** --host-storageclasses-selector: the host classes tenants may use, when an admin limited them. */
  private readonly offered?: LabelSelector;

  constructor(opts: {
    hostClasses: Informer<KubeObject>;
    tenantClasses?: { mapper: Mapper; virtual: Informer<KubeObject> };
    offered?: LabelSelector;
  }) {
    this.hostClasses = opts.hostClasses;
    this.tenantClasses = opts.tenantClasses;
    this.offered = opts.offered;
  }

  /** The verdict for a claim that the host will provision dynamically. */
  verdict(name: string): ClaimClassVerdict {
    const tenant = this.tenantCopyName(name);
    if (tenant !== undefined) {
      const copy = this.hostClasses.store.get(tenant.hostName);
      const ours =
        copy !== undefined &&
        this.tenantClasses!.mapper.sourceKeyOf(copy) === name &&
        this.tenantClasses!.mapper.sourceUidOf?.(copy) === tenant.uid;
      return ours
        ? { state: 'ready', hostName: tenant.hostName }
        : {
            state: 'waiting',
            message: `StorageClass "${name}": waiting for its host copy (the class's events say why it has none)`,
          };
    }
    const host = this.hostClasses.store.get(name);
    const exists = isHostsOwnClass(host);
    if (this.offered && !(exists && offersClass(this.offered, host))) {
      return {
        state: 'withheld',
        message: (claim) =>
          classWithheld({ words: 'persistent volume claim', name: claim }, 'StorageClass', name, exists),
      };
    }
    if (!exists)
      return { state: 'missing', message: `StorageClass "${name}" does not exist in the host cluster` };
    return { state: 'ready', hostName: name };
  }

  /**
   * The class the host's admission gives a claim that names none: of the host's own classes marked
   * default, the newest (then the first by name), as the DefaultStorageClass plugin picks it.
   * Undefined when the host has no default class.
   */
  hostDefaultClass(): string | undefined {
    const defaults = this.hostClasses.store
      .list()
      .filter((c) => isHostsOwnClass(c) && isMarkedDefault(c, DEFAULT_CLASS_ANNOTATIONS));
    const created = (c: KubeObject) => Date.parse(c.metadata?.creationTimestamp ?? '') || 0;
    const name = (c: KubeObject) => c.metadata?.name ?? '';
    defaults.sort((a, b) => created(b) - created(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
    return defaults[0]?.metadata?.name;
  }

  /**
   * Whether a change to this host class can change what a claim naming no class gets
   * (`hostDefaultClass`): a class marked default (the caller passes the old and the new object, so a
   * mark taken off counts).
   */
  decidesUnnamed(hostClass: KubeObject): boolean {
    return isMarkedDefault(hostClass, DEFAULT_CLASS_ANNOTATIONS);
  }

  /**
   * The verdict for a claim given a volume (static provisioning): no class need exist, but one that
   * does exist under the name the claim gets must be one the tenant may use, as for a provisioned
   * claim (a binder that finds no volume provisions through it).
   */
  staticVerdict(name: string): ClaimClassVerdict {
    const hostName = this.hostNameOf(name);
    return this.hostClasses.store.get(hostName) ? this.verdict(name) : { state: 'ready', hostName };
  }

  /** The claim metadata the host class of that name reads (see claimMetadataReadBy). */
  claimMetadataReadBy(hostName: string): { annotations: string[]; labels: string[] } {
    return claimMetadataReadBy(this.hostClasses.store.get(hostName));
  }

  /** What the host class of that name makes of a claim's name in its Secrets (see claimNamedSecretsOf). */
  claimNamedSecretsOf(hostName: string): { exact: boolean; other: string[] } {
    return claimNamedSecretsOf(this.hostClasses.store.get(hostName));
  }

  /** Whether tenants' own classes are synced (and so may stand for a claim's class). */
  get syncsTenantClasses(): boolean {
    return this.tenantClasses !== undefined;
  }

  /** Whether the virtual cluster's class of that name is in the cache. */
  knowsVirtualClass(name: string): boolean {
    return this.tenantClasses?.virtual.store.get(name) !== undefined;
  }

  /**
   * The class name a host claim or volume carries for a virtual one when no class need exist
   * (static provisioning matches a claim and a volume by class name alone): a tenant's class becomes
   * its copy's name, so both sides are renamed alike; any other name is kept.
   */
  hostNameOf(name: string): string {
    return this.tenantCopyName(name)?.hostName ?? name;
  }

  /** The virtual class names a host class's change concerns: its own, and the class it copies. */
  virtualNamesOf(hostClass: KubeObject): string[] {
    const names = [hostClass.metadata?.name ?? ''];
    const copied = this.tenantClasses?.mapper.sourceKeyOf(hostClass);
    if (copied) names.push(copied);
    return names;
  }

  /** The host name and UID of a tenant's own class of that name, when the kind syncs it. */
  private tenantCopyName(name: string): { hostName: string; uid: string | undefined } | undefined {
    if (!this.tenantClasses) return undefined;
    const virtual = this.tenantClasses.virtual.store.get(name);
    if (!virtual || virtual.metadata?.labels?.[FROM_HOST_LABEL] === 'true') return undefined;
    const hostName = this.tenantClasses.mapper.targetKey(name, virtual);
    return hostName ? { hostName, uid: virtual.metadata?.uid } : undefined;
  }
}

/** The resolver for the claims and volumes kinds: the host's classes, and the tenants' when synced. */
export function claimClassResolver(
  env: SyncEnvironment,
  kinds: ReadonlyMap<string, BuiltKind>,
): ClaimClassResolver {
  const tenantClasses = kinds.get(TENANT_CLASSES_KIND);
  return new ClaimClassResolver({
    hostClasses: env.informers.get(env.host, Resources.storageClasses),
    offered: hostClassSelectorOf(kinds, HOST_CLASSES_KIND),
    tenantClasses: tenantClasses && {
      mapper: tenantClasses.spec.mapper,
      virtual: env.informers.get(env.virtual, Resources.storageClasses),
    },
  });
}
