/**
 * Fuzz test of every translator (tenant isolation): at least 10,000 random virtual objects, valid and
 * malformed, plausible and hostile, go through each kind's shape check and the pure translators. No
 * exception may escape, and every output must be a valid host object of this tenant (or a clear
 * refusal). The run prints its seed, its case mix and its escapes.
 *
 *   FUZZ_SEED=<n>|random   another seed (default fixed, so CI is deterministic)
 *   FUZZ_CASES=<n>         another case count (default 10,000)
 *   FUZZ_CASE=<i>          replay only case i of the seed, printing its input and findings
 *
 * Each case goes through its kind the way the kind runs it: the kind's shape check first
 * (translators/shared/shape.ts), then the translators. What counts as an escape:
 *  - The shape check names a problem: a clear refusal, the translators are not called. It must
 *    never throw, never change its input, never return an empty problem, and never refuse an object
 *    the API server would serve (generator says `valid`): that would refuse a tenant's good object.
 *  - On an object the shape check accepts, any throw from a translator is an escape, whatever its
 *    error: the kind calls the translator on it, and a throw fails the reconcile again and again
 *    instead of refusing the object with a reason. The report tells escapes on valid inputs apart
 *    from those on malformed inputs the shape check lets through (a gap in the check, or a
 *    translator that must cope with what the API server accepts).
 *  - checkPodSecurity documents that it never throws: it runs on every pod, malformed ones included,
 *    and any throw from it is an escape.
 *  - Any broken output invariant, on any input the shape check accepts, valid or not: an output is
 *    only acceptable when it is safe to write to the host (or to show to the tenant).
 *  - A translator (or shape check) that changes its input (the informer's cached object) is an
 *    escape too.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import type { Pod, PodSpec } from '../kube/types.ts';
import { isInjectorOptOut } from '../naming/denied-metadata.ts';
import { hostName } from '../naming/names.ts';
import {
  hostLabelKey,
  MANAGED_ANNOTATIONS_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_LABELS_ANNOTATION,
  NAMESPACE_LABEL,
  OBJECT_HOST_NAME_ANNOTATION,
  OBJECT_HOST_NAMESPACE_ANNOTATION,
  OBJECT_KIND_ANNOTATION,
  OBJECT_NAME_ANNOTATION,
  OBJECT_NAMESPACE_ANNOTATION,
  OBJECT_UID_ANNOTATION,
  POD_NAME_ANNOTATION,
  POD_NAMESPACE_ANNOTATION,
  POD_UID_ANNOTATION,
  RESERVED_LABEL_KEYS,
} from '../naming/labels.ts';
import { planMetadata } from '../sync/metadata-sync.ts';
import { cloneJson } from '../util/json.ts';
import {
  caseSeed,
  hostServiceState,
  randomDataObject,
  randomHostClassObject,
  randomHostEvent,
  randomHostNode,
  randomPod,
  randomPodUpdate,
  randomService,
  Rng,
  type Generated,
  type GeneratedEvent,
} from '../testing/random-objects.ts';
import { virtualEventFor } from './events/translate.ts';
import { fakeNode, realNodeCopy } from './nodes/translate.ts';
import { checkPodSecurity, type PodSecurityViolation } from './pods/pod-security.ts';
import { podPolicyViolations } from './pods/pod-policy.ts';
import { withClaimsMadeForPod } from './pods/resource-claims.ts';
import { ABSENT_REFERENCE_PREFIX } from './pods/reference-safety.ts';
import { forEachPodReference } from './pods/reference-walker.ts';
import { usesVirtualDns } from './pods/virtual-dns.ts';
import { bundleName, tokenKey } from './pods/token-bundles.ts';
import { tokenNeeds } from './pods/token-requests.ts';
import {
  DEFAULT_DENIED_POD_METADATA_KEYS,
  DEFAULT_HOSTS_REWRITE_IMAGE,
  podStatusForVirtual,
  podUpdatesForHost,
  translatePodToHost,
  type PodTranslationContext,
} from './pods/translate.ts';
import { neutraliseHostSecret, SERVICE_ACCOUNT_TOKEN_TYPE } from './secrets/translate.ts';
import { hostServiceFor, needsRecreate, recreatedVirtualService } from './services/translate.ts';
import { hostDataObject } from './shared/data-object.ts';
import { FROM_HOST_LABEL, virtualCopyOf } from './shared/from-host.ts';
import { capacityMapper, virtualCapacityFor } from './host-csistoragecapacities/translate.ts';
import {
  malformedClusterObject,
  malformedNamespacedHostObject,
  malformedDataObject,
  malformedEvent,
  malformedNode,
  malformedPod,
  malformedService,
} from './shared/shape.ts';

const VC = 'vc';
const HOST_NS = 'host-ns';
const WORKLOAD_SA = 'vc-workload-vc';
const DNS_IP = '10.96.0.10';
const API_IP = '10.96.0.50';
const ENFORCED_TOLERATION = { key: 'tenant', operator: 'Exists', effect: 'NoSchedule' };
/** The virtual namespace's labels, the same for every pod (they become ns-label-* pod labels). */
const NAMESPACE_LABELS = { env: 'prod', 'vcluster.loft.sh/x': 'y', 'kubernetes.io/metadata.name': 'team' };

const DEFAULT_SEED = 0x5eed2024;
const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 32)
    : Number(process.env.FUZZ_SEED ?? DEFAULT_SEED) >>> 0;
const CASES = Math.max(1, Number(process.env.FUZZ_CASES ?? 10_000));
const ONLY = process.env.FUZZ_CASE === undefined ? undefined : Number(process.env.FUZZ_CASE);
/** Share of cases that are malformed. */
const MALFORMED = 0.25;

type Obj = Record<string, unknown>;
const isRec = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const rec = (v: unknown): Obj => (isRec(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const own = (o: Obj, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const sha10 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);
const json = (v: unknown) => JSON.stringify(v);
const sameJson = (a: unknown, b: unknown) => json(a) === json(b);
/** A tenant-controlled name as the translators read it: whatever is there, `''` when absent. */
const nameOf = (v: unknown): string => (v ?? '') as string;

// --- findings ---------------------------------------------------------------------------------------

interface Finding {
  /** Stable across cases with the same cause: the grouping key of the report. */
  signature: string;
  detail: string;
}

class Findings {
  readonly list: Finding[] = [];

  fail(signature: string, detail = ''): void {
    this.list.push({ signature, detail });
  }

  check(ok: boolean, signature: string, detail = ''): void {
    if (!ok) this.fail(signature, detail);
  }
}

/** The first frame in the code under test (file:line), so escapes with one cause group together. */
function sourceFrame(stack: string): string {
  for (const line of stack.split('\n').slice(1)) {
    if (line.includes('fuzz.test') || line.includes('/testing/')) continue;
    const m = line.match(/\/(src\/[^:)]+:\d+)/);
    if (m) return m[1]!;
  }
  return '?';
}

type Attempt<T> = { ok: true; value: T } | { ok: false };

/** What a throw on this input means, for the report: a translator bug, or a gap in the shape check. */
const onInput = (g: Generated) => (g.valid ? 'a valid input' : 'a malformed input its shape check accepts');

/**
 * Calls one function under the escape rules (see the top of the file): any throw is an escape, and
 * `on` says what kind of input it was thrown on.
 */
function attempt<T>(f: Findings, fn: string, on: string, call: () => T): Attempt<T> {
  let value: T;
  try {
    value = call();
  } catch (err) {
    // Node's own errors (crypto's, say) come from another realm than the test's Error: read them by shape.
    const e =
      err instanceof Error || isRec(err)
        ? (err as { name?: unknown; message?: unknown; stack?: unknown })
        : undefined;
    const name = typeof e?.name === 'string' ? e.name : typeof err;
    const message = typeof e?.message === 'string' ? e.message : String(err);
    const stack = typeof e?.stack === 'string' ? e.stack : message;
    f.fail(
      `${fn} throws ${name} on ${on} @ ${sourceFrame(stack)}`,
      [message, ...stack.split('\n').slice(1, 5)].join('\n'),
    );
    return { ok: false };
  }
  // No wall-clock rule here (tests never pass or fail on timings): scrub.test.ts feeds the scrubber
  // tens of kilobytes of adversarial text, which a backtracking pattern would not finish.
  return { ok: true, value };
}

/**
 * Runs a kind's shape check, as the kind does before any translation: true when it accepts the
 * object. A problem it names is a clear refusal, unless the object is valid: then the syncer would
 * refuse a tenant's good object, an escape. It must never throw nor change its input.
 */
function shapeAccepts(
  f: Findings,
  fn: string,
  g: Generated,
  check: (obj: unknown) => string | undefined,
): boolean {
  const before = json(g.value);
  const r = attempt(f, fn, g.valid ? 'a valid input' : 'a malformed input', () => check(g.value));
  f.check(json(g.value) === before, `${fn} changes its input`);
  if (!r.ok) return false;
  const problem: unknown = r.value;
  if (problem === undefined) return true;
  f.check(typeof problem === 'string' && problem.trim() !== '', `${fn} names no problem`, json(problem));
  f.check(!g.valid, `${fn} refuses a valid input`, String(problem));
  return false;
}

// --- shared invariants ------------------------------------------------------------------------------

/** A denied key on the host: only with a value that turns its injector off (isInjectorOptOut). */
const deniedKey = (key: string, value: unknown) =>
  DEFAULT_DENIED_POD_METADATA_KEYS.some((p) =>
    p.endsWith('*') ? key.startsWith(p.slice(0, -1)) : key === p,
  ) && !(typeof value === 'string' && isInjectorOptOut(key, value));
const reservedKey = (key: string) => RESERVED_LABEL_KEYS.includes(key) || key.startsWith('vcluster.loft.sh/');
const HASHED_LABEL = new RegExp(`^vcluster\\.loft\\.sh/label-${VC}-x-([0-9a-f]{10})$`);
const NS_LABEL = new RegExp(`^vcluster\\.loft\\.sh/ns-label-${VC}-x-([0-9a-f]{10})$`);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

interface LabelRules {
  ns: string;
  /** Tenant keys that must not reach the host (pods only). */
  denied: boolean;
  /** The namespace labels the host object carries as ns-label-* (pods only). */
  namespaceLabels?: Record<string, string>;
  valid: boolean;
}

/**
 * Host labels of a namespaced object: the syncer's managed-by and namespace; the tenant's labels,
 * reserved ones (and every vcluster.loft.sh/ key) only under their hashed key; the namespace's
 * labels as ns-label-* on pods; nothing else, and nothing a tenant could use to pass as the syncer.
 */
function checkHostLabels(f: Findings, where: string, host: unknown, virtual: unknown, r: LabelRules): void {
  const labels = rec(host);
  // The tenant's labels as JavaScript reads them (a malformed string reads as indexed characters).
  const tenant: Obj = Object.fromEntries(Object.entries(virtual ?? {}));
  const tenantKeys = Object.keys(tenant);
  for (const [key, value] of Object.entries(labels)) {
    if (r.valid) {
      f.check(typeof value === 'string', `${where}: label value is not a string`, `${key}: ${typeof value}`);
      f.check(
        typeof value !== 'string' || (LABEL_VALUE.test(value) && value.length <= 63),
        `${where}: invalid label value`,
        key,
      );
    }
    if (r.denied) f.check(!deniedKey(key, value), `${where}: denied label key reaches the host`, key);
    let m: RegExpMatchArray | null;
    if (key === MANAGED_BY_LABEL)
      f.check(value === VC, `${where}: managed-by is not this virtual cluster`, String(value));
    else if (key === NAMESPACE_LABEL)
      f.check(
        value === r.ns && r.ns !== '',
        `${where}: namespace label is not the virtual namespace`,
        String(value),
      );
    else if ((m = key.match(HASHED_LABEL)))
      f.check(
        tenantKeys.some((k) => reservedKey(k) && sha10(k) === m![1] && tenant[k] === value),
        `${where}: hashed label key that is no tenant label`,
        key,
      );
    else if ((m = key.match(NS_LABEL)))
      f.check(
        Object.entries(r.namespaceLabels ?? {}).some(([k, v]) => sha10(k) === m![1] && v === value),
        `${where}: ns-label that is no label of the namespace`,
        key,
      );
    else if (key.startsWith('vcluster.loft.sh/')) f.fail(`${where}: forged vcluster.loft.sh/ label`, key);
    else if (RESERVED_LABEL_KEYS.includes(key)) f.fail(`${where}: reserved label key not hashed`, key);
    else f.check(own(tenant, key) && tenant[key] === value, `${where}: label the tenant did not set`, key);
  }
  f.check(labels[MANAGED_BY_LABEL] === VC, `${where}: no managed-by label`);
  // Without a namespace nothing can be scoped to one: reported once, as the cause.
  if (r.ns === '')
    f.fail(`${where}: translated without a virtual namespace (no namespace label, unscoped selectors)`);
  else f.check(labels[NAMESPACE_LABEL] === r.ns, `${where}: no namespace label`);
  if (!r.valid) return;
  // Completeness (valid inputs only): every tenant label is kept, under its host key.
  for (const key of tenantKeys) {
    if (r.denied && deniedKey(key, tenant[key])) continue;
    f.check(labels[hostLabelKey(key, VC)] === tenant[key], `${where}: tenant label lost`, key);
  }
}

/** The back-references name exactly the virtual object; a tenant's forged ones never survive. */
function checkOwnership(
  f: Findings,
  where: string,
  annotations: unknown,
  o: { name: unknown; ns: unknown; uid: unknown; kind: string; hostName: string },
): void {
  const a = rec(annotations);
  f.check(a[OBJECT_NAME_ANNOTATION] === o.name, `${where}: object-name is not the virtual name`);
  f.check(a[OBJECT_UID_ANNOTATION] === (o.uid ?? ''), `${where}: object-uid is not the virtual uid`);
  f.check(
    a[OBJECT_KIND_ANNOTATION] === o.kind,
    `${where}: object-kind is wrong`,
    String(a[OBJECT_KIND_ANNOTATION]),
  );
  f.check(a[OBJECT_HOST_NAME_ANNOTATION] === o.hostName, `${where}: object-host-name is not the host name`);
  f.check(
    a[OBJECT_HOST_NAMESPACE_ANNOTATION] === HOST_NS,
    `${where}: object-host-namespace is not the host namespace`,
  );
  if (o.ns)
    f.check(
      a[OBJECT_NAMESPACE_ANNOTATION] === o.ns,
      `${where}: object-namespace is not the virtual namespace`,
    );
  else
    f.check(
      a[OBJECT_NAMESPACE_ANNOTATION] === undefined,
      `${where}: tenant-forged object-namespace survives (virtual object has no namespace)`,
      String(a[OBJECT_NAMESPACE_ANNOTATION]),
    );
  // The records must list the syncer's keys, or they would later pass for keys the host set.
  const listed = new Set(String(a[MANAGED_ANNOTATIONS_ANNOTATION] ?? '').split('\n'));
  for (const key of Object.keys(a))
    if (key !== MANAGED_ANNOTATIONS_ANNOTATION && key !== MANAGED_LABELS_ANNOTATION)
      f.check(listed.has(key), `${where}: annotation missing from the managed record`, key);
}

function checkManagedLabelsRecord(f: Findings, where: string, meta: Obj): void {
  const recorded = String(rec(meta.annotations)[MANAGED_LABELS_ANNOTATION] ?? '');
  f.check(
    recorded === Object.keys(rec(meta.labels)).sort().join('\n'),
    `${where}: managed-labels record does not list the labels`,
  );
}

/** The host copy's metadata for a namespaced kind (pods add their own checks). */
function checkNamespacedMetadata(
  f: Findings,
  where: string,
  virtual: Obj,
  out: KubeObject,
  o: {
    kind: string;
    expectedName: string;
    valid: boolean;
    denied: boolean;
    namespaceLabels?: Record<string, string>;
  },
): void {
  const vmeta = rec(virtual.metadata);
  const meta = rec(out.metadata);
  const ns = nameOf(vmeta.namespace);
  f.check(
    meta.name === o.expectedName,
    `${where}: host name is not <name>-x-<namespace>-x-<vc>`,
    `${String(meta.name)}`,
  );
  f.check(meta.namespace === HOST_NS, `${where}: not in the host namespace`, String(meta.namespace));
  if (o.valid && typeof meta.name === 'string')
    f.check(
      meta.name.length <= 63 && DNS_SUBDOMAIN.test(meta.name),
      `${where}: host name of a valid virtual name is not a valid name`,
      meta.name,
    );
  checkHostLabels(f, where, meta.labels, vmeta.labels, {
    // A falsy namespace (a malformed false or 0) is no namespace: nothing can be scoped to it.
    ns: ns ? ns : '',
    denied: o.denied,
    namespaceLabels: o.namespaceLabels,
    valid: o.valid,
  });
  checkOwnership(f, where, meta.annotations, {
    name: vmeta.name ?? '',
    ns,
    uid: vmeta.uid ?? '',
    kind: o.kind,
    hostName: o.expectedName,
  });
  checkManagedLabelsRecord(f, where, meta);
  if (o.valid)
    for (const [key, value] of Object.entries(rec(meta.annotations)))
      f.check(typeof value === 'string', `${where}: annotation value is not a string`, key);
}

/**
 * Visits every JSON value in a tree with its path, for scans that must not miss a field. The path is
 * the walk's own stack: a visitor that keeps it must copy it.
 */
function walk(
  value: unknown,
  path: (string | number)[],
  visit: (path: (string | number)[], value: unknown) => void,
): void {
  visit(path, value);
  if (Array.isArray(value))
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i], path, visit);
      path.pop();
    }
  else if (isRec(value))
    for (const [k, v] of Object.entries(value)) {
      path.push(k);
      walk(v, path, visit);
      path.pop();
    }
}

// --- pods -------------------------------------------------------------------------------------------

function podContext(uid: unknown): PodTranslationContext {
  return {
    vcName: VC,
    hostNamespace: HOST_NS,
    virtualNamespaceLabels: NAMESPACE_LABELS,
    workloadServiceAccount: WORKLOAD_SA,
    dnsServiceIP: DNS_IP,
    clusterDomain: 'cluster.local',
    virtualApiServiceIP: API_IP,
    virtualApiServicePort: 443,
    serviceEnv: [{ name: 'DB_SERVICE_HOST', value: '10.96.0.9' }],
    enforcedTolerations: [ENFORCED_TOLERATION],
    deniedMetadataKeys: DEFAULT_DENIED_POD_METADATA_KEYS,
    hostsRewriteImage: DEFAULT_HOSTS_REWRITE_IMAGE,
    // As the pod translator does: one key per token source of this pod incarnation, in a shared bundle.
    tokenSourceFor: (volumeName, tokenIndex) => ({
      name: bundleName(VC, 0),
      key: tokenKey(nameOf(uid), volumeName, tokenIndex),
    }),
  };
}

function checkViolations(f: Findings, level: string, out: unknown): PodSecurityViolation[] {
  if (!Array.isArray(out)) {
    f.fail(`checkPodSecurity(${level}) returns no array`);
    return [];
  }
  for (const v of out)
    f.check(
      isRec(v) && [v.control, v.check, v.message].every((s) => typeof s === 'string' && s !== ''),
      `checkPodSecurity(${level}) returns a malformed violation`,
      json(v),
    );
  return out as PodSecurityViolation[];
}

const refKey = (kind: string, apiGroup: string | undefined, name: unknown) =>
  json([kind, apiGroup ?? '', name]);

/** Fields whose `name` is local to the pod (a container, a volume, a port...), not another object. */
const LOCAL_NAME_LISTS = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'volumes',
  'env',
  'ports',
  'volumeMounts',
  'volumeDevices',
  'resourceClaims',
  'claims',
  'schedulingGates',
  'options',
  'sysctls',
]);
/** Keys that hold the name of another object wherever they appear in a pod spec. */
const REFERENCE_KEYS = new Set([
  'name',
  'secretName',
  'claimName',
  'endpoints',
  'resourceClaimName',
  'resourceClaimTemplateName',
]);

function isLocalName(path: (string | number)[]): boolean {
  const key = path[path.length - 1];
  if (key !== 'name') return false;
  const list = path[path.length - 3];
  return (
    (typeof path[path.length - 2] === 'number' && LOCAL_NAME_LISTS.has(String(list))) ||
    path[path.length - 2] === 'os'
  );
}

/** What the host pod may name: the host copies of what the virtual pod names, and its own token secrets. */
function checkPodReferences(f: Findings, virtual: Obj, host: Pod, g: Generated, ns: string): void {
  const uid = nameOf(rec(virtual.metadata).uid);
  const allowed = new Set<string>();
  const hostNames = new Set<string>();
  try {
    // Generic ephemeral volumes mount the claims made for them (ephemeral-claims.ts).
    forEachPodReference(withClaimsMadeForPod(virtual as unknown as Pod).spec, (ref) => {
      const h = hostName(ref.name, ns, VC);
      allowed.add(refKey(ref.kind, ref.apiGroup, h));
      hostNames.add(h);
    });
  } catch {
    // The translation walks the same way and would have thrown; nothing to compare against.
  }
  const ownKeys = new Set<string>();
  try {
    for (const need of tokenNeeds(virtual as KubeObject))
      ownKeys.add(tokenKey(uid, need.volumeName, need.tokenIndex));
  } catch {
    // Malformed volumes: then no token is allowed at all.
  }
  // The bundle is shared by every pod: a pod may mount it only for its own keys.
  const bundle = bundleName(VC, 0);
  for (const volume of host.spec?.volumes ?? [])
    for (const source of volume.projected?.sources ?? [])
      if (source.secret?.name === bundle)
        for (const item of source.secret.items ?? [])
          f.check(
            ownKeys.has(item.key),
            'translatePodToHost: host pod mounts a token bundle key that is not its own',
            `volume ${volume.name} key ${item.key}`,
          );
  forEachPodReference(host.spec, (ref) => {
    if (ref.kind === 'Secret' && !ref.apiGroup && ref.name === bundle && ownKeys.size) return;
    // A name no copy can have (a claim not made from its template yet): it reaches nothing.
    if (ref.name.startsWith(ABSENT_REFERENCE_PREFIX)) return;
    f.check(
      allowed.has(refKey(ref.kind, ref.apiGroup, ref.name)),
      'translatePodToHost: host pod names an object that is not the host copy of a reference of the virtual pod',
      `${ref.where.field} -> ${ref.kind} "${ref.name}"`,
    );
  });
  // Independent of the walker: a raw virtual reference name anywhere a pod names an object.
  const raw = new Set(g.refNames.filter((n) => !hostNames.has(n) && n !== bundle));
  walk(host.spec, ['spec'], (path, value) => {
    const key = path[path.length - 1];
    if (typeof value !== 'string' || typeof key !== 'string' || !REFERENCE_KEYS.has(key)) return;
    if (isLocalName(path) || !raw.has(value)) return;
    f.fail(
      `translatePodToHost: untranslated reference at ${path.join('.').replace(/\.\d+/g, '[]')}`,
      `"${value}"`,
    );
  });
  for (const v of arr(host.spec?.volumes)) {
    const claim = rec(rec(rec(rec(v).ephemeral).volumeClaimTemplate).spec);
    f.check(
      rec(claim.dataSourceRef).namespace === undefined,
      'translatePodToHost: dataSourceRef keeps a namespace',
    );
    f.check(
      claim.volumeName === undefined && claim.selector === undefined,
      'translatePodToHost: claim template binds a chosen PV',
    );
    for (const s of arr(rec(rec(v).projected).sources))
      f.check(
        rec(s).serviceAccountToken === undefined,
        'translatePodToHost: projected serviceAccountToken left (host token)',
      );
  }
}

/** Pod (anti-)affinity and spread selectors only ever match pods of this virtual cluster. */
function checkPodSelectors(f: Findings, virtualSpec: Obj, host: Pod, ns: string): void {
  const vAffinity = rec(virtualSpec.affinity);
  // By value: the translation works on a copy, so malformed (object) values are never the same object.
  const allowedNamespaces = new Set<string>([json(ns)]);
  let virtualHasNamespaceSelector = false;
  for (const group of ['podAffinity', 'podAntiAffinity']) {
    const g = rec(vAffinity[group]);
    const terms = [
      ...arr(g.requiredDuringSchedulingIgnoredDuringExecution),
      ...arr(g.preferredDuringSchedulingIgnoredDuringExecution).map((w) => rec(w).podAffinityTerm),
    ];
    for (const t of terms) {
      for (const n of arr(rec(t).namespaces)) allowedNamespaces.add(json(n));
      if (rec(t).namespaceSelector) virtualHasNamespaceSelector = true;
    }
  }
  const affinity = rec(host.spec?.affinity);
  for (const group of ['podAffinity', 'podAntiAffinity']) {
    const g = rec(affinity[group]);
    const terms = [
      ...arr(g.requiredDuringSchedulingIgnoredDuringExecution),
      ...arr(g.preferredDuringSchedulingIgnoredDuringExecution).map((w) => rec(w).podAffinityTerm),
    ];
    for (const raw of terms) {
      const t = rec(raw);
      const where = `translatePodToHost: ${group} term`;
      f.check(
        !own(t, 'namespaces') && !own(t, 'namespaceSelector'),
        `${where} keeps namespaces/namespaceSelector (host namespaces)`,
      );
      checkLabelKeyList(f, where, t.matchLabelKeys);
      checkLabelKeyList(f, where, t.mismatchLabelKeys);
      // No selector (a falsy one included: the host refuses a malformed one) matches no pod.
      if (!t.labelSelector) continue;
      const selector = rec(t.labelSelector);
      const matchLabels = rec(selector.matchLabels);
      f.check(
        matchLabels[MANAGED_BY_LABEL] === VC,
        `${where} selector not scoped to this virtual cluster`,
        json(selector),
      );
      let scoped = matchLabels[NAMESPACE_LABEL] !== undefined || virtualHasNamespaceSelector;
      if (matchLabels[NAMESPACE_LABEL] !== undefined)
        f.check(
          allowedNamespaces.has(json(matchLabels[NAMESPACE_LABEL])),
          `${where} selects a namespace the tenant did not name`,
        );
      for (const e of arr(selector.matchExpressions)) {
        const x = rec(e);
        if (x.key === MANAGED_BY_LABEL) f.fail(`${where} has an expression on managed-by`, json(x));
        if (x.key === NAMESPACE_LABEL && x.operator === 'In') {
          scoped = true;
          f.check(
            arr(x.values).every((n) => allowedNamespaces.has(json(n))),
            `${where} selects a namespace the tenant did not name`,
            json(x),
          );
        }
      }
      f.check(scoped, `${where} selector not scoped to a virtual namespace`, json(selector));
    }
  }
  for (const c of arr(host.spec?.topologySpreadConstraints)) {
    const where = 'translatePodToHost: topologySpreadConstraint';
    checkLabelKeyList(f, where, rec(c).matchLabelKeys);
    const selector = rec(c).labelSelector;
    if (!selector) continue;
    const matchLabels = rec(rec(selector).matchLabels);
    f.check(
      matchLabels[MANAGED_BY_LABEL] === VC && matchLabels[NAMESPACE_LABEL] === ns,
      `${where} selector not scoped to this virtual cluster and namespace`,
      json(selector),
    );
  }
}

/** matchLabelKeys / mismatchLabelKeys name host label keys: never the syncer's own. */
function checkLabelKeyList(f: Findings, where: string, keys: unknown): void {
  for (const k of arr(keys))
    if (typeof k === 'string' && k.startsWith('vcluster.loft.sh/') && !HASHED_LABEL.test(k))
      f.fail(`${where} label key list names a syncer label`, k);
}

function checkHostPod(f: Findings, virtual: Obj, host: Pod, g: Generated): void {
  const vmeta = rec(virtual.metadata);
  const ns = nameOf(vmeta.namespace);
  const name = nameOf(vmeta.name);
  const vspec = rec(virtual.spec);
  const where = 'translatePodToHost';
  checkNamespacedMetadata(f, where, virtual, host as unknown as KubeObject, {
    kind: '/v1, Kind=Pod',
    expectedName: hostName(name, ns, VC),
    valid: g.valid,
    denied: true,
    namespaceLabels: NAMESPACE_LABELS,
  });
  const annotations = rec(host.metadata?.annotations);
  for (const [key, value] of Object.entries(annotations))
    f.check(!deniedKey(key, value), `${where}: denied annotation key reaches the host`, key);
  f.check(annotations[POD_NAME_ANNOTATION] === name, `${where}: pod name annotation is not the virtual name`);
  f.check(
    annotations[POD_NAMESPACE_ANNOTATION] === ns,
    `${where}: pod namespace annotation is not the virtual namespace`,
  );
  f.check(
    annotations[POD_UID_ANNOTATION] === (vmeta.uid ?? ''),
    `${where}: pod uid annotation is not the virtual uid`,
  );

  const spec = host.spec;
  if (!isRec(spec)) {
    f.fail(`${where}: host pod has no spec`);
    return;
  }
  // Identity: the workload account, no host token.
  f.check(
    spec.serviceAccountName === WORKLOAD_SA,
    `${where}: not the workload service account`,
    String(spec.serviceAccountName),
  );
  f.check(spec.serviceAccount === undefined, `${where}: deprecated serviceAccount kept`);
  f.check(spec.automountServiceAccountToken === false, `${where}: host token automounted`);
  // Host scheduling knobs stay with the host (default context).
  f.check(!spec.nodeName, `${where}: tenant nodeName reaches the host`, String(spec.nodeName));
  f.check(!spec.schedulerName, `${where}: tenant schedulerName reaches the host`, String(spec.schedulerName));
  f.check(spec.priorityClassName === undefined, `${where}: tenant priorityClassName reaches the host`);
  f.check(
    spec.priority === undefined && spec.preemptionPolicy === undefined,
    `${where}: tenant priority reaches the host`,
  );
  f.check(spec.subdomain === undefined, `${where}: subdomain kept (resolves to host services)`);
  f.check(spec.enableServiceLinks === false, `${where}: host service links enabled`);
  if (vspec.nodeName) {
    const terms = rec(
      rec(rec(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution,
    ).nodeSelectorTerms;
    f.check(
      Array.isArray(terms) && terms.length > 0,
      `${where}: nodeName dropped without a node requirement`,
    );
    for (const t of arr(terms)) {
      const term = rec(t);
      if (!arr(term.matchExpressions).length && !arr(term.matchFields).length) continue;
      f.check(
        arr(term.matchFields).some((m) =>
          sameJson(m, { key: 'metadata.name', operator: 'In', values: [vspec.nodeName] }),
        ),
        `${where}: a node selector term does not require the tenant's node`,
        json(term),
      );
    }
  }
  if (usesVirtualDns(vspec)) {
    f.check(spec.dnsPolicy === 'None', `${where}: DNS policy is not None`, String(spec.dnsPolicy));
    f.check(spec.dnsConfig?.nameservers?.[0] === DNS_IP, `${where}: first nameserver is not the virtual DNS`);
    f.check(arr(spec.dnsConfig?.nameservers).length <= 3, `${where}: more than three nameservers`);
  } else if (vspec.dnsPolicy === 'Default' || vspec.dnsPolicy === 'None') {
    // The node's resolver, or the pod's own: what the tenant asked, no DNS or policy of the syncer's.
    f.check(
      spec.dnsPolicy === vspec.dnsPolicy,
      `${where}: DNS policy ${vspec.dnsPolicy} not kept`,
      String(spec.dnsPolicy),
    );
    f.check(
      sameJson(spec.dnsConfig, cloneJson(vspec.dnsConfig)),
      `${where}: dnsConfig of a ${vspec.dnsPolicy} pod changed`,
    );
  }
  f.check(
    arr(spec.hostAliases).some((a) => rec(a).ip === API_IP),
    `${where}: no host alias for the virtual kubernetes service`,
  );
  f.check(
    arr(spec.tolerations).some((t) => Object.entries(ENFORCED_TOLERATION).every(([k, v]) => rec(t)[k] === v)),
    `${where}: enforced toleration missing`,
  );
  if (g.valid && spec.hostname !== undefined)
    f.check(
      typeof spec.hostname === 'string' &&
        spec.hostname.length <= 63 &&
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/.test(spec.hostname),
      `${where}: hostname of a valid pod is not a DNS label`,
      String(spec.hostname),
    );
  // The /etc/hosts rewrite container is the syncer's: its image and locked-down context, not the tenant's.
  const tenantInit = new Set(arr(vspec.initContainers).map((c) => rec(c).name));
  for (const c of arr(spec.initContainers)) {
    const init = rec(c);
    if (init.name !== 'vcluster-rewrite-hosts' || tenantInit.has(init.name)) continue;
    f.check(
      init.image === DEFAULT_HOSTS_REWRITE_IMAGE &&
        rec(init.securityContext).runAsNonRoot === true &&
        rec(init.securityContext).allowPrivilegeEscalation === false &&
        init.envFrom === undefined,
      `${where}: hosts rewrite container is not the syncer's`,
      json(init),
    );
  }
  checkPodReferences(f, virtual, host, g, ns);
  if (ns) checkPodSelectors(f, vspec, host, ns);
}

/** A host pod as the host API server has it after a while: admission and the scheduler added things. */
function hostPodState(host: Pod, rng: Rng): Pod {
  const current = structuredClone(host);
  const meta = current.metadata!;
  meta.uid = 'host-pod-uid';
  // Keys the host set (a sidecar injector, a policy engine): not in the syncer's record.
  meta.labels = {
    ...meta.labels,
    'sidecar.istio.io/inject': 'true',
    ...(rng.chance(0.5) ? { tier: 'host-set' } : {}),
  };
  meta.annotations = {
    ...meta.annotations,
    'iam.amazonaws.com/role': 'host-assigned',
    'kubernetes.io/psp': 'restricted',
  };
  current.spec!.nodeName = 'node-b';
  current.status = { phase: 'Running', podIP: '10.244.0.9' };
  return current;
}

/** The updated host pod: only what Kubernetes lets change, metadata merged, references still translated. */
function checkPodUpdate(
  f: Findings,
  fn: string,
  next: Obj,
  current: Pod,
  out: ReturnType<typeof podUpdatesForHost>,
  desired: Pod,
  o: { hostWins: boolean; valid: boolean },
): void {
  const pod = out.pod;
  f.check(pod.metadata?.name === current.metadata?.name, `${fn}: host pod renamed`);
  f.check(pod.metadata?.namespace === HOST_NS, `${fn}: host pod moved`);
  const mutable = new Set([
    'containers',
    'initContainers',
    'tolerations',
    'schedulingGates',
    'activeDeadlineSeconds',
  ]);
  for (const key of new Set([...Object.keys(rec(pod.spec)), ...Object.keys(rec(current.spec))]))
    if (!mutable.has(key))
      f.check(
        sameJson(rec(pod.spec)[key], rec(current.spec)[key]),
        `${fn}: immutable spec field changed`,
        key,
      );
  for (const list of ['containers', 'initContainers'] as const)
    arr(pod.spec?.[list]).forEach((c, i) => {
      const { image: _a, ...rest } = rec(c);
      const { image: _b, ...before } = rec(arr(current.spec?.[list])[i]);
      f.check(sameJson(rest, before), `${fn}: container changed beyond its image`, `${list}[${i}]`);
    });
  for (const field of ['labels', 'annotations'] as const) {
    const have = rec(pod.metadata?.[field]);
    const before = rec(current.metadata?.[field]);
    const record = new Set(
      String(
        rec(current.metadata?.annotations)[
          field === 'labels' ? MANAGED_LABELS_ANNOTATION : MANAGED_ANNOTATIONS_ANNOTATION
        ] ?? '',
      ).split('\n'),
    );
    const want = rec(desired.metadata?.[field]);
    const hostKey = (k: string) => own(before, k) && !record.has(k);
    const records = new Set([MANAGED_LABELS_ANNOTATION, MANAGED_ANNOTATIONS_ANNOTATION]);
    for (const [key, value] of Object.entries(have)) {
      if (o.valid)
        f.check(
          typeof value === 'string',
          `${fn}: ${field} value is not a string`,
          `${key}: ${typeof value}`,
        );
      if (records.has(key)) continue;
      f.check(
        own(want, key) || hostKey(key),
        `${fn}: ${field} key the tenant removed stays on the host`,
        key,
      );
    }
    for (const key of Object.keys(want)) {
      if (records.has(key)) continue;
      if (hostKey(key)) {
        if (o.hostWins)
          f.check(have[key] === before[key], `${fn}: tenant overrides a ${field} key the host set`, key);
        else f.check(own(have, key), `${fn}: ${field} key the host set is dropped`, key);
      } else
        f.check(own(have, key) && have[key] === want[key], `${fn}: tenant ${field} key not written`, key);
    }
    for (const key of Object.keys(before))
      if (hostKey(key)) f.check(own(have, key), `${fn}: ${field} key the host set is dropped`, key);
  }
  f.check(rec(pod.metadata?.labels)[MANAGED_BY_LABEL] === VC, `${fn}: managed-by lost`);
  if (out.ephemeralContainers) {
    const allowed = new Set<string>();
    const ns = nameOf(rec(next.metadata).namespace);
    forEachPodReference(next.spec as PodSpec, (ref) =>
      allowed.add(refKey(ref.kind, ref.apiGroup, hostName(ref.name, ns, VC))),
    );
    const before = arr(current.spec?.ephemeralContainers);
    f.check(
      sameJson(out.ephemeralContainers.slice(0, before.length), before),
      `${fn}: existing ephemeral containers changed`,
    );
    forEachPodReference({ containers: [], ephemeralContainers: out.ephemeralContainers }, (ref) =>
      f.check(
        allowed.has(refKey(ref.kind, ref.apiGroup, ref.name)),
        `${fn}: new ephemeral container names an untranslated object`,
        `${ref.where.field} -> ${ref.name}`,
      ),
    );
  }
}

interface Outcome {
  refused: boolean;
  /** Refused by the kind's shape check, before any translator ran. */
  malformed?: boolean;
}

/** The outcome of an object its kind's shape check refuses. */
const SHAPE_REFUSED: Outcome = { refused: true, malformed: true };

function fuzzPod(f: Findings, rng: Rng, corrupt: boolean, g: Generated): Outcome {
  const virtual = g.value;
  const before = json(virtual);
  // Documented never to throw: it runs on every pod, before the shape check and whatever it says.
  const levels: Record<string, PodSecurityViolation[]> = {};
  for (const level of ['privileged', 'baseline', 'restricted'] as const) {
    const r = attempt(f, `checkPodSecurity(${level})`, g.valid ? 'a valid input' : 'a malformed input', () =>
      checkPodSecurity(virtual as Pod, level),
    );
    levels[level] = r.ok ? checkViolations(f, level, r.value) : [];
  }
  f.check(levels.privileged!.length === 0, 'checkPodSecurity(privileged) refuses a pod');
  f.check(
    levels.baseline!.length === 0 || levels.restricted!.length > 0,
    'checkPodSecurity: restricted admits a pod baseline refuses',
  );
  // The pod kind refuses a malformed pod before any verdict or translation.
  if (!shapeAccepts(f, 'malformedPod', g, malformedPod)) {
    f.check(json(virtual) === before, 'a pod translator changes its input');
    return SHAPE_REFUSED;
  }
  const on = onInput(g);
  const policy = attempt(f, 'podPolicyViolations', on, () => podPolicyViolations(virtual as Pod, {}));
  let refusedByPolicy = false;
  if (policy.ok) {
    f.check(Array.isArray(policy.value), 'podPolicyViolations returns no array');
    for (const m of arr(policy.value)) {
      f.check(typeof m === 'string' && m !== '', 'podPolicyViolations returns a malformed message', json(m));
      f.check(
        typeof m !== 'string' || !m.includes(HOST_NS),
        'podPolicyViolations message names the host namespace',
      );
    }
    refusedByPolicy = arr(policy.value).length > 0;
  }
  // The syncer refuses what the default level (baseline) or the policy refuses; it translates the rest.
  // Translation runs whatever the verdicts: updates of running pods do not pass those checks again.
  const refused = levels.baseline!.length > 0 || refusedByPolicy;

  const uid = rec(virtual.metadata).uid;
  const translated = attempt(f, 'translatePodToHost', on, () =>
    translatePodToHost(virtual as Pod, podContext(uid)),
  );
  f.check(json(virtual) === before, 'a pod translator changes its input');
  if (!translated.ok) return { refused };
  checkHostPod(f, virtual, translated.value, g);

  // Status up: only the containers the tenant declared.
  const status = attempt(f, 'podStatusForVirtual', on, () =>
    podStatusForVirtual(
      {
        status: {
          phase: 'Running',
          message: 'ok',
          containerStatuses: [
            { name: 'main-0', ready: true, restartCount: 0, image: 'x', imageID: 'x' },
            { name: 'istio-proxy', ready: true, restartCount: 0, image: 'x', imageID: 'x' },
          ],
          initContainerStatuses: [
            { name: 'vcluster-rewrite-hosts', ready: true, restartCount: 0, image: 'x', imageID: 'x' },
          ],
        },
      } as Pod,
      virtual as Pod,
    ),
  );
  if (status.ok) {
    const declared = (list: string) => new Set(arr(rec(virtual.spec)[list]).map((c) => rec(c).name));
    for (const [field, list] of [
      ['containerStatuses', 'containers'],
      ['initContainerStatuses', 'initContainers'],
    ] as const)
      for (const s of arr(status.value[field]))
        f.check(
          declared(list).has(rec(s).name),
          'podStatusForVirtual: status of a container the tenant did not declare',
          String(rec(s).name),
        );
  }

  // Updates of the running host pod (valid pods only: an update starts from a pod that was created).
  if (!corrupt && g.valid && rng.chance(0.25)) {
    const current = hostPodState(translated.value, rng);
    const update = randomPodUpdate(rng, virtual);
    const next = update.value;
    // The update runs the shape check again, on the edited pod.
    if (!shapeAccepts(f, 'malformedPod (update)', update, malformedPod)) return { refused };
    const desired = attempt(f, 'translatePodToHost (update)', onInput(update), () =>
      translatePodToHost(next as Pod, podContext(uid)),
    );
    if (!desired.ok) return { refused };
    const variants: [string, ((d: Pod) => ReturnType<typeof planMetadata>['host']) | undefined, boolean][] = [
      ['podUpdatesForHost', undefined, false],
      [
        'podUpdatesForHost+planMetadata',
        (d) =>
          planMetadata({
            vcName: VC,
            virtual: next as KubeObject,
            host: current as unknown as KubeObject,
            desiredHost: d as unknown as KubeObject,
          }).host,
        true,
      ],
    ];
    for (const [fn, metadataFor, hostWins] of variants) {
      const snapshot = json(current);
      const r = attempt(f, fn, onInput(update), () =>
        podUpdatesForHost(next as Pod, current, podContext(uid), metadataFor),
      );
      f.check(json(current) === snapshot, `${fn} changes the current host pod`);
      if (r.ok)
        checkPodUpdate(f, fn, next, current, r.value, desired.value, { hostWins, valid: update.valid });
    }
  }
  return { refused };
}

// --- services ---------------------------------------------------------------------------------------

const SERVICE_SPEC_FIELDS = new Set([
  'type',
  'externalName',
  'externalTrafficPolicy',
  'internalTrafficPolicy',
  'loadBalancerIP',
  'loadBalancerClass',
  'loadBalancerSourceRanges',
  'allocateLoadBalancerNodePorts',
  'sessionAffinity',
  'sessionAffinityConfig',
  'publishNotReadyAddresses',
  'trafficDistribution',
  'ipFamilyPolicy',
  'selector',
  'ports',
  'clusterIP',
  'clusterIPs',
  'ipFamilies',
  'healthCheckNodePort',
]);

function fuzzService(f: Findings, rng: Rng, g: Generated): Outcome {
  if (!shapeAccepts(f, 'malformedService', g, malformedService)) return SHAPE_REFUSED;
  const virtual = g.value as KubeObject;
  const on = onInput(g);
  const before = json(virtual);
  const vmeta = rec(virtual.metadata);
  const ns = nameOf(vmeta.namespace);
  const where = {
    vcName: VC,
    hostNamespace: HOST_NS,
    virtualApiService: VC,
    hostName: hostName(nameOf(vmeta.name), ns, VC),
  };
  const vspec = rec(virtual.spec);
  let previous: KubeObject | undefined;
  for (const withCurrent of [false, true]) {
    const fn = withCurrent ? 'hostServiceFor (update)' : 'hostServiceFor';
    const current = withCurrent && previous ? (hostServiceState(rng, previous) as KubeObject) : undefined;
    if (withCurrent && !current) break;
    const r = attempt(f, fn, on, () => hostServiceFor(virtual, where, current));
    f.check(json(virtual) === before, `${fn} changes its input`);
    if (!r.ok) break;
    const out = r.value;
    previous = out;
    checkNamespacedMetadata(f, fn, virtual, out, {
      kind: '/v1, Kind=Service',
      expectedName: where.hostName,
      valid: g.valid,
      denied: false,
    });
    const spec = rec(out.spec);
    for (const key of Object.keys(spec))
      f.check(SERVICE_SPEC_FIELDS.has(key), `${fn}: unexpected spec field on the host`, key);
    f.check(spec.externalIPs === undefined, `${fn}: externalIPs reach the host`);
    const tenantSelector = vspec.selector;
    const hasTenantSelector =
      tenantSelector !== undefined && tenantSelector !== null && Object.keys(tenantSelector).length > 0;
    if (spec.selector !== undefined) {
      const selector = rec(spec.selector);
      f.check(hasTenantSelector, `${fn}: host selector without a tenant selector`);
      f.check(
        selector[MANAGED_BY_LABEL] === VC,
        `${fn}: selector not scoped to this virtual cluster`,
        json(selector),
      );
      f.check(
        !ns || selector[NAMESPACE_LABEL] === ns,
        `${fn}: selector not scoped to the virtual namespace`,
        json(selector),
      );
      for (const key of Object.keys(selector))
        if (key !== MANAGED_BY_LABEL && key !== NAMESPACE_LABEL)
          f.check(
            Object.keys(rec(tenantSelector)).some((k) => hostLabelKey(k, VC) === key),
            `${fn}: selector key the tenant did not set`,
            key,
          );
    } else
      f.check(
        !hasTenantSelector || !isRec(tenantSelector),
        `${fn}: tenant selector dropped (selects nothing or everything)`,
      );
    const currentIP = rec(current?.spec).clusterIP;
    f.check(
      spec.clusterIP === undefined ||
        (spec.clusterIP === 'None' && vspec.clusterIP === 'None') ||
        spec.clusterIP === currentIP,
      `${fn}: tenant chooses the host cluster IP`,
      String(spec.clusterIP),
    );
    if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer' && spec.type !== 'ExternalName')
      for (const p of arr(spec.ports))
        f.check(rec(p).nodePort === undefined, `${fn}: node port on a type without node ports`);
    if (spec.type === 'ExternalName')
      for (const p of arr(spec.ports))
        f.check(rec(p).nodePort === undefined, `${fn}: node port on an ExternalName service`);
  }
  if (previous) {
    const host = hostServiceState(rng, previous) as KubeObject;
    const needs = attempt(f, 'needsRecreate', on, () => needsRecreate(virtual, host));
    if (needs.ok) f.check(typeof needs.value === 'boolean', 'needsRecreate returns no boolean');
    const r = attempt(f, 'recreatedVirtualService', on, () => recreatedVirtualService(virtual, host));
    f.check(json(virtual) === before, 'recreatedVirtualService changes its input');
    if (r.ok) {
      const meta = rec(r.value.metadata);
      for (const key of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields'])
        f.check(meta[key] === undefined, 'recreatedVirtualService keeps server-set metadata', key);
      f.check(
        meta.name === vmeta.name && meta.namespace === vmeta.namespace,
        'recreatedVirtualService renames the virtual service',
      );
      f.check(
        sameJson(meta.labels, vmeta.labels),
        'recreatedVirtualService puts host labels on the virtual service',
      );
      const spec = rec(r.value.spec);
      f.check(
        spec.clusterIP === rec(host.spec).clusterIP,
        'recreatedVirtualService does not carry the host cluster IP',
      );
      f.check(
        sameJson(spec.selector, vspec.selector),
        'recreatedVirtualService puts the host selector on the virtual service',
      );
      f.check(
        sameJson(spec.externalIPs, vspec.externalIPs),
        'recreatedVirtualService takes externalIPs from the host',
      );
    }
  }
  return { refused: false };
}

// --- config maps and secrets ------------------------------------------------------------------------

function fuzzDataObject(f: Findings, g: Generated, kind: 'ConfigMap' | 'Secret'): Outcome {
  if (!shapeAccepts(f, `malformedDataObject(${kind})`, g, malformedDataObject)) return SHAPE_REFUSED;
  const virtual = g.value as KubeObject;
  const before = json(virtual);
  const vmeta = rec(virtual.metadata);
  const ns = nameOf(vmeta.namespace);
  const type: ResourceType = kind === 'Secret' ? Resources.secrets : Resources.configMaps;
  const payloadFields =
    kind === 'Secret' ? ['data', 'type', 'immutable'] : ['data', 'binaryData', 'immutable'];
  const where = {
    vcName: VC,
    hostNamespace: HOST_NS,
    virtualApiService: VC,
    hostName: hostName(nameOf(vmeta.name), ns, VC),
  };
  const fn = `hostDataObject(${kind})`;
  const r = attempt(f, fn, onInput(g), () =>
    hostDataObject(
      virtual,
      { type, payloadFields, hostTransform: kind === 'Secret' ? neutraliseHostSecret : undefined },
      where,
    ),
  );
  f.check(json(virtual) === before, `${fn} changes its input`);
  if (!r.ok) return { refused: false };
  const out = r.value;
  checkNamespacedMetadata(f, fn, virtual, out, {
    kind: `/v1, Kind=${kind}`,
    expectedName: where.hostName,
    valid: g.valid,
    denied: false,
  });
  for (const key of Object.keys(out))
    f.check(
      ['apiVersion', 'kind', 'metadata', ...payloadFields].includes(key),
      `${fn}: field beyond the payload`,
      key,
    );
  for (const field of payloadFields)
    if (field !== 'type') f.check(sameJson(out[field], virtual[field]), `${fn}: payload changed`, field);
  if (kind === 'Secret') {
    f.check(
      out.type !== SERVICE_ACCOUNT_TOKEN_TYPE,
      `${fn}: service-account-token secret on the host (host token controller fills it)`,
    );
    if (virtual.type === SERVICE_ACCOUNT_TOKEN_TYPE)
      f.check(out.type === 'Opaque', `${fn}: service-account-token not made Opaque`);
    else f.check(out.type === virtual.type, `${fn}: secret type changed`, String(out.type));
    for (const key of Object.keys(rec(out.metadata?.annotations)))
      f.check(
        !key.startsWith('kubernetes.io/service-account.'),
        `${fn}: service-account annotation on the host`,
        key,
      );
  }
  return { refused: false };
}

// --- nodes ------------------------------------------------------------------------------------------

function fuzzNode(f: Findings, g: Generated): Outcome {
  if (!shapeAccepts(f, 'malformedNode', g, malformedNode)) return SHAPE_REFUSED;
  const host = g.value as KubeObject;
  const before = json(host);
  const r = attempt(f, 'realNodeCopy', onInput(g), () => realNodeCopy(host, 'vc1'));
  f.check(json(host) === before, 'realNodeCopy changes its input');
  if (r.ok) {
    const out = r.value;
    const hmeta = rec(host.metadata);
    const meta = rec(out.metadata);
    f.check(meta.name === hmeta.name, 'realNodeCopy: not the host node name');
    for (const key of Object.keys(meta))
      f.check(['name', 'labels', 'annotations'].includes(key), 'realNodeCopy: host metadata copied', key);
    f.check(
      rec(meta.labels)['vcluster.loft.sh/managed-by'] === 'vc1',
      "realNodeCopy: not marked as the syncer's",
    );
    for (const key of Object.keys(rec(meta.annotations)))
      f.check(!key.startsWith('kwok.x-k8s.io/'), 'realNodeCopy: kwok annotation copied', key);
    for (const key of Object.keys(rec(out.spec)))
      f.check(['taints', 'unschedulable'].includes(key), 'realNodeCopy: host node spec copied', key);
    const status = rec(out.status);
    for (const key of ['images', 'volumesAttached', 'volumesInUse'])
      f.check(!own(status, key), "realNodeCopy: other tenants' workloads visible in node status", key);
    walk(out.status, ['status'], (path, value) =>
      f.check(
        typeof value !== 'string' || !value.includes('other-tenant'),
        "realNodeCopy: other tenants' workloads visible in node status",
        path.join('.'),
      ),
    );
  }
  const name = rec(host.metadata).name;
  const fake = attempt(f, 'fakeNode', onInput(g), () =>
    fakeNode(name as string, 'v1.33.0', '2024-01-01T00:00:00Z', 'vc1'),
  );
  if (fake.ok) {
    f.check(fake.value.metadata?.name === name, 'fakeNode: wrong name');
    f.check(!json(fake.value).includes('10.0.0.7'), 'fakeNode: reveals a host address');
  }
  return { refused: false };
}

// --- events -----------------------------------------------------------------------------------------

/** The host namespace as a name of its own (not part of a longer DNS label). */
const HOST_NS_TOKEN = new RegExp(`(^|[^a-z0-9-])${HOST_NS}($|[^a-z0-9-])`);

function fuzzEvent(f: Findings, g: GeneratedEvent, probe: boolean): Outcome {
  if (probe) {
    // An image name is the tenant's, and the kubelet quotes it in its events (Failed to pull image,
    // InspectFailed): a 2 KB one of `-x-` runs, which a backtracking scrub could not get through.
    g.value.message = `Failed to pull image "${'a-x-'.repeat(500)}b": rpc error: code = NotFound`;
    g.traits.push('redos-probe');
  }
  if (!shapeAccepts(f, 'malformedEvent', g, malformedEvent)) return SHAPE_REFUSED;
  const event = g.value as KubeObject;
  const before = json(event);
  const r = attempt(f, 'virtualEventFor', onInput(g), () =>
    virtualEventFor(event, g.target, { vcName: VC, hostNamespace: HOST_NS }),
  );
  f.check(json(event) === before, 'virtualEventFor changes its input');
  if (!r.ok) return { refused: false };
  const out = r.value;
  const meta = rec(out.metadata);
  const t = g.target;
  f.check(
    meta.namespace === t.namespace,
    'virtualEventFor: event not in the virtual namespace',
    String(meta.namespace),
  );
  const involved = rec(out.involvedObject);
  f.check(
    involved.name === t.name &&
      involved.namespace === t.namespace &&
      involved.uid === t.uid &&
      involved.kind === t.kind,
    'virtualEventFor: involved object is not the virtual object',
    json(involved),
  );
  // A host name is only a leak when it is not also part of a virtual name (`-x-` is legal in names).
  const virtualNames = [t.name, ...g.mentioned.map((m) => m.virtualName)];
  const leaks = (text: string) =>
    g.mentioned.filter(
      (m) =>
        m.hostName !== m.virtualName &&
        text.includes(m.hostName) &&
        !virtualNames.some((v) => v.includes(m.hostName)),
    );
  for (const [field, value] of [
    ['metadata.name', meta.name],
    ['message', out.message],
  ] as const) {
    if (typeof value !== 'string') continue;
    for (const m of leaks(value))
      f.fail(
        `virtualEventFor: host name in the virtual event's ${field}${m.hostName === t.hostName ? ' (the involved object)' : ''}${m.hostName.length === 63 && !m.hostName.endsWith(`-x-${VC}`) ? ' (truncated name)' : ''}`,
        `${m.hostName} in ${JSON.stringify(value).slice(0, 300)}`,
      );
    f.check(
      !HOST_NS_TOKEN.test(value),
      `virtualEventFor: host namespace in the virtual event's ${field}`,
      JSON.stringify(value).slice(0, 300),
    );
  }
  return { refused: false };
}

// --- from-host copies -------------------------------------------------------------------------------

const FROM_HOST_TYPES = [
  Resources.storageClasses,
  Resources.ingressClasses,
  Resources.priorityClasses,
  Resources.runtimeClasses,
  Resources.csiDrivers,
  Resources.csiNodes,
  Resources.csiStorageCapacities,
];

/** A namespaced host object (a CSIStorageCapacity): its copy lives in the virtual kube-system. */
function fuzzHostCapacity(f: Findings, g: Generated): Outcome {
  if (!shapeAccepts(f, 'malformedNamespacedHostObject', g, malformedNamespacedHostObject))
    return SHAPE_REFUSED;
  const host = g.value as KubeObject;
  const before = json(host);
  const r = attempt(f, 'virtualCapacityFor', onInput(g), () => virtualCapacityFor(host));
  f.check(json(host) === before, 'virtualCapacityFor changes its input');
  if (r.ok) {
    const fn = 'virtualCapacityFor';
    const out = r.value;
    const meta = rec(out.metadata);
    const hmeta = rec(host.metadata);
    f.check(meta.namespace === 'kube-system', `${fn}: not in kube-system`, String(meta.namespace));
    f.check(
      typeof meta.name === 'string' && meta.name.length <= 63,
      `${fn}: name too long`,
      String(meta.name),
    );
    f.check(rec(meta.labels)[FROM_HOST_LABEL] === 'true', `${fn}: not marked as the syncer's`);
    f.check(
      capacityMapper().sourceKeyOf(out) === `${String(hmeta.namespace)}/${String(hmeta.name)}`,
      `${fn}: the copy does not name its host object`,
    );
    f.check(!own(out, 'status'), `${fn}: status copied`);
  }
  return { refused: false };
}

function fuzzFromHost(f: Findings, g: Generated, type: ResourceType): Outcome {
  if (!shapeAccepts(f, 'malformedClusterObject', g, malformedClusterObject)) return SHAPE_REFUSED;
  const host = g.value as KubeObject;
  const before = json(host);
  const r = attempt(f, `virtualCopyOf(${type.kind})`, onInput(g), () => virtualCopyOf(host, type));
  f.check(json(host) === before, 'virtualCopyOf changes its input');
  if (r.ok) {
    const out = r.value;
    const fn = 'virtualCopyOf';
    f.check(
      out.apiVersion === (type.group ? `${type.group}/${type.version}` : type.version) &&
        out.kind === type.kind,
      `${fn}: wrong type`,
    );
    const meta = rec(out.metadata);
    const hmeta = rec(host.metadata);
    f.check(meta.name === hmeta.name, `${fn}: not the host object's name`);
    for (const key of Object.keys(meta))
      f.check(['name', 'labels', 'annotations'].includes(key), `${fn}: host metadata copied`, key);
    f.check(rec(meta.labels)[FROM_HOST_LABEL] === 'true', `${fn}: not marked as the syncer's`);
    f.check(
      rec(meta.annotations)[OBJECT_HOST_NAME_ANNOTATION] === (hmeta.name ?? ''),
      `${fn}: no host-name annotation`,
    );
    f.check(!own(out, 'status'), `${fn}: status copied`);
    for (const key of Object.keys(host))
      if (!['apiVersion', 'kind', 'metadata', 'status'].includes(key))
        f.check(sameJson(out[key], host[key]), `${fn}: field not copied as is`, key);
  }
  return { refused: false };
}

// --- the run ----------------------------------------------------------------------------------------

/** The case mix: one slot per percent, so every run of N cases has the same proportions. */
const MIX: [string, number][] = [
  ['pods', 60],
  ['services', 12],
  ['configmaps', 6],
  ['secrets', 8],
  ['nodes', 5],
  ['events', 6],
  ['from-host', 3],
];
const SLOTS = MIX.flatMap(([kind, n]) => Array.from({ length: n }, () => kind));
const kindOf = (index: number) => SLOTS[(index * 37) % SLOTS.length]!;
/** The first events case carries the slow-message probe, so a short run has it too. */
const PROBE_INDEX = Array.from({ length: SLOTS.length }, (_, i) => i).find((i) => kindOf(i) === 'events')!;

interface CaseResult {
  index: number;
  kind: string;
  valid: boolean;
  refused: boolean;
  malformed: boolean;
  findings: Finding[];
  input: string;
  traits: string[];
}

/** One case's object, and the translators to push it through. */
function prepare(
  kind: string,
  rng: Rng,
  corrupt: boolean,
  index: number,
): { g: Generated; run: (f: Findings) => Outcome } {
  switch (kind) {
    case 'pods': {
      const g = randomPod(rng, { corrupt });
      return { g, run: (f) => fuzzPod(f, rng, corrupt, g) };
    }
    case 'services': {
      const g = randomService(rng, { corrupt });
      return { g, run: (f) => fuzzService(f, rng, g) };
    }
    case 'configmaps':
    case 'secrets': {
      const k = kind === 'secrets' ? 'Secret' : 'ConfigMap';
      const g = randomDataObject(rng, k, { corrupt });
      return { g, run: (f) => fuzzDataObject(f, g, k) };
    }
    case 'nodes': {
      const g = randomHostNode(rng, { corrupt });
      return { g, run: (f) => fuzzNode(f, g) };
    }
    case 'events': {
      const g = randomHostEvent(rng, (n, ns) => hostName(n, ns, VC), { corrupt, hostNamespace: HOST_NS });
      return { g, run: (f) => fuzzEvent(f, g, index === PROBE_INDEX) };
    }
    default: {
      const type = rng.pick(FROM_HOST_TYPES);
      const g = randomHostClassObject(rng, type.kind, { corrupt });
      if (type.namespaced) {
        // Host capacities live in their CSI driver's namespace.
        const meta = rec(rec(g.value).metadata);
        if (isRec(rec(g.value).metadata))
          meta.namespace = rng.pick(['csi-system', 'kube-system', 'x'.repeat(63)]);
        return { g, run: (f) => fuzzHostCapacity(f, g) };
      }
      return { g, run: (f) => fuzzFromHost(f, g, type) };
    }
  }
}

function runCase(index: number): CaseResult {
  const rng = new Rng(caseSeed(SEED, index));
  // The probe case is always well-formed: what it shows must not pass for a malformed-input artefact.
  const corrupt = rng.chance(MALFORMED) && index !== PROBE_INDEX;
  const kind = kindOf(index);
  const { g, run } = prepare(kind, rng, corrupt, index);
  let input: string;
  try {
    input = JSON.stringify(g.value);
  } catch {
    input = '<not serialisable>';
  }
  const f = new Findings();
  let outcome: Outcome = { refused: false };
  try {
    outcome = run(f);
  } catch (err) {
    // The checks read outputs defensively; one that still throws met an output nothing foresaw.
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    f.fail(`${kind}: the invariant checks cannot read an output: ${stack.split('\n')[1]?.trim()}`, stack);
  }
  return {
    index,
    kind,
    valid: g.valid,
    refused: outcome.refused,
    malformed: outcome.malformed === true,
    findings: f.list,
    input,
    traits: g.traits,
  };
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}… (${s.length} chars)`;
}

describe('translator fuzz', () => {
  it(`pushes ${ONLY === undefined ? CASES : 1} random valid and malformed objects through every translator without an escape`, () => {
    const indices = ONLY === undefined ? Array.from({ length: CASES }, (_, i) => i) : [ONLY];
    const started = performance.now();
    const results = indices.map(runCase);
    const elapsed = ((performance.now() - started) / 1000).toFixed(1);

    const perKind = new Map<string, number>();
    for (const r of results) perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1);
    const escapes = results.filter((r) => r.findings.length > 0);
    const bySignature = new Map<string, { count: number; cases: CaseResult[]; detail: string }>();
    for (const r of escapes)
      for (const finding of new Map(r.findings.map((x) => [x.signature, x])).values()) {
        const entry = bySignature.get(finding.signature) ?? { count: 0, cases: [], detail: finding.detail };
        entry.count++;
        entry.cases.push(r);
        bySignature.set(finding.signature, entry);
      }
    const valid = results.filter((r) => r.valid).length;
    // Each case counts once: an escape, else a refusal, else ok.
    const refused = results.filter((r) => r.refused && r.findings.length === 0).length;
    const shapeRefused = results.filter((r) => r.malformed && r.findings.length === 0).length;
    const mix = MIX.map(([kind]) => `${kind} ${perKind.get(kind) ?? 0}`).join(', ');
    console.log(
      `fuzz: seed ${SEED}, ${results.length} cases (${mix}; ${valid} valid, ${results.length - valid} malformed), ` +
        `${results.length - refused - escapes.length} ok, ${refused} refused (${shapeRefused} by a shape check), ${escapes.length} escapes ` +
        `(${bySignature.size} distinct) in ${elapsed}s`,
    );

    if (ONLY !== undefined) {
      const r = results[0]!;
      console.log(
        `case ${r.index} (${r.kind}, ${r.valid ? 'valid' : 'malformed'}; ${r.traits.join(', ')}):\n${r.input}\n${json(r.findings)}`,
      );
    }

    // One entry per distinct cause: those seen on valid inputs first, then the most frequent. The
    // first DETAILED carry the smallest input that shows them (a valid one when there is one).
    const DETAILED = 12;
    const report = [...bySignature.entries()]
      .map(([signature, entry]) => ({ signature, ...entry, valid: entry.cases.filter((c) => c.valid) }))
      .sort((a, b) => Number(b.valid.length > 0) - Number(a.valid.length > 0) || b.count - a.count)
      .map(({ signature, count, cases, valid, detail }, i) => {
        const pool = valid.length ? valid : cases;
        const smallest = pool.reduce((a, b) => (b.input.length < a.input.length ? b : a));
        const head = [
          signature,
          `  ${count} cases (${valid.length} valid); replay: FUZZ_SEED=${SEED} FUZZ_CASE=${smallest.index} (${smallest.kind}, ${smallest.valid ? 'valid' : 'malformed'})`,
        ];
        if (i >= DETAILED) return head.join('\n');
        const finding = smallest.findings.find((x) => x.signature === signature)!;
        return [
          ...head,
          `  detail: ${clip(finding.detail || detail, 600)}`,
          `  traits: ${clip(smallest.traits.join(', '), 300)}`,
          `  input: ${clip(smallest.input, 1500)}`,
        ].join('\n');
      });
    expect(report).toEqual([]);
  }, 120_000);
});
