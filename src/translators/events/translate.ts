import type { KubeObject } from '../../kube/object.ts';
import { eventName, hash10 } from '../../naming/names.ts';
import { scrubHostNames } from '../../sync/scrub.ts';

/** The virtual object a host event is about, as the virtual cluster knows it. */
export interface VirtualTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  /** The host object's name, to be replaced by `name` wherever it appears. */
  hostName: string;
}

/**
 * The name of a host event's virtual copy: `<virtual object>.<id>`. Host event names are
 * `<object>.<hex id>`; only such an id is kept. Anything else could carry a host name, so a hash of
 * the host event's name stands in (stable, so repeats of one host event update one virtual event).
 */
export function virtualEventName(hostEvent: KubeObject, virtualObjectName: string): string {
  const hostEventName = String(hostEvent.metadata?.name ?? '');
  const id = hostEventName.slice(hostEventName.lastIndexOf('.') + 1);
  const suffix = hostEventName.includes('.') && /^[0-9a-f]{1,32}$/.test(id) ? id : hash10(hostEventName);
  return eventName(virtualObjectName, suffix);
}

/**
 * The virtual copy of a host event: same reason, type, counts and times; the involved object and
 * every mention of host names rewritten to the virtual names. The name keeps the host event's
 * suffix so later updates of the same host event land on the same virtual event.
 */
export function virtualEventFor(
  hostEvent: KubeObject,
  target: VirtualTarget,
  where: { vcName: string; hostNamespace: string },
): KubeObject {
  // The kubelet's `<name>_<namespace>(<uid>)` ("Back-off restarting failed container c in pod ..."),
  // with the virtual pod's UID; `<host namespace>/<host name>` (the scheduler's "Successfully assigned
  // ns/pod to node"), so the tenant reads its own namespace there, as vCluster shows it; then the
  // bare name.
  const hostUid = (hostEvent.involvedObject as { uid?: string } | undefined)?.uid;
  const kubeletsHost = `${target.hostName}_${where.hostNamespace}`;
  const kubelets = `${target.name}_${target.namespace}`;
  const rewrite = (text: unknown): string | undefined =>
    typeof text === 'string'
      ? scrubHostNames(
          text
            .split(hostUid ? `${kubeletsHost}(${hostUid})` : kubeletsHost)
            .join(hostUid ? `${kubelets}(${target.uid})` : kubelets)
            .split(kubeletsHost)
            .join(kubelets)
            .split(`${where.hostNamespace}/${target.hostName}`)
            .join(`${target.namespace}/${target.name}`)
            .split(target.hostName)
            .join(target.name),
          where,
        )
      : undefined;
  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: virtualEventName(hostEvent, target.name), namespace: target.namespace },
    involvedObject: {
      apiVersion: target.apiVersion,
      kind: target.kind,
      name: target.name,
      namespace: target.namespace,
      uid: target.uid,
      fieldPath: (hostEvent.involvedObject as { fieldPath?: string } | undefined)?.fieldPath,
    },
    ...occurrenceOf(hostEvent),
    message: rewrite(hostEvent.message),
  };
  return event;
}

/**
 * The instance that reported a host event, unless it names a host control-plane machine: the
 * scheduler and controllers report as `<component>-<hostname>`, which stands as the component alone
 * (a kubelet reports as its node, which the tenant sees anyway).
 */
function reportingInstanceOf(hostEvent: KubeObject): string {
  const component = typeof hostEvent.reportingComponent === 'string' ? hostEvent.reportingComponent : '';
  const instance = typeof hostEvent.reportingInstance === 'string' ? hostEvent.reportingInstance : '';
  return component && instance.startsWith(`${component}-`) ? component : instance;
}

/** What a copy keeps of a host event as it is: reason, type, counts, times, source (not the message). */
function occurrenceOf(hostEvent: KubeObject): Record<string, unknown> {
  return {
    reason: hostEvent.reason,
    type: hostEvent.type,
    count: hostEvent.count,
    firstTimestamp: hostEvent.firstTimestamp,
    lastTimestamp: hostEvent.lastTimestamp,
    eventTime: hostEvent.eventTime,
    action: hostEvent.action,
    source: hostEvent.source,
    reportingComponent: hostEvent.reportingComponent ?? '',
    reportingInstance: reportingInstanceOf(hostEvent),
    ...(hostEvent.series ? { series: hostEvent.series } : {}),
  };
}

/** Fields that change as a host event repeats; the only ones we patch on an existing virtual event. */
export function eventUpdate(desired: KubeObject): Record<string, unknown> {
  return {
    count: desired.count,
    lastTimestamp: desired.lastTimestamp,
    message: desired.message,
    series: desired.series,
  };
}

/** Where vCluster shows a host event forced into the virtual cluster (`vcluster.loft.sh/force-sync`). */
export const FORCED_EVENT_NAMESPACE = 'default';
/** On such a copy: the host event's name, so the syncer updates its own copies and no tenant event. */
export const FORCED_FROM_ANNOTATION = 'vsyncer.dev/forced-from-host-event';

/**
 * The virtual copy of a host event the host's admin forced into the virtual cluster: under its own
 * name in `default`, about no object (the host object it concerns means nothing to the tenant), its
 * text as the admin wrote it, for the tenant.
 */
export function forcedVirtualEvent(hostEvent: KubeObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: hostEvent.metadata?.name,
      namespace: FORCED_EVENT_NAMESPACE,
      annotations: { [FORCED_FROM_ANNOTATION]: String(hostEvent.metadata?.name ?? '') },
    },
    involvedObject: { namespace: FORCED_EVENT_NAMESPACE },
    ...occurrenceOf(hostEvent),
    message: hostEvent.message,
  };
}

/** Whether a virtual event is the syncer's copy of that host event, and so one it may update. */
export function isForcedCopy(event: KubeObject, hostEventName: string): boolean {
  return event.metadata?.annotations?.[FORCED_FROM_ANNOTATION] === hostEventName;
}
