/**
 * Seeded generators of virtual (and host) objects for the translator fuzz test: plausible objects,
 * hostile but valid ones (names with `-x-`, maximum lengths, reserved and forged metadata, every
 * volume and reference type), and malformed ones (wrong types, missing required fields, `__proto__`
 * keys), so the translators meet what a tenant or a broken upstream could hand them.
 *
 * Each generated object says whether the API server would serve it: `valid` means every field has
 * its declared type and the required fields are there (the translators must never throw on those);
 * the fuzz test holds malformed objects to a weaker rule. Nothing here is random without a seed, so
 * a failing case is reproduced from the seed and the case index alone.
 */

type Obj = Record<string, unknown>;

/** mulberry32: small, fast, and good enough to drive a fuzzer; the same seed gives the same stream. */
export class Rng {
  // A typed array keeps the 32-bit state unboxed: the generator runs millions of times per test.
  private readonly state = new Uint32Array(1);

  constructor(seed: number) {
    this.state[0] = seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state[0] = this.state[0]! + 0x6d2b79f5;
    const s = this.state[0]!;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  times<T>(min: number, max: number, make: (i: number) => T): T[] {
    const n = this.int(min, max);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(make(i));
    return out;
  }
}

/** The seed of one case: every case has its own stream, so one case replays without the others. */
export function caseSeed(seed: number, index: number): number {
  let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/** One generated object and what is known about it. */
export interface Generated {
  value: Obj;
  /** The API server would serve it: well-typed, required fields present, names unique where required. */
  valid: boolean;
  /** What makes it interesting (hostile features and corruptions), for failure messages and counts. */
  traits: string[];
  /** Every name the generator put in a field that names another namespaced object. */
  refNames: string[];
}

/** Collects validity, traits and reference names while one object is built. */
export class Builder {
  readonly rng: Rng;
  valid = true;
  readonly traits: string[] = [];
  readonly refNames: string[] = [];

  constructor(rng: Rng) {
    this.rng = rng;
  }

  invalid(trait: string): void {
    this.valid = false;
    this.traits.push(trait);
  }

  hostile(trait: string): void {
    this.traits.push(trait);
  }

  done(value: Obj): Generated {
    return { value, valid: this.valid, traits: this.traits, refNames: this.refNames };
  }
}

// --- names ----------------------------------------------------------------------------------------

const WORDS = ['web', 'db', 'api', 'cache', 'worker', 'front', 'job', 'team', 'prod', 'a', 'b', 'x'];
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LABEL_CHARS = `${ALNUM}-`;

/** n characters of the alphabet (at most 64 letters): five per draw, so long names stay cheap. */
function chars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  while (s.length < n) {
    let bits = Math.floor(rng.next() * 2 ** 30);
    for (let k = 0; k < 5 && s.length < n; k++, bits >>>= 6) s += alphabet[(bits & 63) % alphabet.length];
  }
  return s;
}

/** A DNS label of exactly n characters (1..63): alphanumeric at both ends, `-` allowed inside. */
function labelOfLength(rng: Rng, n: number): string {
  if (n === 1) return chars(rng, ALNUM, 1);
  return chars(rng, ALNUM, 1) + chars(rng, LABEL_CHARS, n - 2) + chars(rng, ALNUM, 1);
}

/** A valid DNS label (namespaces, container and volume names), often a hostile one. */
export function dnsLabel(b: Builder, opts: { avoid?: readonly string[] } = {}): string {
  const { rng } = b;
  for (;;) {
    let out: string;
    switch (rng.int(0, 9)) {
      case 0:
        out = rng.pick(WORDS);
        break;
      case 1:
      case 2:
        out = `${rng.pick(WORDS)}-${rng.int(0, 99)}`;
        break;
      case 3:
        b.hostile('name-with-x');
        out = `${rng.pick(WORDS)}-x-${rng.pick(WORDS)}`;
        break;
      case 4:
        b.hostile('name-like-host-name');
        out = `${rng.pick(WORDS)}-x-${rng.pick(WORDS)}-x-vc`;
        break;
      case 5:
        b.hostile('name-63');
        out = labelOfLength(rng, 63);
        break;
      case 6:
        out = labelOfLength(rng, rng.int(1, 62));
        break;
      case 7:
        out = rng.pick(['kubernetes', 'default', 'kube-system', 'vc', 'vsyncer-absent-reference', '0']);
        break;
      default:
        out = `${rng.pick(WORDS)}${rng.int(0, 9)}`;
    }
    if (!opts.avoid?.includes(out)) return out;
  }
}

/** A valid DNS subdomain (object names), up to the 253-character maximum. */
export function dnsSubdomain(b: Builder): string {
  const { rng } = b;
  switch (rng.int(0, 5)) {
    case 0:
      b.hostile('name-253');
      return [63, 63, 63, 61].map((n) => labelOfLength(rng, n)).join('.');
    case 1:
      b.hostile('name-with-dots');
      return rng.times(2, 4, () => dnsLabel(b)).join('.');
    case 2:
      b.hostile('name-over-63');
      return labelOfLength(rng, rng.int(52, 63)) + '.' + labelOfLength(rng, rng.int(1, 20));
    default:
      return dnsLabel(b);
  }
}

/** A name the API server refuses, or a value that is not a string at all. */
export function invalidName(b: Builder): unknown {
  b.invalid('invalid-name');
  return b.rng.pick<unknown>([
    '',
    'Web',
    'wéb',
    'we b',
    '-web',
    'web-',
    'a'.repeat(300),
    'a_b',
    '日本',
    '..',
    'a/b',
    'a\u0000b',
    '\u202eevil',
    42,
    null,
    ['web'],
    { name: 'web' },
    true,
  ]);
}

/** A name for a referenced Secret / ConfigMap / PVC / claim: recorded, so the test can look for it raw. */
function refName(b: Builder): string {
  const { rng } = b;
  let name: string;
  switch (rng.int(0, 9)) {
    case 0:
      b.hostile('ref-like-host-name');
      name = `${rng.pick(['db', 'tls'])}-x-${rng.pick(['other', 'team'])}-x-vc`;
      break;
    case 1:
      b.hostile('ref-like-token-secret');
      name = `vsyncer-token-${chars(rng, '0123456789abcdef', 32)}`;
      break;
    case 2:
      b.hostile('ref-253');
      name = [63, 63, 63, 61].map((n) => labelOfLength(rng, n)).join('.');
      break;
    case 3:
      b.hostile('ref-system-name');
      name = rng.pick([
        'kube-root-ca.crt',
        'default-token-abcde',
        'vsyncer-absent-reference',
        'vc',
        'vc-certs',
      ]);
      break;
    case 4:
      b.hostile('ref-63');
      name = `ref-${labelOfLength(rng, 59)}`;
      break;
    default:
      name = `${rng.pick(['creds', 'cfg', 'tls', 'data', 'pull', 'claim'])}-ref-${rng.int(0, 999)}`;
  }
  b.refNames.push(name);
  return name;
}

// --- labels and annotations -----------------------------------------------------------------------

/** Label keys a tenant may write, hostile ones included (reserved, the syncer's own, denied, prototype names). */
const LABEL_KEYS = [
  'app',
  'tier',
  'app.kubernetes.io/name',
  'release',
  'vcluster.loft.sh/managed-by',
  'vcluster.loft.sh/namespace',
  'vcluster.loft.sh/controlled-by',
  'vcluster.loft.sh/label-vc-x-0123456789',
  'vcluster.loft.sh/ns-label-vc-x-abcdef0123',
  'vcluster.loft.sh/object-name',
  'vsyncer.dev/managed',
  'aadpodidbinding',
  'azure.workload.identity/use',
  'iam.gke.io/gke-metadata-server-enabled',
  'kubernetes.io/hostname',
  'pod-security.kubernetes.io/enforce',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
];

const LABEL_VALUES = ['web', 'vc', 'other-vc', 'true', '', 'team', 'host-ns', 'a'.repeat(63), 'v1.2_3-x'];

function labelValue(b: Builder): unknown {
  if (b.rng.chance(0.02)) {
    b.invalid('invalid-label-value');
    return b.rng.pick<unknown>(['wéb', 'a'.repeat(64), 7, null, ['x'], { v: 1 }]);
  }
  return b.rng.pick(LABEL_VALUES);
}

/** A label map: usually small, sometimes hundreds of keys; reserved and forged keys are common. */
export function labels(b: Builder): Obj {
  const { rng } = b;
  const out: Obj = {};
  const n = rng.chance(0.05) ? rng.int(100, 300) : rng.int(0, 6);
  if (n > 100) b.hostile('huge-label-map');
  for (let i = 0; i < n; i++) {
    const key =
      i >= 20 || rng.chance(0.3) ? `example.com/k${i}-${chars(rng, ALNUM, 6)}` : rng.pick(LABEL_KEYS);
    if (key.startsWith('vcluster.loft.sh/') || key === 'release') b.hostile('reserved-label');
    out[key] = labelValue(b);
  }
  if (rng.chance(0.01)) {
    b.invalid('label-key-invalid');
    out[rng.pick(['Bad Key', 'é', '-x', 'a/b/c', `${'k'.repeat(64)}`])] = 'v';
  }
  return out;
}

/** Annotation keys a tenant may write: forged ownership, the syncer's markers, denied host hooks. */
const ANNOTATION_KEYS = [
  'note',
  'description',
  'vcluster.loft.sh/object-name',
  'vcluster.loft.sh/object-namespace',
  'vcluster.loft.sh/object-uid',
  'vcluster.loft.sh/object-kind',
  'vcluster.loft.sh/object-host-name',
  'vcluster.loft.sh/object-host-namespace',
  'vcluster.loft.sh/managed-labels',
  'vcluster.loft.sh/managed-annotations',
  'vcluster.loft.sh/name',
  'vcluster.loft.sh/namespace',
  'vcluster.loft.sh/uid',
  'vcluster.loft.sh/labels',
  'vcluster.loft.sh/service-account-name',
  'vcluster.loft.sh/hosts-rewritten',
  'vcluster.loft.sh/disable-subdomain-rewrite',
  'iam.amazonaws.com/role',
  'eks.amazonaws.com/role-arn',
  'vault.hashicorp.com/agent-inject',
  'iam.gke.io/gcp-service-account',
  'azure.workload.identity/client-id',
  'container.apparmor.security.beta.kubernetes.io/main-0',
  'kubernetes.io/service-account.name',
  'kubernetes.io/service-account.uid',
  'kubectl.kubernetes.io/last-applied-configuration',
  'constructor',
  'toString',
];

const ANNOTATION_VALUES = [
  'x',
  '',
  'true',
  'other',
  'kube-system',
  '/v1, Kind=Secret',
  'arn:aws:iam::123456789012:role/admin',
  '日本語 ✓ \u202e\u0000',
  'line1\nline2',
  '{"apiVersion":"v1"}',
  'unconfined',
];

export function annotations(b: Builder): Obj {
  const { rng } = b;
  const out: Obj = {};
  for (let i = rng.int(0, 5); i > 0; i--) {
    const key = rng.pick(ANNOTATION_KEYS);
    if (key.startsWith('vcluster.loft.sh/')) b.hostile('forged-annotation');
    out[key] = rng.chance(0.02) ? 'z'.repeat(rng.int(1000, 20000)) : rng.pick(ANNOTATION_VALUES);
  }
  if (rng.chance(0.02)) {
    b.invalid('annotation-value-not-string');
    out[rng.pick(ANNOTATION_KEYS)] = rng.pick<unknown>([1, null, { a: 'b' }, ['x'], false]);
  }
  return out;
}

/** Namespaced object metadata: name, namespace, uid, labels, annotations, each possibly broken. */
export function metadata(b: Builder): Obj {
  const { rng } = b;
  const meta: Obj = {
    name: rng.chance(0.03) ? invalidName(b) : dnsSubdomain(b),
    namespace: rng.chance(0.02) ? invalidName(b) : dnsLabel(b),
    uid: `${chars(rng, '0123456789abcdef', 8)}-${chars(rng, '0123456789abcdef', 4)}`,
    resourceVersion: String(rng.int(1, 99999)),
    labels: labels(b),
    annotations: annotations(b),
  };
  if (rng.chance(0.02)) {
    b.invalid('no-namespace');
    delete meta.namespace;
  }
  if (rng.chance(0.01)) {
    b.invalid('no-name');
    delete meta.name;
  }
  if (rng.chance(0.05)) {
    b.hostile('owner-references');
    meta.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'x', controller: true },
    ];
  }
  return meta;
}

// --- selectors ------------------------------------------------------------------------------------

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function labelSelector(b: Builder): Obj {
  const { rng } = b;
  const selector: Obj = {};
  if (rng.chance(0.7)) {
    const matchLabels: Obj = {};
    for (let i = rng.int(0, 3); i > 0; i--) matchLabels[rng.pick(LABEL_KEYS)] = rng.pick(LABEL_VALUES);
    selector.matchLabels = matchLabels;
  }
  if (rng.chance(0.4)) {
    selector.matchExpressions = rng.times(1, 3, () => {
      const operator = rng.pick(OPERATORS);
      const key = rng.pick(LABEL_KEYS);
      return operator === 'In' || operator === 'NotIn'
        ? { key, operator, values: rng.times(1, 3, () => rng.pick(LABEL_VALUES)) }
        : { key, operator };
    });
  }
  return selector;
}

// --- pods -----------------------------------------------------------------------------------------

const FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.labels',
  'metadata.annotations',
  "metadata.labels['app']",
  "metadata.annotations['vcluster.loft.sh/object-host-name']",
  'spec.serviceAccountName',
  'spec.nodeName',
  'status.podIP',
  'status.hostIP',
];

function downwardItems(b: Builder): Obj[] {
  return b.rng.times(1, 3, (i) => ({ path: `f${i}`, fieldRef: { fieldPath: b.rng.pick(FIELD_PATHS) } }));
}

function projectedSource(b: Builder): Obj {
  const { rng } = b;
  switch (rng.int(0, 7)) {
    case 0:
    case 1:
      b.hostile('service-account-token');
      return {
        serviceAccountToken: {
          path: `token-${rng.int(0, 9)}`,
          ...(rng.chance(0.5)
            ? { audience: rng.pick(['vault', 'sts.amazonaws.com', 'https://kubernetes.default.svc']) }
            : {}),
          ...(rng.chance(0.3) ? { expirationSeconds: rng.pick([600, 3600, 86400]) } : {}),
        },
      };
    case 2:
      return { secret: { name: refName(b), ...(rng.chance(0.3) ? { optional: rng.chance(0.5) } : {}) } };
    case 3:
      return { configMap: { name: refName(b), ...(rng.chance(0.3) ? { optional: true } : {}) } };
    case 4:
      return { downwardAPI: { items: downwardItems(b) } };
    case 5:
      b.hostile('cluster-trust-bundle');
      return {
        clusterTrustBundle: rng.chance(0.5)
          ? { name: rng.pick(['host-ca', 'example.com:signer:abc']), path: 'ca.pem' }
          : {
              signerName: rng.pick(['example.com/signer', 'kubernetes.io/kube-apiserver-client']),
              labelSelector: {},
              path: 'ca.pem',
            },
      };
    case 6:
      b.hostile('pod-certificate');
      return {
        podCertificate: {
          signerName: rng.pick(['example.com/signer', 'kubernetes.io/kube-apiserver-client-pod']),
          keyType: 'ED25519',
          credentialBundlePath: 'creds.pem',
        },
      };
    default:
      return { secret: { name: refName(b), items: [{ key: 'k', path: 'p' }] } };
  }
}

const VOLUME_TYPES = [
  'secret',
  'configMap',
  'projected',
  'csi',
  'hostPath',
  'ephemeral',
  'persistentVolumeClaim',
  'azureFile',
  'flexVolume',
  'emptyDir',
  'downwardAPI',
  'iscsi',
  'rbd',
  'cephfs',
  'cinder',
  'scaleIO',
  'storageos',
  'nfs',
  'glusterfs',
  'image',
  'gitRepo',
] as const;

function volume(b: Builder, name: string): Obj {
  const { rng } = b;
  const type = rng.pick(VOLUME_TYPES);
  b.hostile(`volume-${type}`);
  const secretRef = () => ({ name: refName(b) });
  switch (type) {
    case 'secret':
      return {
        name,
        secret: {
          secretName: refName(b),
          ...(rng.chance(0.3) ? { optional: rng.chance(0.5) } : {}),
          defaultMode: 420,
        },
      };
    case 'configMap':
      return { name, configMap: { name: refName(b), ...(rng.chance(0.3) ? { optional: true } : {}) } };
    case 'projected':
      return { name, projected: { sources: rng.times(0, 5, () => projectedSource(b)) } };
    case 'csi':
      return {
        name,
        csi: {
          driver: rng.pick(['secrets-store.csi.k8s.io', 'ebs.csi.aws.com', 'image.csi.k8s.io']),
          ...(rng.chance(0.5) ? { nodePublishSecretRef: secretRef() } : {}),
          volumeAttributes: { secretProviderClass: 'spc', path: '/' },
        },
      };
    case 'hostPath':
      return { name, hostPath: { path: rng.pick(['/', '/var/run/docker.sock', '/etc']), type: '' } };
    case 'ephemeral': {
      const spec: Obj = {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...(rng.chance(0.3) ? { storageClassName: rng.pick(['standard', 'host-only']) } : {}),
        ...(rng.chance(0.2) ? { volumeName: 'pv-of-someone-else' } : {}),
        ...(rng.chance(0.2) ? { selector: { matchLabels: { owner: 'other' } } } : {}),
      };
      if (rng.chance(0.5))
        spec.dataSource = rng.chance(0.5)
          ? { kind: 'PersistentVolumeClaim', name: refName(b) }
          : { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: refName(b) };
      if (rng.chance(0.5))
        spec.dataSourceRef = {
          apiGroup: rng.pick(['', 'snapshot.storage.k8s.io', 'example.com']),
          kind: rng.pick(['PersistentVolumeClaim', 'VolumeSnapshot', 'Secret']),
          name: refName(b),
          ...(rng.chance(0.5) ? { namespace: rng.pick(['kube-system', 'other', 'host-ns']) } : {}),
        };
      return {
        name,
        ephemeral: {
          volumeClaimTemplate: {
            ...(rng.chance(0.3) ? { metadata: { labels: { a: 'b' }, annotations: { x: 'y' } } } : {}),
            spec,
          },
        },
      };
    }
    case 'persistentVolumeClaim':
      return { name, persistentVolumeClaim: { claimName: refName(b), readOnly: rng.chance(0.5) } };
    case 'azureFile':
      return { name, azureFile: { secretName: refName(b), shareName: 'share' } };
    case 'flexVolume':
      return {
        name,
        flexVolume: {
          driver: 'example.com/flex',
          ...(rng.chance(0.7) ? { secretRef: secretRef() } : {}),
          options: { a: 'b' },
        },
      };
    case 'emptyDir':
      return { name, emptyDir: rng.chance(0.5) ? {} : { medium: 'Memory', sizeLimit: '1Gi' } };
    case 'downwardAPI':
      return { name, downwardAPI: { items: downwardItems(b) } };
    case 'iscsi':
      return {
        name,
        iscsi: {
          targetPortal: '10.0.0.1:3260',
          iqn: 'iqn.2001-04.com.example:storage',
          lun: 0,
          secretRef: secretRef(),
        },
      };
    case 'rbd':
      return { name, rbd: { monitors: ['10.0.0.1:6789'], image: 'img', secretRef: secretRef() } };
    case 'cephfs':
      return { name, cephfs: { monitors: ['10.0.0.1:6789'], secretRef: secretRef() } };
    case 'cinder':
      return { name, cinder: { volumeID: 'vol', secretRef: secretRef() } };
    case 'scaleIO':
      return { name, scaleIO: { gateway: 'gw', system: 'sys', secretRef: secretRef() } };
    case 'storageos':
      return { name, storageos: { volumeName: 'v', secretRef: secretRef() } };
    case 'nfs':
      return { name, nfs: { server: '10.0.0.2', path: '/exports' } };
    case 'glusterfs':
      // `endpoints` names an Endpoints object of the pod's namespace.
      return { name, glusterfs: { endpoints: refName(b), path: 'vol' } };
    case 'image':
      return { name, image: { reference: 'registry.example/data:1', pullPolicy: 'IfNotPresent' } };
    case 'gitRepo':
      return { name, gitRepo: { repository: 'https://example.com/repo.git' } };
  }
}

function envVar(b: Builder, i: number): Obj {
  const { rng } = b;
  const name = rng.chance(0.1)
    ? rng.pick(['KUBERNETES_SERVICE_HOST', 'KUBERNETES_PORT', 'PATH'])
    : `VAR_${i}`;
  switch (rng.int(0, 5)) {
    case 0:
      return {
        name,
        valueFrom: {
          secretKeyRef: { name: refName(b), key: 'k', ...(rng.chance(0.3) ? { optional: true } : {}) },
        },
      };
    case 1:
      return {
        name,
        valueFrom: {
          configMapKeyRef: { name: refName(b), key: 'k', ...(rng.chance(0.3) ? { optional: false } : {}) },
        },
      };
    case 2:
      return { name, valueFrom: { fieldRef: { fieldPath: rng.pick(FIELD_PATHS) } } };
    case 3:
      return { name, valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } };
    default:
      return { name, value: rng.pick(['1', '', 'x'.repeat(100)]) };
  }
}

function securityContext(b: Builder): Obj {
  const { rng } = b;
  const sc: Obj = {};
  if (rng.chance(0.15)) {
    b.hostile('privileged');
    sc.privileged = true;
  }
  if (rng.chance(0.3)) sc.allowPrivilegeEscalation = rng.chance(0.7) ? false : true;
  if (rng.chance(0.3)) sc.runAsNonRoot = rng.chance(0.7);
  if (rng.chance(0.2)) sc.runAsUser = rng.pick([0, 1000, 65534]);
  if (rng.chance(0.3))
    sc.capabilities = {
      ...(rng.chance(0.6) ? { drop: ['ALL'] } : {}),
      ...(rng.chance(0.3)
        ? { add: [rng.pick(['NET_ADMIN', 'SYS_ADMIN', 'NET_BIND_SERVICE', 'CHOWN'])] }
        : {}),
    };
  if (rng.chance(0.3)) sc.seccompProfile = { type: rng.pick(['RuntimeDefault', 'Localhost', 'Unconfined']) };
  if (rng.chance(0.05)) sc.procMount = 'Unmasked';
  if (rng.chance(0.05)) sc.appArmorProfile = { type: rng.pick(['Unconfined', 'RuntimeDefault']) };
  if (rng.chance(0.05)) sc.seLinuxOptions = { type: rng.pick(['spc_t', 'container_t']), user: 'root' };
  if (rng.chance(0.03)) sc.windowsOptions = { hostProcess: true };
  return sc;
}

function container(
  b: Builder,
  name: string,
  volumeNames: string[],
  kind: 'init' | 'main' | 'ephemeral',
): Obj {
  const { rng } = b;
  const c: Obj = {
    name,
    image: rng.pick(['nginx:1', 'busybox', 'registry.example/app@sha256:abc', 'a-x-b-x-vc']),
  };
  if (rng.chance(0.6)) c.env = rng.times(1, 4, (i) => envVar(b, i));
  if (rng.chance(0.3))
    c.envFrom = rng.times(1, 2, () =>
      rng.chance(0.5)
        ? { secretRef: { name: refName(b), ...(rng.chance(0.3) ? { optional: true } : {}) } }
        : { configMapRef: { name: refName(b) }, ...(rng.chance(0.3) ? { prefix: 'CM_' } : {}) },
    );
  if (volumeNames.length && rng.chance(0.6)) {
    const mounts = new Set<string>();
    c.volumeMounts = rng.times(1, volumeNames.length, () => {
      const volumeName = rng.pick(volumeNames);
      let mountPath = rng.chance(0.1) ? rng.pick(['/etc/hosts', '/etc/hosts/']) : `/mnt/${volumeName}`;
      if (mounts.has(mountPath)) mountPath = `${mountPath}-${mounts.size}`;
      mounts.add(mountPath);
      return { name: volumeName, mountPath };
    });
    if (c.volumeMounts && (c.volumeMounts as Obj[]).some((m) => String(m.mountPath).startsWith('/etc/hosts')))
      b.hostile('mounts-etc-hosts');
  }
  if (rng.chance(0.4)) c.securityContext = securityContext(b);
  if (kind !== 'ephemeral') {
    if (rng.chance(0.2)) {
      c.ports = [{ containerPort: 8080, ...(rng.chance(0.3) ? { hostPort: 80 } : {}) }];
    }
    if (rng.chance(0.15))
      c.livenessProbe = {
        httpGet: { path: '/', port: 8080, ...(rng.chance(0.4) ? { host: '169.254.169.254' } : {}) },
      };
    if (rng.chance(0.2)) c.resources = { limits: { cpu: '1', memory: '1Gi' } };
  } else if (rng.chance(0.5)) {
    c.targetContainerName = 'main-0';
  }
  return c;
}

function affinityTerm(b: Builder): Obj {
  const { rng } = b;
  const term: Obj = { topologyKey: rng.pick(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']) };
  const hasSelector = rng.chance(0.8);
  if (hasSelector) term.labelSelector = labelSelector(b);
  if (rng.chance(0.4)) {
    b.hostile('affinity-namespaces');
    term.namespaces = rng.times(0, 3, () =>
      rng.chance(0.2) ? rng.pick(['kube-system', 'host-ns']) : dnsLabel(b),
    );
  }
  if (rng.chance(0.4)) {
    b.hostile('affinity-namespace-selector');
    term.namespaceSelector = labelSelector(b);
  }
  if (hasSelector && rng.chance(0.3)) {
    const keys = rng.times(1, 2, () => rng.pick(LABEL_KEYS));
    term.matchLabelKeys = [...new Set(keys)];
    if (rng.chance(0.5)) {
      const mismatch = rng.times(1, 2, () => rng.pick(LABEL_KEYS)).filter((k) => !keys.includes(k));
      if (mismatch.length) term.mismatchLabelKeys = [...new Set(mismatch)];
    }
  }
  return term;
}

function podAffinity(b: Builder): Obj {
  const { rng } = b;
  const group: Obj = {};
  if (rng.chance(0.6))
    group.requiredDuringSchedulingIgnoredDuringExecution = rng.times(0, 3, () => affinityTerm(b));
  if (rng.chance(0.6))
    group.preferredDuringSchedulingIgnoredDuringExecution = rng.times(0, 3, () => ({
      weight: rng.int(1, 100),
      podAffinityTerm: affinityTerm(b),
    }));
  return group;
}

function nodeAffinity(b: Builder): Obj {
  const { rng } = b;
  const term = (): Obj => {
    const t: Obj = {};
    if (rng.chance(0.6))
      t.matchExpressions = [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }];
    if (rng.chance(0.3)) t.matchFields = [{ key: 'metadata.name', operator: 'NotIn', values: ['node-a'] }];
    return t;
  };
  return rng.chance(0.7)
    ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: rng.times(1, 3, term) } }
    : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: term() }] };
}

/** A virtual pod: plausible, hostile, or (with `corrupt`) malformed. */
export function randomPod(rng: Rng, opts: { corrupt: boolean }): Generated {
  const b = new Builder(rng);
  const meta = metadata(b);
  const volumeNames = [
    ...new Set(rng.times(0, 6, (i) => (rng.chance(0.05) ? 'vcluster-rewrite-hosts' : `vol-${i}`))),
  ];
  if (volumeNames.includes('vcluster-rewrite-hosts')) b.hostile('rewrite-name-taken');
  const spec: Obj = {
    volumes: volumeNames.map((n) => volume(b, n)),
    containers: rng.times(1, 3, (i) =>
      container(b, rng.chance(0.03) ? 'vcluster-rewrite-hosts' : `main-${i}`, volumeNames, 'main'),
    ),
  };
  const containerNames = new Set((spec.containers as Obj[]).map((c) => c.name));
  if (containerNames.size !== (spec.containers as Obj[]).length) b.invalid('duplicate-container');
  if (rng.chance(0.3))
    spec.initContainers = rng.times(1, 2, (i) => container(b, `init-${i}`, volumeNames, 'init'));
  if (rng.chance(0.2)) {
    b.hostile('ephemeral-containers');
    spec.ephemeralContainers = rng.times(1, 2, (i) => container(b, `debug-${i}`, [], 'ephemeral'));
  }
  if (rng.chance(0.3)) spec.imagePullSecrets = rng.times(1, 3, () => ({ name: refName(b) }));
  if (rng.chance(0.3)) spec.serviceAccountName = rng.pick(['default', 'admin', 'vc-workload-vc']);
  if (rng.chance(0.1)) spec.serviceAccount = 'admin';
  if (rng.chance(0.2)) spec.automountServiceAccountToken = true;
  if (rng.chance(0.15)) {
    b.hostile('node-name');
    spec.nodeName = rng.pick(['node-a', 'control-plane-1', 'a'.repeat(63)]);
  }
  if (rng.chance(0.15)) {
    b.hostile('scheduler-name');
    spec.schedulerName = rng.pick(['default-scheduler', 'host-scheduler', 'evil']);
  }
  if (rng.chance(0.15)) {
    b.hostile('priority');
    spec.priorityClassName = rng.pick(['system-node-critical', 'system-cluster-critical', 'high']);
    if (rng.chance(0.5)) spec.priority = rng.pick([2000001000, 1000]);
    if (rng.chance(0.3)) spec.preemptionPolicy = 'PreemptLowerPriority';
  }
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (rng.chance(0.05)) {
      b.hostile(key);
      spec[key] = true;
    }
  }
  if (rng.chance(0.1)) spec.hostUsers = false;
  if (rng.chance(0.3))
    spec.securityContext = {
      ...securityContext(b),
      ...(rng.chance(0.2) ? { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } : {}),
    };
  if (rng.chance(0.3)) {
    spec.dnsPolicy = rng.pick(['ClusterFirst', 'Default', 'None', 'ClusterFirstWithHostNet']);
    if (spec.dnsPolicy === 'None' || rng.chance(0.3))
      spec.dnsConfig = {
        nameservers: rng.times(1, 2, () => rng.pick(['8.8.8.8', '10.96.0.10', '169.254.20.10'])),
        ...(rng.chance(0.5) ? { searches: ['host-ns.svc.cluster.local'] } : {}),
        ...(rng.chance(0.5) ? { options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] } : {}),
      };
  }
  if (rng.chance(0.2))
    spec.hostAliases = [{ ip: rng.pick(['10.96.0.1', '10.0.0.9']), hostnames: ['kubernetes.default'] }];
  if (rng.chance(0.25)) {
    b.hostile('subdomain');
    spec.subdomain = dnsLabel(b);
  }
  if (rng.chance(0.1)) spec.hostname = dnsLabel(b);
  if (rng.chance(0.05)) spec.os = { name: rng.pick(['linux', 'windows']) };
  if (rng.chance(0.4)) {
    const affinity: Obj = {};
    if (rng.chance(0.4)) affinity.nodeAffinity = nodeAffinity(b);
    if (rng.chance(0.6)) affinity.podAffinity = podAffinity(b);
    if (rng.chance(0.6)) affinity.podAntiAffinity = podAffinity(b);
    spec.affinity = affinity;
  }
  if (rng.chance(0.25)) {
    b.hostile('topology-spread');
    spec.topologySpreadConstraints = rng.times(1, 2, () => {
      const hasSelector = rng.chance(0.8);
      return {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: rng.pick(['DoNotSchedule', 'ScheduleAnyway']),
        ...(hasSelector ? { labelSelector: labelSelector(b) } : {}),
        ...(hasSelector && rng.chance(0.3) ? { matchLabelKeys: [rng.pick(LABEL_KEYS)] } : {}),
      };
    });
  }
  if (rng.chance(0.3))
    spec.tolerations = rng.times(1, 3, () =>
      rng.pick([
        { operator: 'Exists' },
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'tenant', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 10 },
      ]),
    );
  if (rng.chance(0.1)) {
    b.hostile('resource-claims');
    spec.resourceClaims = rng.times(1, 2, (i) =>
      rng.chance(0.5)
        ? { name: `claim-${i}`, resourceClaimName: refName(b) }
        : { name: `claim-${i}`, resourceClaimTemplateName: refName(b) },
    );
  }
  if (rng.chance(0.1)) spec.schedulingGates = [{ name: 'example.com/gate' }];
  if (rng.chance(0.1)) spec.runtimeClassName = rng.pick(['gvisor', 'kata']);
  if (rng.chance(0.1)) spec.activeDeadlineSeconds = rng.int(1, 1000);
  if (rng.chance(0.2)) spec.enableServiceLinks = rng.chance(0.5);
  if (rng.chance(0.1)) spec.readinessGates = [{ conditionType: 'example.com/ready' }];
  const pod: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
  if (rng.chance(0.1)) pod.status = { phase: 'Running', podIP: '10.0.0.5' };
  if (opts.corrupt) corrupt(b, pod);
  return b.done(pod);
}

// --- other kinds ----------------------------------------------------------------------------------

/** A virtual Service, with hostile selectors, externalIPs, explicit IPs and node ports. */
export function randomService(rng: Rng, opts: { corrupt: boolean }): Generated {
  const b = new Builder(rng);
  const type = rng.pick(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', undefined]);
  const spec: Obj = {};
  if (type) spec.type = type;
  if (rng.chance(0.8)) {
    const selector: Obj = {};
    for (let i = rng.int(0, 4); i > 0; i--) selector[rng.pick(LABEL_KEYS)] = rng.pick(LABEL_VALUES);
    spec.selector = selector;
  }
  if (type !== 'ExternalName' || rng.chance(0.5))
    spec.ports = rng.times(0, 3, (i) => ({
      name: `p${i}`,
      port: 80 + i,
      ...(rng.chance(0.5) ? { protocol: rng.pick(['TCP', 'UDP', 'SCTP']) } : {}),
      ...(rng.chance(0.5) ? { targetPort: rng.chance(0.5) ? 8080 : 'http' } : {}),
      ...(rng.chance(0.3) ? { nodePort: 30000 + rng.int(0, 2767) } : {}),
    }));
  if (type === 'ExternalName')
    spec.externalName = rng.pick([
      'db.example.com',
      'kubernetes.default.svc.cluster.local',
      'metadata.google.internal',
    ]);
  if (rng.chance(0.3)) spec.clusterIP = rng.pick(['None', '10.96.0.1', '10.96.5.5', '']);
  if (rng.chance(0.3)) {
    b.hostile('external-ips');
    spec.externalIPs = rng.times(1, 2, () => rng.pick(['1.2.3.4', '10.96.0.1', '169.254.169.254']));
  }
  if (rng.chance(0.1)) spec.loadBalancerIP = '1.2.3.4';
  if (rng.chance(0.1)) spec.loadBalancerSourceRanges = ['0.0.0.0/0'];
  if (rng.chance(0.2)) spec.externalTrafficPolicy = rng.pick(['Local', 'Cluster']);
  if (rng.chance(0.2)) spec.ipFamilies = [rng.pick(['IPv4', 'IPv6'])];
  if (rng.chance(0.1)) spec.sessionAffinity = 'ClientIP';
  if (rng.chance(0.1)) spec.healthCheckNodePort = 32000;
  const svc: Obj = { apiVersion: 'v1', kind: 'Service', metadata: metadata(b), spec };
  if (rng.chance(0.05)) {
    b.invalid('no-spec');
    delete svc.spec;
  }
  if (opts.corrupt) corrupt(b, svc);
  return b.done(svc);
}

/** The host Service a previous sync left, as the host API server returns it (allocated IPs and ports). */
export function hostServiceState(rng: Rng, desired: Obj): Obj {
  const spec: Obj = { ...((desired.spec as Obj | undefined) ?? {}) };
  if (spec.clusterIP !== 'None' && spec.type !== 'ExternalName') {
    spec.clusterIP = `10.96.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    spec.clusterIPs = [spec.clusterIP];
    spec.ipFamilies = ['IPv4'];
  }
  if (Array.isArray(spec.ports))
    spec.ports = spec.ports.map((p: unknown) =>
      typeof p === 'object' && p !== null ? { ...p, nodePort: 30000 + rng.int(0, 2767) } : p,
    );
  if (rng.chance(0.3)) spec.healthCheckNodePort = 31000 + rng.int(0, 999);
  // Something a host admin (or an attacker with host access) might have added; it must not survive.
  if (rng.chance(0.3)) spec.externalIPs = ['6.6.6.6'];
  return {
    ...desired,
    metadata: { ...((desired.metadata as Obj | undefined) ?? {}), uid: 'host-uid' },
    spec,
  };
}

const SECRET_TYPES = [
  'Opaque',
  'kubernetes.io/service-account-token',
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/tls',
  'bootstrap.kubernetes.io/token',
  'kubernetes.io/basic-auth',
  'Kubernetes.io/service-account-token',
];

/** A virtual ConfigMap or Secret. */
export function randomDataObject(
  rng: Rng,
  kind: 'ConfigMap' | 'Secret',
  opts: { corrupt: boolean },
): Generated {
  const b = new Builder(rng);
  const obj: Obj = { apiVersion: 'v1', kind, metadata: metadata(b) };
  const data: Obj = {};
  for (let i = rng.int(0, 4); i > 0; i--)
    data[rng.pick(['token', 'ca.crt', 'namespace', '.dockerconfigjson', 'key', '__proto__x'])] =
      kind === 'Secret' ? Buffer.from(`v${i}`).toString('base64') : `value ${i}`;
  if (rng.chance(0.9)) obj.data = data;
  if (kind === 'ConfigMap' && rng.chance(0.2)) obj.binaryData = { bin: 'AAEC' };
  if (rng.chance(0.2)) obj.immutable = rng.chance(0.5);
  if (kind === 'Secret') {
    if (rng.chance(0.8)) obj.type = rng.pick(SECRET_TYPES);
    if (obj.type === 'kubernetes.io/service-account-token') {
      b.hostile('service-account-token-secret');
      const meta = obj.metadata as Obj;
      meta.annotations = {
        ...((meta.annotations as Obj | undefined) ?? {}),
        'kubernetes.io/service-account.name': rng.pick(['default', 'admin', 'vc-workload-vc']),
      };
    }
    if (rng.chance(0.1)) obj.stringData = { token: 'plain' };
  }
  if (opts.corrupt) corrupt(b, obj);
  return b.done(obj);
}

/** A host Node, with what other tenants' workloads leave in its status. */
export function randomHostNode(rng: Rng, opts: { corrupt: boolean }): Generated {
  const b = new Builder(rng);
  const name = rng.chance(0.03) ? invalidName(b) : dnsSubdomain(b);
  const node: Obj = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: 'node-uid',
      labels: { 'kubernetes.io/hostname': String(name), ...labels(b) },
      annotations: {
        'kwok.x-k8s.io/node': 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
        ...annotations(b),
      },
    },
    spec: {
      podCIDR: '10.244.1.0/24',
      providerID: 'aws:///us-east-1a/i-0123',
      ...(rng.chance(0.5)
        ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }
        : {}),
      ...(rng.chance(0.2) ? { unschedulable: true } : {}),
    },
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2024-01-01T00:00:00Z' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.7' }],
      nodeInfo: { kubeletVersion: 'v1.33.0' },
      ...(rng.chance(0.8)
        ? { images: [{ names: ['registry.example/other-tenant/secret-app:1'], sizeBytes: 1 }] }
        : {}),
      ...(rng.chance(0.6)
        ? { volumesAttached: [{ name: 'kubernetes.io/csi/driver^vol-123', devicePath: '' }] }
        : {}),
      ...(rng.chance(0.6) ? { volumesInUse: ['kubernetes.io/csi/driver^vol-123'] } : {}),
    },
  };
  if (opts.corrupt) corrupt(b, node);
  return b.done(node);
}

/** A cluster-scoped host object of a kind shown read-only in the virtual cluster. */
export function randomHostClassObject(rng: Rng, kind: string, opts: { corrupt: boolean }): Generated {
  const b = new Builder(rng);
  const obj: Obj = {
    apiVersion: 'whatever/v1',
    kind,
    metadata: {
      name: rng.chance(0.03) ? invalidName(b) : dnsSubdomain(b),
      uid: 'host-uid',
      resourceVersion: '7',
      managedFields: [{ manager: 'kubectl' }],
      ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: 'host-ns', uid: 'u' }],
      labels: labels(b),
      annotations: annotations(b),
    },
    provisioner: 'ebs.csi.aws.com',
    parameters: { type: 'gp3', 'csi.storage.k8s.io/provisioner-secret-name': 'aws-creds' },
    value: 1000,
    handler: 'runsc',
    spec: { controller: 'example.com/ingress', drivers: [] },
    status: { secret: 'should not be copied' },
  };
  if (opts.corrupt) corrupt(b, obj);
  return b.done(obj);
}

/** A host event about a synced object, whose message mentions host names the way host components write them. */
export interface GeneratedEvent extends Generated {
  target: {
    apiVersion: string;
    kind: string;
    namespace: string;
    name: string;
    uid: string;
    hostName: string;
  };
  /** Host names of virtual objects the message mentions, with the virtual name each stands for. */
  mentioned: { hostName: string; virtualName: string }[];
}

export function randomHostEvent(
  rng: Rng,
  hostNameOf: (name: string, namespace: string) => string,
  opts: { corrupt: boolean; hostNamespace: string },
): GeneratedEvent {
  const b = new Builder(rng);
  const ns = dnsLabel(b, { avoid: [opts.hostNamespace] });
  const name = dnsSubdomain(b);
  const kind = rng.pick(['Pod', 'Service', 'PersistentVolumeClaim', 'ConfigMap']);
  const host = hostNameOf(name, ns);
  const mentioned = [{ hostName: host, virtualName: name }];
  const other = () => {
    const n = rng.chance(0.3) ? labelOfLength(rng, rng.int(52, 63)) : dnsLabel(b);
    const h = hostNameOf(n, rng.chance(0.5) ? ns : dnsLabel(b, { avoid: [opts.hostNamespace] }));
    mentioned.push({ hostName: h, virtualName: n });
    return h;
  };
  const uid = 'f00dfeed-0000-4000-8000-000000000001';
  const hn = opts.hostNamespace;
  const templates: (() => string)[] = [
    () => `Successfully assigned ${hn}/${host} to node-a`,
    () => `MountVolume.SetUp failed for volume "v" : secret "${other()}" not found`,
    () => `0/3 nodes are available: persistentvolumeclaim "${other()}" not found.`,
    () => `Error syncing pod ${host}_${hn}(${uid})`,
    () =>
      `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to reserve sandbox name "${host}_${hn}_${uid}_0": name is reserved`,
    () => `error creating pod sandbox with name "k8s_${host}_${hn}_${uid}_0"`,
    () => `Pod ${host}.${hn} failed`,
    () => `Service ${hn}/${host} has no endpoints; see ${other()}.${hn}.svc.cluster.local`,
    () => `Created container main in pod ${host}`,
    () => `Back-off restarting failed container main in pod ${host}_${hn}(${uid})`,
    () => `Pulling image "${rng.pick(['nginx:1', `registry.example/${other()}:1`])}"`,
    () => `Ensured load balancer for ${hn}/${other()}`,
    () => `Scaled up replica set ${host}-7d9f to 1`,
    () => `configmap "${other()}" not found; namespace "${hn}"`,
    () => `${'a-x-'.repeat(rng.int(1, 40))}b`,
    () => 'Normal message with nothing to hide',
  ];
  const message = rng.times(1, 3, () => rng.pick(templates)()).join('; ');
  const event: Obj = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: rng.chance(0.9)
        ? `${host}.${chars(rng, '0123456789abcdef', 16)}`
        : rng.pick([host, `${host}.`, 'plain-event-name']),
      namespace: hn,
      uid: 'event-uid',
    },
    involvedObject: {
      apiVersion: 'v1',
      kind,
      name: host,
      namespace: hn,
      uid: 'host-uid',
      fieldPath: 'spec.containers{main}',
    },
    reason: rng.pick(['Scheduled', 'FailedMount', 'FailedScheduling', 'BackOff', 'Pulling']),
    message,
    type: rng.pick(['Normal', 'Warning']),
    count: rng.int(1, 10),
    firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: '2024-01-01T00:00:01Z',
    source: { component: 'kubelet', host: 'node-a' },
    reportingComponent: 'kubelet',
    reportingInstance: 'node-a',
  };
  if (rng.chance(0.1)) event.series = { count: 2, lastObservedTime: '2024-01-01T00:00:02Z' };
  if (opts.corrupt) corrupt(b, event);
  return {
    ...b.done(event),
    target: { apiVersion: 'v1', kind, namespace: ns, name, uid: 'virtual-uid', hostName: host },
    mentioned,
  };
}

// --- corruption -----------------------------------------------------------------------------------

/** Values of every JSON type but the one already there, for wrong-type corruption. */
function wrongTypeValue(rng: Rng, current: unknown): unknown {
  const candidates: unknown[] = [42, -1, 'str', '', [], [null], ['a', 1], {}, { x: 1 }, null, true, false];
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  for (;;) {
    const v = rng.pick(candidates);
    if (kind(v) !== kind(current)) return structuredClone(v);
  }
}

interface Slot {
  holder: Obj | unknown[];
  key: string | number;
}

function slots(value: unknown, out: Slot[], depth = 0): Slot[] {
  if (depth > 12) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ holder: value, key: i });
      slots(v, out, depth + 1);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ holder: value as Obj, key: k });
      slots(v, out, depth + 1);
    }
  }
  return out;
}

/**
 * Breaks an object the way a broken client, a newer API or a corrupted cache could: a field of the
 * wrong type, a required field gone, null where a value belongs, an own `__proto__` key (as
 * JSON.parse makes them), or a top-level part missing.
 */
export function corrupt(b: Builder, root: Obj): void {
  const { rng } = b;
  for (let n = rng.int(1, 3); n > 0; n--) {
    const all = slots(root, []);
    const roll = rng.int(0, 9);
    if (roll === 0) {
      const part = rng.pick(['spec', 'metadata', 'status']);
      b.invalid(`top-level-${part}`);
      if (rng.chance(0.5)) delete root[part];
      else root[part] = wrongTypeValue(rng, root[part]);
      continue;
    }
    if (!all.length) continue;
    const slot = rng.pick(all);
    const current = (slot.holder as Record<string | number, unknown>)[slot.key];
    if (roll <= 5) {
      b.invalid(`wrong-type:${String(slot.key)}`);
      (slot.holder as Record<string | number, unknown>)[slot.key] = wrongTypeValue(rng, current);
    } else if (roll <= 7) {
      b.invalid(`deleted:${String(slot.key)}`);
      if (Array.isArray(slot.holder)) slot.holder.splice(Number(slot.key), 1);
      else delete slot.holder[slot.key];
    } else if (roll === 8) {
      b.invalid(`null:${String(slot.key)}`);
      (slot.holder as Record<string | number, unknown>)[slot.key] = null;
    } else {
      const objects = all
        .map((s) => (s.holder as Record<string | number, unknown>)[s.key])
        .filter((v): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v));
      if (!objects.length) continue;
      b.invalid('own-__proto__');
      // JSON.parse('{"__proto__": ...}') makes an own property, not a prototype.
      Object.defineProperty(rng.pick(objects), '__proto__', {
        value: { polluted: 'yes', 'vcluster.loft.sh/managed-by': 'other' },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
}

/**
 * The same virtual pod after a tenant's edit, as far as Kubernetes lets a running pod change: new
 * labels and annotations, other images, more tolerations, fewer scheduling gates, a deadline, and
 * ephemeral containers added by `kubectl debug` (with their own references).
 */
export function randomPodUpdate(rng: Rng, pod: Obj): Generated {
  const b = new Builder(rng);
  const next = structuredClone(pod);
  const meta = (next.metadata ?? {}) as Obj;
  const spec = (next.spec ?? {}) as Obj;
  if (rng.chance(0.6)) {
    b.hostile('labels-changed');
    meta.labels = rng.chance(0.5) ? labels(b) : { ...((meta.labels as Obj | undefined) ?? {}), ...labels(b) };
  }
  if (rng.chance(0.5)) meta.annotations = annotations(b);
  for (const c of (spec.containers as Obj[] | undefined) ?? [])
    if (rng.chance(0.5)) c.image = `${String(c.image)}-v2`;
  if (rng.chance(0.3))
    spec.tolerations = [
      ...((spec.tolerations as Obj[] | undefined) ?? []),
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    ];
  if (rng.chance(0.5)) delete spec.schedulingGates;
  if (rng.chance(0.2)) spec.activeDeadlineSeconds = rng.int(1, 100);
  if (rng.chance(0.5)) {
    b.hostile('ephemeral-added');
    const existing = ((spec.ephemeralContainers as Obj[] | undefined) ?? []).length;
    spec.ephemeralContainers = [
      ...((spec.ephemeralContainers as Obj[] | undefined) ?? []),
      ...rng.times(1, 2, (i) => container(b, `debug-new-${existing + i}`, [], 'ephemeral')),
    ];
  }
  return b.done(next);
}
