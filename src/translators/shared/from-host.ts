import { LRUCache } from 'lru-cache';
import { TerminalError } from '../../controller/errors.ts';
import type { ClusterClient } from '../../kube/client.ts';
import { deleteIncarnation } from '../../kube/delete-incarnation.ts';
import { isApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resources.ts';
import {
  FROM_HOST_LABEL,
  MANAGED_BY_LABEL,
  OBJECT_HOST_NAME_ANNOTATION,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
} from '../../naming/labels.ts';
import { field } from '../../config/fields.ts';
import type { LabelSelector } from '../../naming/labels.ts';
import {
  defineKind,
  type BuiltKind,
  type KindDescriptor,
  type KindSpec,
  type RbacRule,
  type ReconcileContext,
  type SyncResult,
} from '../../sync/kind.ts';
import { labelSelectorProblem, parseLabelSelector, selectorMatches } from '../../util/label-selector.ts';
import { isControlledElsewhere } from '../../sync/controlled-elsewhere.ts';
import { mergeManagedMetadata, withManagedRecord } from '../../sync/managed-metadata.ts';
import { LAST_APPLIED_ANNOTATION } from '../../sync/metadata-sync.ts';
import { HOST_CRD_READ } from '../custom-resources/crd.ts';
import { sameJson } from './host-metadata.ts';
import { malformedClusterObject } from './shape.ts';

export { FROM_HOST_LABEL } from '../../naming/labels.ts';

/**
 * The host object (`namespace/name`) a virtual copy of a namespaced host object records
 * (object-host-namespace and object-host-name), or undefined when it records none. Whose copy it is
 * the caller checks first.
 */
export function recordedHostKey(virtual: KubeObject): string | undefined {
  const annotations = virtual.metadata?.annotations ?? {};
  const name = annotations[OBJECT_HOST_NAME_ANNOTATION];
  const namespace = annotations[OBJECT_HOST_NAMESPACE_ANNOTATION];
  return name && namespace ? `${namespace}/${name}` : undefined;
}

function withoutLastApplied(annotations: Record<string, string> | undefined): Record<string, string> {
  const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...rest } = annotations ?? {};
  return rest;
}

/** Top-level fields that are never copied: the server's own, and status (read-only copies have none). */
const NOT_COPIED = new Set(['apiVersion', 'kind', 'metadata', 'status']);

/**
 * The virtual copy of a host object: its labels, annotations and every field but status, under its
 * own name unless another is given, with any annotations of the kind's own added. kubectl's record
 * of the host admin's last apply is left out: it repeats what a kind may hide (a GatewayClass's
 * parametersRef).
 */
export function virtualCopyOf(
  host: KubeObject,
  type: ResourceType,
  as: { namespace?: string; name?: string; annotations?: Record<string, string> } = {},
): KubeObject {
  const meta = host.metadata ?? {};
  const copy: KubeObject = {
    apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
    kind: type.kind,
    metadata: {
      name: as.name ?? meta.name,
      ...(as.namespace ? { namespace: as.namespace } : {}),
      ...withManagedRecord({
        labels: { ...(meta.labels ?? {}), [FROM_HOST_LABEL]: 'true' },
        annotations: {
          ...withoutLastApplied(meta.annotations),
          [OBJECT_HOST_NAME_ANNOTATION]: meta.name ?? '',
          ...as.annotations,
        },
      }),
    },
  };
  for (const [field, value] of Object.entries(host)) if (!NOT_COPIED.has(field)) copy[field] = value;
  return copy;
}

/** A virtual copy against the one wanted: the copied fields and managed metadata, and how they differ. */
function compareCopy(desired: KubeObject, current: KubeObject) {
  const metadata = mergeManagedMetadata(desired.metadata ?? {}, current.metadata ?? {});
  const fields = Object.keys({ ...desired, ...current }).filter((f) => !NOT_COPIED.has(f));
  const differences = fields
    .filter((f) => !sameJson(desired[f], current[f]))
    .map((f) => `virtual ${f} differs`);
  if (!sameJson(metadata.labels, current.metadata?.labels)) differences.push('virtual labels differ');
  if (!sameJson(metadata.annotations, current.metadata?.annotations))
    differences.push('virtual annotations differ');
  return { metadata, fields, differences };
}

/**
 * How a virtual copy differs from the one wanted (for writeVirtualCopy and `vsyncer check`): each
 * copied field, and the labels and annotations the syncer manages (others' keys do not count).
 */
export function virtualCopyDifferences(desired: KubeObject, current: KubeObject): string[] {
  return compareCopy(desired, current).differences;
}

/** How many replaced virtual copies each virtual cluster remembers (see replacedCopies). */
const REPLACED_COPIES_REMEMBERED = 10_000;

/**
 * The virtual copies writeVirtualCopy replaced because the virtual cluster refused an update as
 * invalid, per virtual cluster (its client) and `resource.group namespace/name`: the copied fields asked for
 * then, and whether the tenant was told. A copy whose immutable fields the virtual cluster's own
 * admission changes on create (a tenant's mutating webhook) comes out the same each time, and
 * replacing it again would delete and create it for ever; so it is replaced once per version of the
 * host object, then left as it is. In memory: forgetting (a restart) costs one more replacement.
 */
const replacedCopies = new WeakMap<ClusterClient, LRUCache<string, { asked: KubeObject; told: boolean }>>();

/** The record of replaced copies of this virtual cluster. */
function replacedCopiesOf(ctx: ReconcileContext) {
  let memory = replacedCopies.get(ctx.virtual);
  if (!memory) {
    memory = new LRUCache({ maxSize: REPLACED_COPIES_REMEMBERED, sizeCalculation: () => 1 });
    replacedCopies.set(ctx.virtual, memory);
  }
  return memory;
}

/** The fields a virtual copy copies, for comparing the versions of a host object asked for. */
function copiedFields(copy: KubeObject): KubeObject {
  return Object.fromEntries(Object.entries(copy).filter(([f]) => !NOT_COPIED.has(f))) as KubeObject;
}

/**
 * Creates or brings in line the virtual copy of a host object (in namespace, '' when cluster-scoped):
 * every field but status, and the labels and annotations the syncer manages. Writes nothing when it
 * already matches; an immutable field changed on the host replaces the copy, once per version of the
 * host object (see replacedCopies).
 */
export async function writeVirtualCopy(
  ctx: ReconcileContext,
  type: ResourceType,
  namespace: string,
  desired: KubeObject,
  current?: KubeObject,
): Promise<SyncResult> {
  if (!current) {
    await ctx.virtual.create(type, namespace, desired);
    return { virtualWritten: true, createdTarget: true };
  }
  const { metadata, fields, differences } = compareCopy(desired, current);
  if (differences.length === 0) return {};
  const updated: KubeObject = { ...current, metadata: { ...current.metadata, ...metadata } };
  for (const f of fields) {
    if (desired[f] === undefined) delete updated[f];
    else updated[f] = desired[f];
  }
  try {
    await ctx.virtual.update(type, namespace, updated);
  } catch (err) {
    if (!isApiError(err, 'invalid')) throw err;
    const replaced = replacedCopiesOf(ctx);
    const key = `${type.resource}.${type.group} ${namespace}/${current.metadata?.name ?? ''}`;
    const asked = copiedFields(desired);
    const before = replaced.get(key);
    if (before && sameJson(before.asked, asked)) {
      if (!before.told) {
        before.told = true;
        await ctx.events.record(
          current,
          'Warning',
          'SyncError',
          `this copy of the host's ${type.kind} cannot be brought in line (${differences.join(', ')}): the virtual cluster refused the update (${err.serverMessage}), and a fresh copy came out the same (an admission webhook of this virtual cluster changes it on create); it is left as it is until the host's object changes`,
          { once: true },
        );
      }
      return {};
    }
    // Fields such as a storage class's provisioner are immutable: replace the copy. Its delete
    // event brings the key back, and the copy is made afresh.
    replaced.set(key, { asked, told: false });
    await ctx.virtual.delete(type, namespace, current.metadata?.name ?? '', { uid: current.metadata?.uid });
  }
  return { virtualWritten: true };
}

/** A virtual object this syncer made as the copy of a host object (labelled so; a tenant may forge it). */
const isVirtualCopy = (virtual: KubeObject) => virtual.metadata?.labels?.[FROM_HOST_LABEL] === 'true';

/** What of a host object a tenant may not see, taken out of its virtual copy (a copy of the object). */
export type HostObjectSanitizer = (copy: KubeObject) => KubeObject;

/**
 * A cluster-scoped kind the host owns and the virtual cluster shows read-only under the same name
 * (storage classes, ingress classes, ...): a tenant's edit is reverted, a host delete removes the
 * copy, and what a syncer made on the host (managed-by) is never shown. As in vCluster, the kind
 * has every object of its type in the virtual cluster: one the tenant makes there is deleted unless
 * the host shows one of its name, whose copy it then becomes (a class of the virtual cluster alone
 * would be one no pod, claim or ingress of the tenant's could use on the host). Objects the virtual
 * API server makes itself (`builtIn`) and those another tool controls are left alone.
 */
export function fromHostClusterScoped(
  type: ResourceType,
  labelSelector = '',
  sanitize: HostObjectSanitizer = (copy) => copy,
  builtIn: (virtual: KubeObject) => boolean = () => false,
): KindSpec {
  const write = (ctx: ReconcileContext, desired: KubeObject, current?: KubeObject) =>
    writeVirtualCopy(ctx, type, '', desired, current);

  /**
   * The virtual copy of a host object. One of the wrong shape is shown to no tenant: it is refused
   * with the field named, and not retried.
   */
  function copyOf(host: KubeObject): KubeObject {
    const problem = malformedClusterObject(host);
    if (problem) throw new TerminalError(`malformed host ${type.kind}: ${problem}`);
    return sanitize(virtualCopyOf(host, type));
  }

  return {
    direction: 'from-host',
    virtualType: type,
    hostType: type,
    hostWatch: 'all',
    hostLabelSelector: labelSelector,
    mapper: {
      targetKey: (key) => key,
      sourceKeyOf: (virtual) =>
        builtIn(virtual) || (!isVirtualCopy(virtual) && isControlledElsewhere(virtual, ''))
          ? undefined
          : virtual.metadata?.name,
      sourceKeysFor: (key) => [key],
    },
    // Another virtual cluster's copy of its tenant's class (its storageclasses or priorityclasses
    // kind) is that tenant's, with its labels and parameters: never shown here. Nor is a host class of
    // a name the virtual API server makes its own (the system- priority classes): it is there already.
    wanted: (_ctx, host) => isHostsOwnClass(host) && !builtIn(host),
    diff: (_ctx, host, current) => virtualCopyDifferences(copyOf(host), current),
    create: async (ctx, host) => write(ctx, copyOf(host!)),
    update: async (ctx, host, current) => write(ctx, copyOf(host!), current),
    remove: async (ctx, current) => {
      if (!isVirtualCopy(current))
        await ctx.events.record(
          current,
          'Warning',
          'SyncWarning',
          `this virtual cluster shows the host's ${type.kind} objects: one made here has no ${type.kind} of the host behind it (or one an admin's selector does not offer), so it is deleted`,
        );
      await deleteIncarnation(ctx.virtual, type, current);
      return { virtualWritten: true };
    },
  };
}

/** The descriptor of a from-host cluster-scoped kind: off by default, reads its type on the host. */
export function fromHostDescriptor(
  name: string,
  type: ResourceType,
  what: string,
  defaultOnWith?: KindDescriptor['defaultOnWith'],
): KindDescriptor<[]> {
  return {
    name,
    description: `${what} of the host, shown read-only in the virtual cluster`,
    defaultOn: false,
    defaultOnWith,
    fields: [],
    hostRbac: readRule(type),
    build: () => fromHostClusterScoped(type),
  };
}

export const readRule = (type: ResourceType): RbacRule[] => [
  { scope: 'cluster', apiGroups: [type.group], resources: [type.resource], verbs: ['get', 'list', 'watch'] },
  ...(type.fromCrd ? [HOST_CRD_READ] : []),
];

/**
 * A from-host class kind whose classes an admin may limit by label (vCluster's
 * `sync.fromHost.<classes>.selector`): `--<name>-selector`, kubectl syntax, '' for every class. The
 * tenant sees only those classes, and the kinds that name classes on the host (pods, claims,
 * ingresses) let through only those (hostClassSelectorOf).
 */
export function selectableFromHostDescriptor<const K extends string>(
  name: string,
  type: ResourceType,
  what: string,
  key: K,
  sanitize?: HostObjectSanitizer,
  defaultOnWith?: KindDescriptor['defaultOnWith'],
  builtIn?: (virtual: KubeObject) => boolean,
) {
  return defineKind({
    name,
    description: `${what} of the host, shown read-only in the virtual cluster`,
    defaultOn: false,
    defaultOnWith,
    settingsNeedKind: true,
    fields: [
      field({
        flag: `${name}-selector`,
        key,
        kind: 'string',
        default: '',
        valueName: 'selector',
        description: `only the host ${what} these labels select are shown, and only those may be used (kubectl syntax; "" for all), as vCluster's sync.fromHost selector`,
        validate: labelSelectorProblem,
      }),
    ],
    hostRbac: readRule(type),
    build: (options) =>
      fromHostClusterScoped(type, (options as Record<K, string>)[key].trim(), sanitize, builtIn),
  });
}

/** Whether an admin's class selector offers this host class (no selector: every class). */
export function offersClass(selector: LabelSelector | undefined, cls: KubeObject): boolean {
  return !selector || selectorMatches(selector, cls.metadata?.labels ?? {});
}

/** Whether a host class is marked the default by one of these annotations (set to "true"). */
export const isMarkedDefault = (cls: KubeObject, markedBy: readonly string[]): boolean =>
  markedBy.some((a) => cls.metadata?.annotations?.[a] === 'true');

/** Whether a host class is the host's own: there, and not a copy some virtual cluster made. */
export const isHostsOwnClass = (cls: KubeObject | undefined): cls is KubeObject =>
  cls !== undefined && cls.metadata?.labels?.[MANAGED_BY_LABEL] === undefined;

/** The reason of the events saying an object waits for a class an admin's selector withholds (vCluster's). */
export const CLASS_WITHHELD_REASON = 'SyncWarning';

/** The host class types an admin's selector limits: their words, API resource, and vcluster.yaml key. */
const SELECTED_CLASSES = {
  StorageClass: { words: 'storage class', resource: 'storageclasses.storage.k8s.io', key: 'storageClasses' },
  IngressClass: {
    words: 'ingress class',
    resource: 'ingressclasses.networking.k8s.io',
    key: 'ingressClasses',
  },
  RuntimeClass: { words: 'runtime class', resource: 'runtimeclasses.node.k8s.io', key: 'runtimeClasses' },
  PriorityClass: {
    words: 'priority class',
    resource: 'priorityclasses.scheduling.k8s.io',
    key: 'priorityClasses',
  },
  DeviceClass: { words: 'device class', resource: 'deviceclasses.resource.k8s.io', key: 'deviceClasses' },
} as const;
export type SelectedClassKind = keyof typeof SELECTED_CLASSES;

/** The object a class refusal is about, as vCluster's events name it (`persistent volume claim "data"`). */
export interface RefusedObject {
  words: string;
  name: string;
}

/**
 * Why an object is not synced while an admin's selector limits the host classes: the host class it
 * names does not exist there (or is a copy a virtual cluster made), or the selector does not offer it.
 * In vCluster's words, which its e2e suite matches; the selector named is vCluster's
 * `sync.fromHost.<classes>.selector`, here the chart's `syncer.hostClassSelectors.<classes>` and the
 * flags `--host-<type>classes-selector`.
 */
export function classWithheld(
  object: RefusedObject,
  kind: SelectedClassKind,
  name: string,
  exists: boolean,
): string {
  const cls = SELECTED_CLASSES[kind];
  const why = exists
    ? `in the host does not match the selector under 'sync.fromHost.${cls.key}.selector'`
    : `couldn't be reached in the host: ${cls.resource} "${name}" not found`;
  return `did not sync ${object.words} "${object.name}" to host because the ${cls.words} "${name}" ${why}`;
}

/**
 * The label selector of an enabled from-host class kind, parsed, when its admin set one: the classes
 * a tenant may name. Undefined when the kind is off or shows every class.
 */
export function hostClassSelectorOf(
  kinds: ReadonlyMap<string, BuiltKind>,
  name: string,
): LabelSelector | undefined {
  const text = kinds.get(name)?.spec.hostLabelSelector;
  return text ? parseLabelSelector(text) : undefined;
}
