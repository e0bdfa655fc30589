/**
 * Shape checks run at the entry of each kind, before any translation. An API server never serves an
 * object whose fields have the wrong type, but a cache, a newer API version or a bug upstream can
 * hand one over, and the translators read fields as their declared types: on `spec: "str"` or
 * `env: {}` they would throw a TypeError (retried forever) or write a half-translated host object.
 * So each kind first asks whether the object has the shape its translator reads and refuses it
 * with a message naming the field (`spec.containers[1] must be an object`) when it does not.
 *
 * Only the fields the translators read or copy are checked, and only their JSON types (and the
 * presence of what they cannot do without): whether a name is a valid DNS label, a port in range,
 * is the API server's business, and the translators cope with any string or number. `null` in an
 * optional field reads as absent, as it does for the API server; a `null` list entry or map value
 * does not.
 */

/** A check of one JSON value at a path: what is wrong with it, or undefined when it fits. */
type Shape = (value: unknown, path: string) => string | undefined;

/** A JSON object (not null, not a list). */
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A map key as a message shows it: quoted, and short even when a hostile key is not. */
function quoteKey(key: string): string {
  const quoted = JSON.stringify(key);
  return quoted.length <= 66 ? quoted : `${quoted.slice(0, 63)}…"`;
}

const at = (path: string, field: string) => (path ? `${path}.${field}` : field);
/** The object itself, when the problem is at its root. */
const show = (path: string) => path || 'the object';

const string: Shape = (v, path) => (typeof v === 'string' ? undefined : `${show(path)} must be a string`);
const nonEmptyString: Shape = (v, path) =>
  typeof v === 'string' && v !== '' ? undefined : `${show(path)} must be a non-empty string`;
const boolean: Shape = (v, path) => (typeof v === 'boolean' ? undefined : `${show(path)} must be a boolean`);
const number: Shape = (v, path) => (typeof v === 'number' ? undefined : `${show(path)} must be a number`);
/** Ports by number or by name (targetPort, a network policy's port). */
const numberOrString: Shape = (v, path) =>
  typeof v === 'number' || typeof v === 'string' ? undefined : `${show(path)} must be a number or a string`;

/** Labels, annotations, selectors, data: string keys to string values. */
const stringMap: Shape = rememberingFits((v, path) => {
  if (!isRecord(v)) return `${show(path)} must be a map of strings`;
  for (const [key, value] of Object.entries(v))
    if (typeof value !== 'string') return `${path}[${quoteKey(key)}] must be a string`;
  return undefined;
});

/**
 * The shape, remembering the frozen values it found fitting. The caches freeze the parts they pool
 * (informer/subtree-pool.ts), so such a value never changes: the parts the pods of one workload
 * share (containers, volumes) and those a pod keeps from one version to the next (its spec, while
 * only its status moves) are walked once, not at every reconcile. Problems are not remembered: their
 * message names the path, and a problem is rare.
 */
function rememberingFits(shape: Shape): Shape {
  const fitting = new WeakSet<object>();
  return (v, path) => {
    const frozen = typeof v === 'object' && v !== null && Object.isFrozen(v);
    if (frozen && fitting.has(v)) return undefined;
    const problem = shape(v, path);
    if (frozen && !problem) fitting.add(v);
    return problem;
  };
}

/** A list whose every entry has the shape (a null entry included: a list has no optional entries). */
const listOf = (entry: Shape): Shape =>
  rememberingFits((v, path) => {
    if (!Array.isArray(v)) return `${show(path)} must be a list`;
    for (let i = 0; i < v.length; i++) {
      const problem = entry(v[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  });

/**
 * An object with these fields, each checked when present (undefined and null read as absent), and
 * the required ones present. Fields not listed are not looked at: the translators copy them as they are.
 */
const object = (fields: Record<string, Shape>, required: readonly string[] = []): Shape => {
  const checked = Object.entries(fields);
  return rememberingFits((v, path) => {
    if (!isRecord(v)) return `${show(path)} must be an object`;
    for (const field of required)
      if (v[field] === undefined || v[field] === null) return `${at(path, field)} is required`;
    for (const [field, shape] of checked) {
      const value = v[field];
      if (value === undefined || value === null) continue;
      const problem = shape(value, at(path, field));
      if (problem) return problem;
    }
    return undefined;
  });
};

// --- metadata and selectors -------------------------------------------------------------------------

/**
 * A namespaced object's metadata. The name and namespace make the host name and scope every label
 * and selector: without a namespace nothing could be scoped to one, so both must be there.
 */
const namespacedMetadata = object(
  {
    name: nonEmptyString,
    namespace: nonEmptyString,
    uid: string,
    labels: stringMap,
    annotations: stringMap,
  },
  ['name', 'namespace'],
);

/** A cluster-scoped object's metadata: copied under the same name. */
const clusterMetadata = object({ name: nonEmptyString, labels: stringMap, annotations: stringMap }, ['name']);

/** A label selector: its keys are translated like labels (naming/labels.ts). */
const labelSelector = object({
  matchLabels: stringMap,
  matchExpressions: listOf(
    object({ key: string, operator: string, values: listOf(string) }, ['key', 'operator']),
  ),
});

// --- pods -------------------------------------------------------------------------------------------

/** A reference to a Secret or ConfigMap by name (env, envFrom, volumes, pull secrets). */
const localReference = object({ name: string, optional: boolean });
const keyReference = object({ name: string, key: string, optional: boolean });
/** The downward API: a field path the translation rewrites to the annotations holding virtual values. */
const fieldReference = object({ fieldPath: string }, ['fieldPath']);
const downwardItems = listOf(object({ path: string, fieldRef: fieldReference }));
/** Volume types that only name a credential secret. */
const withSecretRef = object({ secretRef: localReference });
const dataSource = object({ apiGroup: string, kind: string, name: string, namespace: string }, [
  'kind',
  'name',
]);

const volume = object(
  {
    name: string,
    secret: object({ secretName: string, optional: boolean }),
    configMap: localReference,
    projected: object({
      sources: listOf(
        object({
          secret: localReference,
          configMap: localReference,
          serviceAccountToken: object({ path: string, audience: string, expirationSeconds: number }, [
            'path',
          ]),
          downwardAPI: object({ items: downwardItems }),
          clusterTrustBundle: object({ name: string, signerName: string }),
          podCertificate: object({ signerName: string }, ['signerName']),
        }),
      ),
    }),
    persistentVolumeClaim: object({ claimName: string }, ['claimName']),
    azureFile: object({ secretName: string }),
    csi: object({ driver: string, nodePublishSecretRef: localReference }, ['driver']),
    flexVolume: withSecretRef,
    iscsi: withSecretRef,
    rbd: withSecretRef,
    cephfs: withSecretRef,
    cinder: withSecretRef,
    scaleIO: withSecretRef,
    storageos: withSecretRef,
    // Names an Endpoints object of the pod's namespace.
    glusterfs: object({ endpoints: string }),
    downwardAPI: object({ items: downwardItems }),
    ephemeral: object({
      volumeClaimTemplate: object({ spec: object({ dataSource, dataSourceRef: dataSource }) }),
    }),
  },
  ['name'],
);

const container = object(
  {
    name: string,
    image: string,
    env: listOf(
      object(
        {
          name: string,
          value: string,
          valueFrom: object({
            fieldRef: fieldReference,
            secretKeyRef: keyReference,
            configMapKeyRef: keyReference,
          }),
        },
        ['name'],
      ),
    ),
    envFrom: listOf(object({ prefix: string, secretRef: localReference, configMapRef: localReference })),
    volumeMounts: listOf(object({ name: string, mountPath: string }, ['name', 'mountPath'])),
  },
  ['name'],
);

const nodeSelectorRequirement = object({ key: string, operator: string, values: listOf(string) }, [
  'key',
  'operator',
]);
const podAffinityTerm = object({
  labelSelector,
  namespaceSelector: labelSelector,
  namespaces: listOf(string),
  matchLabelKeys: listOf(string),
  mismatchLabelKeys: listOf(string),
  topologyKey: string,
});
const podAffinity = object({
  requiredDuringSchedulingIgnoredDuringExecution: listOf(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: listOf(
    object({ weight: number, podAffinityTerm }, ['podAffinityTerm']),
  ),
});

const podSpec = object(
  {
    containers: listOf(container),
    initContainers: listOf(container),
    ephemeralContainers: listOf(container),
    volumes: listOf(volume),
    imagePullSecrets: listOf(localReference),
    resourceClaims: listOf(
      object({ name: string, resourceClaimName: string, resourceClaimTemplateName: string }, ['name']),
    ),
    serviceAccountName: string,
    serviceAccount: string,
    automountServiceAccountToken: boolean,
    enableServiceLinks: boolean,
    hostNetwork: boolean,
    hostname: string,
    subdomain: string,
    os: object({ name: string }),
    dnsPolicy: string,
    dnsConfig: object({
      nameservers: listOf(string),
      searches: listOf(string),
      options: listOf(object({ name: string, value: string })),
    }),
    hostAliases: listOf(object({ ip: string, hostnames: listOf(string) })),
    nodeName: string,
    schedulerName: string,
    priorityClassName: string,
    priority: number,
    preemptionPolicy: string,
    activeDeadlineSeconds: number,
    tolerations: listOf(
      object({ key: string, operator: string, value: string, effect: string, tolerationSeconds: number }),
    ),
    schedulingGates: listOf(object({ name: string }, ['name'])),
    affinity: object({
      nodeAffinity: object({
        requiredDuringSchedulingIgnoredDuringExecution: object(
          {
            nodeSelectorTerms: listOf(
              object({
                matchExpressions: listOf(nodeSelectorRequirement),
                matchFields: listOf(nodeSelectorRequirement),
              }),
            ),
          },
          ['nodeSelectorTerms'],
        ),
      }),
      podAffinity,
      podAntiAffinity: podAffinity,
    }),
    topologySpreadConstraints: listOf(object({ labelSelector, matchLabelKeys: listOf(string) })),
  },
  ['containers'],
);

const pod = object({ metadata: namespacedMetadata, spec: podSpec }, ['metadata', 'spec']);

/**
 * What keeps a virtual pod from being translated (pods/translate.ts, the reference walker, the pod
 * policy and tokens read these fields), or undefined when it has the shape they read.
 */
export function malformedPod(obj: unknown): string | undefined {
  return pod(obj, '');
}

// --- services ---------------------------------------------------------------------------------------

const service = object(
  {
    metadata: namespacedMetadata,
    spec: object({
      type: string,
      // Scoped and translated like a label selector: a map of strings.
      selector: stringMap,
      ports: listOf(
        object(
          {
            name: string,
            protocol: string,
            port: number,
            targetPort: numberOrString,
            nodePort: number,
            appProtocol: string,
          },
          ['port'],
        ),
      ),
      clusterIP: string,
      clusterIPs: listOf(string),
      ipFamilies: listOf(string),
      ipFamilyPolicy: string,
      externalName: string,
      externalIPs: listOf(string),
      externalTrafficPolicy: string,
      internalTrafficPolicy: string,
      healthCheckNodePort: number,
      loadBalancerIP: string,
      loadBalancerClass: string,
      loadBalancerSourceRanges: listOf(string),
      allocateLoadBalancerNodePorts: boolean,
      sessionAffinity: string,
      sessionAffinityConfig: object({}),
      publishNotReadyAddresses: boolean,
      trafficDistribution: string,
    }),
  },
  ['metadata'],
);

/** What keeps a virtual Service from being translated (services/translate.ts), or undefined. */
export function malformedService(obj: unknown): string | undefined {
  return service(obj, '');
}

// --- endpoint slices --------------------------------------------------------------------------------

const endpointSlice = object(
  {
    metadata: namespacedMetadata,
    addressType: nonEmptyString,
    endpoints: listOf(
      object(
        {
          // IPs, or hostnames for FQDN slices: vetted one by one (shared/address-policy.ts).
          addresses: listOf(string),
          targetRef: object({ kind: string, name: string, namespace: string }),
          conditions: object({ ready: boolean, serving: boolean, terminating: boolean }),
          hostname: string,
          zone: string,
          hints: object({ forZones: listOf(object({ name: string })) }),
        },
        ['addresses'],
      ),
    ),
    ports: listOf(object({ name: string, protocol: string, port: number, appProtocol: string })),
  },
  ['metadata', 'addressType'],
);

/** What keeps a virtual EndpointSlice from being translated (endpointslices/translate.ts), or undefined. */
export function malformedEndpointSlice(obj: unknown): string | undefined {
  return endpointSlice(obj, '');
}

// --- config maps and secrets ------------------------------------------------------------------------

const dataObject = object(
  {
    metadata: namespacedMetadata,
    data: stringMap,
    binaryData: stringMap,
    type: string,
    immutable: boolean,
  },
  ['metadata'],
);

/**
 * What keeps a virtual ConfigMap or Secret from being copied (shared/data-object.ts and the secret
 * transform), or undefined. The payload is copied as it is, so it must be what the host accepts.
 */
export function malformedDataObject(obj: unknown): string | undefined {
  return dataObject(obj, '');
}

// --- network policies -------------------------------------------------------------------------------

const networkPolicyPeer = object({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: object({ cidr: string, except: listOf(string) }, ['cidr']),
});
const networkPolicyPorts = listOf(object({ protocol: string, port: numberOrString, endPort: number }));

const networkPolicy = object(
  {
    metadata: namespacedMetadata,
    spec: object({
      podSelector: labelSelector,
      ingress: listOf(object({ ports: networkPolicyPorts, from: listOf(networkPolicyPeer) })),
      egress: listOf(object({ ports: networkPolicyPorts, to: listOf(networkPolicyPeer) })),
      policyTypes: listOf(string),
    }),
  },
  ['metadata'],
);

/** What keeps a virtual NetworkPolicy from being translated (networkpolicies/translate.ts), or undefined. */
export function malformedNetworkPolicy(obj: unknown): string | undefined {
  return networkPolicy(obj, '');
}

// --- ingresses --------------------------------------------------------------------------------------

/** A backend: a Service of the Ingress's namespace, or a resource (which the translator refuses). */
const ingressBackend = object({
  service: object({ name: string, port: object({ name: string, number: number }) }, ['name']),
  resource: object({ apiGroup: string, kind: string, name: string }),
});

const ingress = object(
  {
    metadata: namespacedMetadata,
    spec: object({
      ingressClassName: string,
      defaultBackend: ingressBackend,
      tls: listOf(object({ hosts: listOf(string), secretName: string })),
      rules: listOf(
        object({
          host: string,
          http: object(
            {
              paths: listOf(object({ path: string, pathType: string, backend: ingressBackend }, ['backend'])),
            },
            ['paths'],
          ),
        }),
      ),
    }),
  },
  ['metadata'],
);

/** What keeps a virtual Ingress from being translated (ingresses/translate.ts), or undefined. */
export function malformedIngress(obj: unknown): string | undefined {
  return ingress(obj, '');
}

// --- from the host ----------------------------------------------------------------------------------

const node = object(
  {
    metadata: clusterMetadata,
    spec: object({
      taints: listOf(object({ key: string, value: string, effect: string })),
      unschedulable: boolean,
    }),
    // Compared without heartbeats, condition by condition (nodes/translate.ts).
    status: object({ conditions: listOf(object({})) }),
  },
  ['metadata'],
);

/** What keeps a host Node from being shown in the virtual cluster (nodes/translate.ts), or undefined. */
export function malformedNode(obj: unknown): string | undefined {
  return node(obj, '');
}

/**
 * A host event: the involved object finds the virtual object it is about, the name gives the
 * virtual event's suffix, the message is rewritten; the rest is copied onto a virtual event, which
 * the virtual API server would refuse with fields of the wrong type.
 */
const event = object(
  {
    metadata: object({ name: nonEmptyString }, ['name']),
    involvedObject: object(
      {
        kind: nonEmptyString,
        name: nonEmptyString,
        namespace: string,
        uid: string,
        apiVersion: string,
        fieldPath: string,
      },
      ['kind', 'name'],
    ),
    message: string,
    reason: string,
    type: string,
    action: string,
    count: number,
    firstTimestamp: string,
    lastTimestamp: string,
    eventTime: string,
    reportingComponent: string,
    reportingInstance: string,
    source: object({ component: string, host: string }),
    series: object({ count: number, lastObservedTime: string }),
  },
  ['metadata', 'involvedObject'],
);

/** What keeps a host Event from being copied into the virtual cluster (events/translate.ts), or undefined. */
export function malformedEvent(obj: unknown): string | undefined {
  return event(obj, '');
}

const clusterObject = object({ metadata: clusterMetadata }, ['metadata']);

/**
 * What keeps a cluster-scoped host object (a storage class, an ingress class...) from being shown
 * in the virtual cluster (shared/from-host.ts), or undefined. Only the metadata is read: every
 * other field is copied as it is.
 */
export function malformedClusterObject(obj: unknown): string | undefined {
  return clusterObject(obj, '');
}

// --- policy kinds (disruption budgets, priority classes, service accounts) ---------------------------

const podDisruptionBudget = object(
  {
    metadata: namespacedMetadata,
    spec: object({
      selector: labelSelector,
      minAvailable: numberOrString,
      maxUnavailable: numberOrString,
      unhealthyPodEvictionPolicy: string,
    }),
  },
  ['metadata'],
);

/** What keeps a virtual PodDisruptionBudget from being translated (poddisruptionbudgets/translate.ts), or undefined. */
export function malformedPodDisruptionBudget(obj: unknown): string | undefined {
  return podDisruptionBudget(obj, '');
}

/** The metadata of a cluster-scoped object copied to the host (its UID is recorded on the copy). */
const copiedClusterMetadata = object(
  { name: nonEmptyString, uid: string, labels: stringMap, annotations: stringMap },
  ['name'],
);

const priorityClass = object(
  {
    metadata: copiedClusterMetadata,
    value: number,
    description: string,
    preemptionPolicy: string,
    globalDefault: boolean,
  },
  ['metadata', 'value'],
);

/** What keeps a virtual PriorityClass from being copied to the host (priorityclasses/translate.ts), or undefined. */
export function malformedPriorityClass(obj: unknown): string | undefined {
  return priorityClass(obj, '');
}

const storageClass = object(
  {
    metadata: copiedClusterMetadata,
    provisioner: nonEmptyString,
    parameters: stringMap,
    reclaimPolicy: string,
    mountOptions: listOf(string),
    allowVolumeExpansion: boolean,
    volumeBindingMode: string,
    allowedTopologies: listOf(object({})),
  },
  ['metadata', 'provisioner'],
);

/** What keeps a virtual StorageClass from being copied to the host (storageclasses/translate.ts), or undefined. */
export function malformedStorageClass(obj: unknown): string | undefined {
  return storageClass(obj, '');
}

/** A virtual ServiceAccount: only its metadata is copied (no secrets, no pull secrets). */
const serviceAccount = object({ metadata: namespacedMetadata }, ['metadata']);

/** What keeps a virtual ServiceAccount from being copied to the host (serviceaccounts/translate.ts), or undefined. */
export function malformedServiceAccount(obj: unknown): string | undefined {
  return serviceAccount(obj, '');
}

const namespacedHostObject = object({ metadata: namespacedMetadata }, ['metadata']);

/**
 * What keeps a namespaced host object (a CSIStorageCapacity) from being shown in the virtual
 * cluster, or undefined. Only the metadata is read: every other field is copied as it is.
 */
export function malformedNamespacedHostObject(obj: unknown): string | undefined {
  return namespacedHostObject(obj, '');
}
