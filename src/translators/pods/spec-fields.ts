import type { PodSpec } from '../../kube/types.ts';

/**
 * The PodSpec fields (as of Kubernetes 1.37) whose host meaning the pod translation was reviewed
 * for: each is copied, rewritten, checked or dropped on purpose (translate.ts, pod-policy.ts,
 * pod-security.ts, reference-walker.ts). A field that is not here is left off the host pod: an API
 * server newer than this syncer may serve fields that name objects by plain name, and in the
 * shared host namespace such a name is any tenant's object. Left off on purpose too:
 * `workloadRef` and `schedulingGroup` name a Workload or PodGroup of the pod's namespace, never
 * copied to the host (on the host the name would join another tenant's gang, with its priority and
 * its minimum count), and `evictionResponders` name host controllers that a node drain would wait on.
 */
const REVIEWED_POD_SPEC_FIELDS: ReadonlySet<string> = new Set([
  'volumes',
  'initContainers',
  'containers',
  'ephemeralContainers',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'dnsPolicy',
  'nodeSelector',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'nodeName',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'shareProcessNamespace',
  'securityContext',
  'imagePullSecrets',
  'hostname',
  'subdomain',
  'affinity',
  'schedulerName',
  'tolerations',
  'hostAliases',
  'priorityClassName',
  'priority',
  'dnsConfig',
  'readinessGates',
  'runtimeClassName',
  'enableServiceLinks',
  'preemptionPolicy',
  'overhead',
  'topologySpreadConstraints',
  'setHostnameAsFQDN',
  'os',
  'hostUsers',
  'schedulingGates',
  'resourceClaims',
  'resources',
  'hostnameOverride',
]);

/** The fields of a tenant's pod spec the host pod may not get (see REVIEWED_POD_SPEC_FIELDS). */
export function unreviewedPodSpecFields(spec: PodSpec): string[] {
  return Object.keys(spec).filter((field) => !REVIEWED_POD_SPEC_FIELDS.has(field));
}

/** Takes the unreviewed fields off a pod spec (a copy the caller owns). */
export function dropUnreviewedPodSpecFields(spec: PodSpec): void {
  const record = spec as unknown as Record<string, unknown>;
  for (const field of unreviewedPodSpecFields(spec)) delete record[field];
}
