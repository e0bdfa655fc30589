import {
  malformedClusterObject,
  malformedDataObject,
  malformedEvent,
  malformedNetworkPolicy,
  malformedNode,
  malformedPod,
  malformedService,
} from './shape.ts';

type Path = (string | number)[];

/** A deep copy of obj with the value at path replaced (`undefined`: the field removed). */
function withValue(obj: unknown, path: Path, value: unknown): unknown {
  // Through JSON, as an API server sends it: objects shared in the fixtures become copies.
  const copy: unknown = JSON.parse(JSON.stringify(obj));
  let holder = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete holder[last];
  else holder[last] = value;
  return copy;
}

const metadata = {
  name: 'web',
  namespace: 'team',
  uid: 'u1',
  labels: { app: 'web' },
  annotations: { a: 'b' },
};
const selector = {
  matchLabels: { app: 'web' },
  matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }],
};

/** A pod that uses every field the pod translators read. */
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec: {
    volumes: [
      { name: 's', secret: { secretName: 'creds', optional: true } },
      { name: 'c', configMap: { name: 'cfg' } },
      {
        name: 'p',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 600 } },
            { secret: { name: 'creds' } },
            { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
            { clusterTrustBundle: { signerName: 'example.com/signer', path: 'ca.pem' } },
          ],
        },
      },
      { name: 'pvc', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'csi', csi: { driver: 'secrets-store.csi.k8s.io', nodePublishSecretRef: { name: 'creds' } } },
      { name: 'rbd', rbd: { monitors: ['10.0.0.1:6789'], image: 'img', secretRef: { name: 'creds' } } },
      {
        name: 'eph',
        ephemeral: {
          volumeClaimTemplate: {
            spec: {
              dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
            },
          },
        },
      },
    ],
    containers: [
      {
        name: 'main',
        image: 'nginx:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } },
          { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        ],
        envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CM_' }],
        volumeMounts: [{ name: 's', mountPath: '/mnt/s' }],
      },
    ],
    initContainers: [{ name: 'init', image: 'busybox' }],
    imagePullSecrets: [{ name: 'pull' }],
    resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu-template' }],
    subdomain: 'api',
    dnsPolicy: 'None',
    dnsConfig: { nameservers: ['8.8.8.8'], options: [{ name: 'ndots', value: '1' }] },
    hostAliases: [{ ip: '10.0.0.9', hostnames: ['db'] }],
    tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 10 }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
          ],
        },
      },
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: selector, namespaces: ['team'], topologyKey: 'kubernetes.io/hostname' },
        ],
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 1,
            podAffinityTerm: { labelSelector: selector, namespaceSelector: {}, topologyKey: 'zone' },
          },
        ],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'zone', labelSelector: selector, matchLabelKeys: ['app'] },
    ],
  },
};

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata,
  spec: {
    type: 'NodePort',
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP' }],
    clusterIP: '10.96.0.5',
    externalIPs: ['1.2.3.4'],
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } },
  },
};

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata,
  type: 'Opaque',
  data: { k: 'dg==' },
  immutable: true,
};
const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata,
  data: { k: 'v' },
  binaryData: { b: 'AAE=' },
};

const networkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata,
  spec: {
    podSelector: selector,
    ingress: [
      {
        ports: [{ protocol: 'TCP', port: 'http' }],
        from: [{ namespaceSelector: {}, podSelector: selector }],
      },
    ],
    egress: [
      {
        ports: [{ port: 53, endPort: 60 }],
        to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
      },
    ],
    policyTypes: ['Ingress', 'Egress'],
  },
};

const node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' }, annotations: { a: 'b' } },
  spec: { taints: [{ key: 'k', effect: 'NoSchedule' }], unschedulable: false, podCIDR: '10.244.0.0/24' },
  status: { conditions: [{ type: 'Ready', status: 'True' }], capacity: { cpu: '4' } },
};

const event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-x-team-x-vc.17a2b3c4d5e6f7a8', namespace: 'host-ns' },
  involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-x-team-x-vc', namespace: 'host-ns', uid: 'h1' },
  reason: 'Pulling',
  message: 'Pulling image "nginx:1"',
  type: 'Normal',
  count: 2,
  source: { component: 'kubelet', host: 'node-a' },
};

const storageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'gp3', labels: { a: 'b' }, annotations: { a: 'b' } },
  provisioner: 'ebs.csi.aws.com',
  // Every field but the metadata is copied as it is: its type is the host API server's business.
  parameters: { type: 'gp3' },
};

describe.each([
  ['malformedPod', malformedPod, pod],
  ['malformedService', malformedService, service],
  ['malformedDataObject (Secret)', malformedDataObject, secret],
  ['malformedDataObject (ConfigMap)', malformedDataObject, configMap],
  ['malformedNetworkPolicy', malformedNetworkPolicy, networkPolicy],
  ['malformedNode', malformedNode, node],
  ['malformedEvent', malformedEvent, event],
  ['malformedClusterObject', malformedClusterObject, storageClass],
] as const)('%s', (_name, malformed, valid) => {
  it('accepts a well-formed object', () => {
    expect(malformed(valid)).toBeUndefined();
  });

  it.each([
    ['a string', 'str'],
    ['a list', []],
    ['null', null],
  ])('refuses %s for the whole object', (_what, value) => {
    expect(malformed(value)).toBe('the object must be an object');
  });

  it('refuses an object without metadata', () => {
    expect(malformed(withValue(valid, ['metadata'], undefined))).toBe('metadata is required');
  });
});

/** [what, path, value (undefined: the field removed), the problem, or undefined when accepted]. */
type Row = [string, Path, unknown, string | undefined];

/** Metadata of namespaced objects: every kind copied to the host reads it the same way. */
const namespacedMetadataRows: Row[] = [
  ['no namespace', ['metadata', 'namespace'], undefined, 'metadata.namespace is required'],
  ['an empty namespace', ['metadata', 'namespace'], '', 'metadata.namespace must be a non-empty string'],
  [
    'a namespace that is a number',
    ['metadata', 'namespace'],
    0,
    'metadata.namespace must be a non-empty string',
  ],
  ['no name', ['metadata', 'name'], undefined, 'metadata.name is required'],
  ['a null name', ['metadata', 'name'], null, 'metadata.name is required'],
  ['a name that is a number', ['metadata', 'name'], 42, 'metadata.name must be a non-empty string'],
  ['a uid that is no string', ['metadata', 'uid'], 7, 'metadata.uid must be a string'],
  [
    'a label value that is no string',
    ['metadata', 'labels', 'app'],
    7,
    'metadata.labels["app"] must be a string',
  ],
  ['a null label value', ['metadata', 'labels', 'app'], null, 'metadata.labels["app"] must be a string'],
  ['labels as a list', ['metadata', 'labels'], ['app'], 'metadata.labels must be a map of strings'],
  ['labels as a string', ['metadata', 'labels'], 'app=web', 'metadata.labels must be a map of strings'],
  [
    'an annotation value that is an object',
    ['metadata', 'annotations', 'a'],
    { b: 1 },
    'metadata.annotations["a"] must be a string',
  ],
  ['null labels (absent, as for the API server)', ['metadata', 'labels'], null, undefined],
  [
    'a label value the API server would judge invalid (not a type problem)',
    ['metadata', 'labels', 'app'],
    'wéb',
    undefined,
  ],
  [
    'a name the API server would judge invalid (not a type problem)',
    ['metadata', 'name'],
    'Web_1',
    undefined,
  ],
];

const podRows: Row[] = [
  ...namespacedMetadataRows,
  ['spec as a string', ['spec'], 'str', 'spec must be an object'],
  ['spec as a list', ['spec'], [], 'spec must be an object'],
  ['no spec', ['spec'], undefined, 'spec is required'],
  ['no containers', ['spec', 'containers'], undefined, 'spec.containers is required'],
  ['containers as an object', ['spec', 'containers'], {}, 'spec.containers must be a list'],
  ['a null container', ['spec', 'containers', 1], null, 'spec.containers[1] must be an object'],
  [
    'a container without a name',
    ['spec', 'containers', 0, 'name'],
    undefined,
    'spec.containers[0].name is required',
  ],
  ['env as an object', ['spec', 'containers', 0, 'env'], {}, 'spec.containers[0].env must be a list'],
  [
    'a null env entry',
    ['spec', 'containers', 0, 'env', 0],
    null,
    'spec.containers[0].env[0] must be an object',
  ],
  [
    'a secret name that is a number',
    ['spec', 'containers', 0, 'env', 1, 'valueFrom', 'secretKeyRef', 'name'],
    42,
    'spec.containers[0].env[1].valueFrom.secretKeyRef.name must be a string',
  ],
  [
    'a field path that is a list',
    ['spec', 'containers', 0, 'env', 2, 'valueFrom', 'fieldRef', 'fieldPath'],
    ['metadata.uid'],
    'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath must be a string',
  ],
  [
    'envFrom as a string',
    ['spec', 'containers', 0, 'envFrom'],
    'cfg',
    'spec.containers[0].envFrom must be a list',
  ],
  [
    'a mount without a path',
    ['spec', 'containers', 0, 'volumeMounts', 0, 'mountPath'],
    undefined,
    'spec.containers[0].volumeMounts[0].mountPath is required',
  ],
  [
    'init containers as an object',
    ['spec', 'initContainers'],
    { name: 'init' },
    'spec.initContainers must be a list',
  ],
  ['volumes as a string', ['spec', 'volumes'], 'vol', 'spec.volumes must be a list'],
  ['a volume without a name', ['spec', 'volumes', 0, 'name'], undefined, 'spec.volumes[0].name is required'],
  [
    'a secret volume as a string',
    ['spec', 'volumes', 0, 'secret'],
    'creds',
    'spec.volumes[0].secret must be an object',
  ],
  [
    'optional as a string',
    ['spec', 'volumes', 0, 'secret', 'optional'],
    'yes',
    'spec.volumes[0].secret.optional must be a boolean',
  ],
  [
    'projected sources as an object',
    ['spec', 'volumes', 2, 'projected', 'sources'],
    {},
    'spec.volumes[2].projected.sources must be a list',
  ],
  [
    'a token source without a path',
    ['spec', 'volumes', 2, 'projected', 'sources', 0, 'serviceAccountToken', 'path'],
    undefined,
    'spec.volumes[2].projected.sources[0].serviceAccountToken.path is required',
  ],
  [
    'a CSI volume without a driver',
    ['spec', 'volumes', 4, 'csi', 'driver'],
    undefined,
    'spec.volumes[4].csi.driver is required',
  ],
  ['a null credential secret (absent)', ['spec', 'volumes', 5, 'rbd', 'secretRef'], null, undefined],
  [
    'a data source without a kind',
    ['spec', 'volumes', 6, 'ephemeral', 'volumeClaimTemplate', 'spec', 'dataSourceRef', 'kind'],
    undefined,
    'spec.volumes[6].ephemeral.volumeClaimTemplate.spec.dataSourceRef.kind is required',
  ],
  [
    'a pull secret as a string',
    ['spec', 'imagePullSecrets', 0],
    'pull',
    'spec.imagePullSecrets[0] must be an object',
  ],
  [
    'a resource claim without a name',
    ['spec', 'resourceClaims', 0, 'name'],
    undefined,
    'spec.resourceClaims[0].name is required',
  ],
  ['a subdomain that is a number', ['spec', 'subdomain'], 1, 'spec.subdomain must be a string'],
  [
    'nameservers as a string',
    ['spec', 'dnsConfig', 'nameservers'],
    '8.8.8.8',
    'spec.dnsConfig.nameservers must be a list',
  ],
  ['tolerations as an object', ['spec', 'tolerations'], {}, 'spec.tolerations must be a list'],
  [
    'node selector terms as an object',
    [
      'spec',
      'affinity',
      'nodeAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      'nodeSelectorTerms',
    ],
    {},
    'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms must be a list',
  ],
  [
    'expression values as a string',
    [
      'spec',
      'affinity',
      'podAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      0,
      'labelSelector',
      'matchExpressions',
      0,
      'values',
    ],
    'front',
    'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values must be a list',
  ],
  [
    'an expression without a key',
    [
      'spec',
      'affinity',
      'podAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      0,
      'labelSelector',
      'matchExpressions',
      0,
      'key',
    ],
    undefined,
    'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].key is required',
  ],
  [
    'a preferred term without its term',
    [
      'spec',
      'affinity',
      'podAffinity',
      'preferredDuringSchedulingIgnoredDuringExecution',
      0,
      'podAffinityTerm',
    ],
    undefined,
    'spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm is required',
  ],
  [
    'a namespace list with a number',
    ['spec', 'affinity', 'podAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 0, 'namespaces'],
    ['team', 7],
    'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces[1] must be a string',
  ],
  [
    'a selector label value that is null',
    ['spec', 'topologySpreadConstraints', 0, 'labelSelector', 'matchLabels', 'app'],
    null,
    'spec.topologySpreadConstraints[0].labelSelector.matchLabels["app"] must be a string',
  ],
  [
    'match label keys as a string',
    ['spec', 'topologySpreadConstraints', 0, 'matchLabelKeys'],
    'app',
    'spec.topologySpreadConstraints[0].matchLabelKeys must be a list',
  ],
  ['null volumes (absent)', ['spec', 'volumes'], null, undefined],
  ['a field no translator reads, of any type', ['spec', 'securityContext'], 'anything', undefined],
];

const serviceRows: Row[] = [
  ...namespacedMetadataRows,
  ['a spec as a list', ['spec'], [], 'spec must be an object'],
  ['no spec', ['spec'], undefined, undefined],
  [
    'a selector value that is a number',
    ['spec', 'selector', 'app'],
    1,
    'spec.selector["app"] must be a string',
  ],
  ['ports as an object', ['spec', 'ports'], { port: 80 }, 'spec.ports must be a list'],
  ['a null port', ['spec', 'ports', 0], null, 'spec.ports[0] must be an object'],
  ['a port without a number', ['spec', 'ports', 0, 'port'], undefined, 'spec.ports[0].port is required'],
  [
    'a target port that is a list',
    ['spec', 'ports', 0, 'targetPort'],
    [8080],
    'spec.ports[0].targetPort must be a number or a string',
  ],
  [
    'a node port as a string',
    ['spec', 'ports', 0, 'nodePort'],
    '30080',
    'spec.ports[0].nodePort must be a number',
  ],
  ['external IPs as a string', ['spec', 'externalIPs'], '1.2.3.4', 'spec.externalIPs must be a list'],
  ['a type that is a number', ['spec', 'type'], 1, 'spec.type must be a string'],
];

const dataRows: Row[] = [
  ...namespacedMetadataRows,
  ['data as a string', ['data'], 'dg==', 'data must be a map of strings'],
  ['a data value that is a number', ['data', 'k'], 1, 'data["k"] must be a string'],
  ['immutable as a string', ['immutable'], 'true', 'immutable must be a boolean'],
  ['no data', ['data'], undefined, undefined],
];

const networkPolicyRows: Row[] = [
  ...namespacedMetadataRows,
  ['a pod selector as a string', ['spec', 'podSelector'], 'app=web', 'spec.podSelector must be an object'],
  ['ingress as an object', ['spec', 'ingress'], {}, 'spec.ingress must be a list'],
  ['a null peer', ['spec', 'ingress', 0, 'from', 0], null, 'spec.ingress[0].from[0] must be an object'],
  [
    'a namespace selector with a number value',
    ['spec', 'ingress', 0, 'from', 0, 'namespaceSelector'],
    { matchLabels: { team: 1 } },
    'spec.ingress[0].from[0].namespaceSelector.matchLabels["team"] must be a string',
  ],
  [
    'an ipBlock without a CIDR',
    ['spec', 'egress', 0, 'to', 0, 'ipBlock', 'cidr'],
    undefined,
    'spec.egress[0].to[0].ipBlock.cidr is required',
  ],
  [
    'a port that is a boolean',
    ['spec', 'egress', 0, 'ports', 0, 'port'],
    true,
    'spec.egress[0].ports[0].port must be a number or a string',
  ],
  ['policy types as a string', ['spec', 'policyTypes'], 'Ingress', 'spec.policyTypes must be a list'],
];

/** Cluster-scoped host objects: a name, no namespace. */
const clusterMetadataRows: Row[] = [
  ['no name', ['metadata', 'name'], undefined, 'metadata.name is required'],
  ['an empty name', ['metadata', 'name'], '', 'metadata.name must be a non-empty string'],
  ['no namespace (cluster-scoped)', ['metadata', 'namespace'], undefined, undefined],
  ['labels as a list', ['metadata', 'labels'], [], 'metadata.labels must be a map of strings'],
  [
    'an annotation value that is a number',
    ['metadata', 'annotations', 'a'],
    1,
    'metadata.annotations["a"] must be a string',
  ],
];

const nodeRows: Row[] = [
  ...clusterMetadataRows,
  ['taints as an object', ['spec', 'taints'], {}, 'spec.taints must be a list'],
  ['unschedulable as a string', ['spec', 'unschedulable'], 'yes', 'spec.unschedulable must be a boolean'],
  ['a status as a string', ['status'], 'Ready', 'status must be an object'],
  ['a null condition', ['status', 'conditions', 0], null, 'status.conditions[0] must be an object'],
  ['a capacity of any shape (copied as it is)', ['status', 'capacity'], 'lots', undefined],
];

const eventRows: Row[] = [
  ['a name that is a number', ['metadata', 'name'], 42, 'metadata.name must be a non-empty string'],
  ['no involved object', ['involvedObject'], undefined, 'involvedObject is required'],
  ['an involved object as a string', ['involvedObject'], 'Pod/web', 'involvedObject must be an object'],
  [
    'an involved object without a kind',
    ['involvedObject', 'kind'],
    undefined,
    'involvedObject.kind is required',
  ],
  [
    'an involved name that is a number',
    ['involvedObject', 'name'],
    42,
    'involvedObject.name must be a non-empty string',
  ],
  ['a message that is a list', ['message'], ['x'], 'message must be a string'],
  ['a count that is a string', ['count'], '2', 'count must be a number'],
  ['no message', ['message'], undefined, undefined],
  ['no namespace (not read)', ['metadata', 'namespace'], undefined, undefined],
];

const clusterObjectRows: Row[] = [
  ...clusterMetadataRows,
  ['a copied field of any type', ['parameters'], 'str', undefined],
];

describe.each<[string, (obj: unknown) => string | undefined, unknown, Row[]]>([
  ['malformedPod', malformedPod, pod, podRows],
  ['malformedService', malformedService, service, serviceRows],
  ['malformedDataObject (Secret)', malformedDataObject, secret, dataRows],
  [
    'malformedDataObject (ConfigMap)',
    malformedDataObject,
    configMap,
    [...dataRows, ['binary data as a list', ['binaryData'], ['AAE='], 'binaryData must be a map of strings']],
  ],
  ['malformedNetworkPolicy', malformedNetworkPolicy, networkPolicy, networkPolicyRows],
  ['malformedNode', malformedNode, node, nodeRows],
  ['malformedEvent', malformedEvent, event, eventRows],
  ['malformedClusterObject', malformedClusterObject, storageClass, clusterObjectRows],
])('%s on one changed field', (_name, malformed, valid, rows) => {
  it.each(rows)('%s', (_what, path, value, problem) => {
    expect(malformed(withValue(valid, path, value))).toBe(problem);
  });
});

describe('messages', () => {
  it('quote a long map key only in part', () => {
    const key = `example.com/${'k'.repeat(500)}`;
    const problem = malformedPod(withValue(pod, ['metadata', 'labels', key], 1));
    expect(problem).toMatch(/^metadata\.labels\["example\.com\/k+…"\] must be a string$/);
    expect(problem!.length).toBeLessThan(120);
  });

  it('name the first problem in field order', () => {
    const broken = withValue(withValue(pod, ['metadata', 'name'], 1), ['spec'], 'str');
    expect(malformedPod(broken)).toBe('metadata.name must be a non-empty string');
  });
});

describe('frozen parts (as the caches keep them)', () => {
  /** A frozen pod spec whose containers are counted each time a check reads them. */
  function countedSpec(): { spec: object; reads: () => number } {
    let reads = 0;
    const containers = Object.freeze([Object.freeze({ name: 'main', image: 'app:1' })]);
    const spec = Object.freeze(
      Object.defineProperty({}, 'containers', {
        enumerable: true,
        get: () => {
          reads++;
          return containers;
        },
      }),
    );
    return { spec, reads: () => reads };
  }
  const metadata = { name: 'web', namespace: 'team' };

  it('are walked once when they fit: a later version of the pod sharing the spec is not walked again', () => {
    const { spec, reads } = countedSpec();
    expect(malformedPod({ metadata, spec })).toBeUndefined();
    const walked = reads();
    expect(walked).toBeGreaterThan(0);
    expect(malformedPod({ metadata: { ...metadata, resourceVersion: '2' }, spec })).toBeUndefined();
    expect(reads()).toBe(walked);
  });

  it('are walked again when they do not fit, and a part that is not frozen always is', () => {
    const broken = Object.freeze({ containers: Object.freeze([Object.freeze({ name: 1 })]) });
    expect(malformedPod({ metadata, spec: broken })).toBe('spec.containers[0].name must be a string');
    expect(malformedPod({ metadata, spec: broken })).toBe('spec.containers[0].name must be a string');
    const open: { containers: { name: unknown; image: string }[] } = {
      containers: [{ name: 'main', image: 'app:1' }],
    };
    expect(malformedPod({ metadata, spec: open })).toBeUndefined();
    open.containers[0]!.name = 1;
    expect(malformedPod({ metadata, spec: open })).toBe('spec.containers[0].name must be a string');
  });
});
