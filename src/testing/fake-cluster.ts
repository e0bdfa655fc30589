import type {
  ClusterClient,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  ServedResource,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  WriteOptions,
} from '../kube/client.ts';
import { ApiError, type ApiErrorKind, type ApiStatus } from '../kube/errors.ts';
import { annotationBytes, MAX_ANNOTATION_BYTES, type KubeObject, type ObjectList } from '../kube/object.ts';
import { apiVersionOf, Resources, type ResourceType } from '../kube/resources.ts';
import { realClock, type Clock } from '../util/clock.ts';
import { cloneJson } from '../util/json.ts';

export type FakeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface RecordedWrite {
  verb: 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  namespace: string;
  name: string;
  subresource?: string;
}

export interface FakeClusterOptions {
  /** The first three octets of the cluster IPs this fake allocates (default 10.96.0). */
  serviceIPBase?: string;
  clock?: Clock;
  /** Scheduled, running pods get a deletionTimestamp on delete and stay until finishDeletion. */
  podGraceful?: boolean;
}

type Obj = Record<string, unknown>;
interface Change {
  rv: number;
  typeKey: string;
  type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>;
  object: KubeObject;
  old?: KubeObject;
}
interface Watcher {
  typeKey: string;
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  onEvent: (event: WatchEvent) => void;
  open: boolean;
  close: () => void;
}

// Kinds whose PUT ignores .status (it has its own subresource); all but nodes reset it on create.
const STATUS_SUBRESOURCE = new Set([
  'pods',
  'services',
  'persistentvolumeclaims',
  'persistentvolumes',
  'namespaces',
  'nodes',
  'ingresses',
  'customresourcedefinitions',
  'resourceclaims',
]);
const STATUS_ON_CREATE: Record<string, unknown> = {
  pods: { phase: 'Pending' },
  services: { loadBalancer: {} },
  ingresses: { loadBalancer: {} },
  persistentvolumeclaims: { phase: 'Pending' },
  persistentvolumes: { phase: 'Pending' },
  namespaces: { phase: 'Active' },
  // What the real server reports moments after a CRD is created: it serves the resource.
  customresourcedefinitions: { conditions: [{ type: 'Established', status: 'True' }] },
};
// CRD-backed kinds the syncer knows (the Gateway API's) all declare a status subresource.
const hasStatusSubresource = (type: ResourceType) =>
  STATUS_SUBRESOURCE.has(type.resource) || type.fromCrd === true;

const STATUS_FOR_KIND: Record<ApiErrorKind, [code: number, reason: string]> = {
  conflict: [409, 'Conflict'],
  notFound: [404, 'NotFound'],
  alreadyExists: [409, 'AlreadyExists'],
  invalid: [422, 'Invalid'],
  gone: [410, 'Expired'],
  forbidden: [403, 'Forbidden'],
  unauthorized: [401, 'Unauthorized'],
  tooManyRequests: [429, 'TooManyRequests'],
  timeout: [504, 'Timeout'],
  unavailable: [503, 'ServiceUnavailable'],
  network: [0, ''],
  other: [405, 'MethodNotAllowed'],
};

const statusBody = (
  code: number,
  reason: string,
  message: string,
  details?: ApiStatus['details'],
): ApiStatus & Obj => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

/** The ApiError the REST client throws when a server answers with a Status of this kind. */
export function apiError(kind: ApiErrorKind, message: string, cluster = 'host'): ApiError {
  const [code, reason] = STATUS_FOR_KIND[kind];
  return serverError(cluster, code, reason, message);
}

function serverError(
  cluster: string,
  code: number,
  reason: string,
  message: string,
  details?: ApiStatus['details'],
): ApiError {
  // A network failure has no Status body: the REST client uses its own message as the fallback.
  if (code === 0) return new ApiError(cluster, 0, undefined, message);
  return new ApiError(cluster, code, statusBody(code, reason, message, details), `HTTP ${code}`);
}

const clone = <T>(v: T): T => cloneJson(v);
const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const setOrDelete = (o: Obj, key: string, value: unknown) =>
  value === undefined ? delete o[key] : (o[key] = value);
const recordAt = (o: Obj, key: string): Obj => (isRecord(o[key]) ? o[key] : (o[key] = {}));

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
    );
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => deepEqual(a[k], b[k]));
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Obj = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * A strategic merge patch, as far as the syncer writes them: a merge patch, plus the directive
 * `$deleteFromPrimitiveList/<field>` (the values listed leave that list of scalars, a finalizer say).
 * Lists with merge keys are replaced whole, as a merge patch does.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Obj = isRecord(target) ? { ...target } : {};
  const DELETE_FROM = '$deleteFromPrimitiveList/';
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      const gone = Array.isArray(value) ? value : [];
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((v) => !gone.includes(v));
    } else if (value === null) delete out[key];
    else out[key] = strategicMergePatch(out[key], value);
  }
  return out;
}

/** RFC 6902 JSON patch below the root: add, replace, remove and test (the syncer needs no move or copy). */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new Error('json patch must be an array of operations');
  for (const op of ops as unknown[]) {
    if (!isRecord(op) || typeof op.path !== 'string') throw new Error('json patch operation without path');
    if (!['add', 'remove', 'replace', 'test'].includes(String(op.op)))
      throw new Error(`json patch: op ${String(op.op)}`);
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) throw new Error('json patch: the whole document cannot be replaced');
    let parent: unknown = doc;
    for (const p of parts)
      parent = Array.isArray(parent) ? parent[Number(p)] : isRecord(parent) ? parent[p] : undefined;
    const exists = Array.isArray(parent) ? Number(last) < parent.length : isRecord(parent) && last in parent;
    const missing = () => new Error(`json patch: path ${op.path} does not exist`);
    if (Array.isArray(parent)) {
      const at = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(at) || at < 0 || at > parent.length) throw missing();
      if (op.op === 'add') parent.splice(at, 0, clone(op.value));
      else if (!exists) throw missing();
      else if (op.op === 'remove') parent.splice(at, 1);
      else if (op.op === 'replace') parent[at] = clone(op.value);
      else if (op.op === 'test' && !deepEqual(parent[at], op.value))
        throw new Error(`json patch: test ${op.path} failed`);
    } else if (isRecord(parent)) {
      if (op.op !== 'add' && !exists) throw missing();
      if (op.op === 'remove') delete parent[last];
      else if (op.op === 'add' || op.op === 'replace') parent[last] = clone(op.value);
      else if (op.op === 'test' && !deepEqual(parent[last], op.value))
        throw new Error(`json patch: test ${op.path} failed`);
    } else throw missing();
  }
  return doc;
}

/** Splits on commas outside parentheses, so `a in (x,y),b` is two terms. */
function selectorTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter(Boolean);
}

/** Whether labels satisfy a Kubernetes label selector string (equality, existence and set terms). */
export function matchesLabelSelector(
  selector: string | undefined,
  labels: Record<string, string> = {},
): boolean {
  return selectorTerms(selector ?? '').every((term) => {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^\s!=(]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim());
      const has = m[1]! in labels && values.includes(labels[m[1]!]!);
      return m[2] === 'in' ? has : !has;
    }
    if ((m = term.match(/^!\s*([^\s!=]+)$/))) return !(m[1]! in labels);
    if ((m = term.match(/^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/))) {
      const equal = m[1]! in labels && labels[m[1]!] === m[3];
      return m[2] === '!=' ? !equal : equal;
    }
    if (/^[^\s!=(),]+$/.test(term)) return term in labels;
    throw new Error(`unable to parse requirement: ${term}`);
  });
}

/** Field selectors compare the string form of any dotted path, `metadata.name=x` and `spec.nodeName!=` alike. */
function matchesFieldSelector(selector: string | undefined, obj: KubeObject): boolean {
  return selectorTerms(selector ?? '').every((term) => {
    const m = term.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new Error(`invalid field selector: ${term}`);
    let value: unknown = obj;
    for (const part of m[1]!.split('.')) value = isRecord(value) ? value[part] : undefined;
    const equal = String(value ?? '') === m[3];
    return m[2] === '!=' ? !equal : equal;
  });
}

/**
 * Why the real API server refuses a PUT to `pods/resize` (the checks the syncer meets; not the QoS
 * class rule): containers added, removed or renamed; a request or limit removed; anything but cpu
 * and memory changed; or a running container whose status has no resources (its node's kubelet
 * cannot resize).
 */
function podResizeRefusal(old: KubeObject, body: KubeObject): string | undefined {
  const list = (pod: KubeObject, f: string): Obj[] =>
    isRecord(pod.spec) && Array.isArray(pod.spec[f]) ? (pod.spec[f] as Obj[]) : [];
  for (const f of ['containers', 'initContainers']) {
    const was = list(old, f);
    const now = list(body, f);
    if (was.length !== now.length || was.some((c, i) => c.name !== now[i]?.name))
      return `spec.${f}: Forbidden: ${f} may not be added, removed, renamed or reordered on resize`;
    for (const [i, c] of was.entries()) {
      const resources = (o: Obj, part: string): Obj => {
        const r = isRecord(o.resources) ? o.resources : {};
        return isRecord(r[part]) ? (r[part] as Obj) : {};
      };
      for (const part of ['requests', 'limits']) {
        const before = resources(c, part);
        const after = resources(now[i]!, part);
        if (Object.keys(before).some((k) => !(k in after)))
          return `spec.${f}[${i}].resources.${part}: Forbidden: resource ${part} cannot be removed`;
        const changed = Object.keys(after).filter((k) => !deepEqual(before[k], after[k]));
        if (changed.some((k) => k !== 'cpu' && k !== 'memory'))
          return 'spec: Forbidden: only cpu and memory resources are mutable';
      }
    }
  }
  const statuses =
    isRecord(old.status) && Array.isArray(old.status.containerStatuses) ? old.status.containerStatuses : [];
  const running = statuses.find(
    (s): s is Obj => isRecord(s) && isRecord(s.state) && isRecord(s.state.running),
  );
  if (running && !isRecord(running.resources))
    return 'spec: Forbidden: Pod running on node without support for resize';
  return undefined;
}

/** The spec fields of a PersistentVolume an update may change; its source and volume mode may not. */
const MUTABLE_VOLUME_FIELDS = new Set([
  'capacity',
  'accessModes',
  'claimRef',
  'persistentVolumeReclaimPolicy',
  'storageClassName',
  'mountOptions',
  'nodeAffinity',
  'volumeAttributesClassName',
]);

/** The first spec field of a PersistentVolume an update changes that cannot change. */
function volumeSpecChangeForbidden(oldSpec: unknown, newSpec: unknown): string | undefined {
  const o = isRecord(oldSpec) ? oldSpec : {};
  const n = isRecord(newSpec) ? newSpec : {};
  return [...new Set([...Object.keys(o), ...Object.keys(n)])].find(
    (f) => !MUTABLE_VOLUME_FIELDS.has(f) && !deepEqual(o[f], n[f]),
  );
}

/** Pod spec fields a plain update may change; everything else needs a subresource or a new pod. */
function podSpecChangeForbidden(oldSpec: unknown, newSpec: unknown): boolean {
  const munge = (spec: unknown): Obj => {
    const s: Obj = isRecord(spec) ? clone(spec) : {};
    for (const list of ['containers', 'initContainers']) {
      for (const c of Array.isArray(s[list]) ? s[list] : []) if (isRecord(c)) delete c.image;
    }
    for (const f of [
      'activeDeadlineSeconds',
      'terminationGracePeriodSeconds',
      'tolerations',
      'schedulingGates',
    ])
      delete s[f];
    return s;
  };
  const list = (spec: unknown, f: string): unknown[] =>
    isRecord(spec) && Array.isArray(spec[f]) ? spec[f] : [];
  const subset = (a: unknown[], b: unknown[]) => a.every((x) => b.some((y) => deepEqual(x, y)));
  return (
    !deepEqual(munge(oldSpec), munge(newSpec)) ||
    !subset(list(oldSpec, 'tolerations'), list(newSpec, 'tolerations')) ||
    !subset(list(newSpec, 'schedulingGates'), list(oldSpec, 'schedulingGates'))
  );
}

/**
 * An in-memory API server for one cluster, close enough to the real one (errors, resourceVersions,
 * status and ephemeral-container subresources, watch replay and 410) for state-table tests of the
 * syncer engine, and recording every write so a test can assert exactly what the engine did.
 */
export class FakeCluster implements ClusterClient {
  readonly name: string;
  readonly writes: RecordedWrite[] = [];
  private readonly clock: Clock;
  private readonly podGraceful: boolean;
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private history: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly failures: { verb: FakeVerb; resource: string; error: Error | ApiErrorKind }[] = [];
  private readonly actions: { verb: FakeVerb; resource: string; act: () => void }[] = [];
  private readonly createMutations = new Map<string, ((object: KubeObject) => void)[]>();
  private readonly updateMutations = new Map<string, ((object: KubeObject) => void)[]>();
  private rv = 0;
  private compactedRv = 0;
  private seq = 0;
  private ipSeq = 0;
  private readonly serviceIPBase: string;
  /** Resources whose watch events are held back (a slow watch), and the deliveries held so far. */
  private readonly heldResources = new Set<string>();
  private heldDeliveries: (() => void)[] = [];

  constructor(name: 'host' | 'virtual' | string, opts: FakeClusterOptions = {}) {
    this.name = name;
    this.serviceIPBase = opts.serviceIPBase ?? '10.96.0';
    this.clock = opts.clock ?? realClock;
    this.podGraceful = opts.podGraceful ?? false;
  }

  /** Stores an object as test fixture: no write is recorded, but open watches see it. */
  seed(type: ResourceType, obj: KubeObject): KubeObject {
    const o = this.incoming(type, obj.metadata?.namespace ?? '', obj);
    const meta = o.metadata!;
    meta.uid ??= `${meta.name}-uid-${++this.seq}`;
    meta.creationTimestamp ??= rfc3339(this.clock.now());
    const given = Number(meta.resourceVersion);
    // A fixture's own resourceVersion is kept only while versions still increase with every write.
    if (Number.isInteger(given) && given > this.rv) this.rv = given - 1;
    return this.put(type, o, this.bucket(type).get(keyOf(o)));
  }

  /** Makes the next call of verb on resource (`pods`, or `pods/status` for one subresource) fail. */
  failNext(verb: FakeVerb, resource: string, error: Error | ApiErrorKind): void {
    this.failures.push({ verb, resource, error });
  }

  /**
   * Runs act once, when the next call of verb on resource (matched as by failNext) comes, before it is
   * answered: another client's change landing while the caller waits for that call.
   */
  actOnNext(verb: FakeVerb, resource: string, act: () => void): void {
    this.actions.push({ verb, resource, act });
  }

  /**
   * Changes every new object of a resource as a mutating admission webhook would on create (a
   * digest pinned to an image, a queue's scheduling gate), before it is stored.
   */
  mutateOnCreate(resource: string, mutate: (object: KubeObject) => void): void {
    const list = this.createMutations.get(resource) ?? [];
    list.push(mutate);
    this.createMutations.set(resource, list);
  }

  /**
   * Changes the body of every update of a resource (`pods`, or `pods/status` for one subresource)
   * before it is stored, as an API server drops fields it does not serve (an older version, a
   * feature gate off).
   */
  mutateOnUpdate(resource: string, mutate: (object: KubeObject) => void): void {
    const list = this.updateMutations.get(resource) ?? [];
    list.push(mutate);
    this.updateMutations.set(resource, list);
  }

  /** Copies of the stored objects of a type, optionally of one namespace, sorted by key. */
  objects(type: ResourceType, namespace?: string): KubeObject[] {
    return [...this.bucket(type).values()]
      .filter((o) => !namespace || o.metadata?.namespace === namespace)
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
      .map(clone);
  }

  /** Writes as `verb resource[/subresource] [namespace/]name` lines. */
  writeLog(): string[] {
    return this.writes.map(
      (w) =>
        `${w.verb} ${w.resource}${w.subresource ? `/${w.subresource}` : ''} ${w.namespace ? `${w.namespace}/` : ''}${w.name}`,
    );
  }

  clearWrites(): void {
    this.writes.length = 0;
  }

  /** Forgets the change history, so a watch from any earlier resourceVersion gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  /**
   * Holds back the watch events of a resource (`pods`) until releaseWatchEvents: writes are answered
   * at once and caches lag behind them, as when a watch is slow under load.
   */
  holdWatchEvents(resource: string): void {
    this.heldResources.add(resource);
  }

  /** Delivers the held watch events in order, and holds no more. */
  releaseWatchEvents(): void {
    this.heldResources.clear();
    for (const deliver of this.heldDeliveries.splice(0)) deliver();
  }

  /** Ends every open watch the way a server does at its timeout. */
  closeWatches(): void {
    for (const w of [...this.watchers]) w.close();
  }

  /** Completes a graceful deletion (what the kubelet does once the pod's containers stop). */
  finishDeletion(type: ResourceType, namespace: string, name: string): void {
    const old = this.bucket(type).get(key(type.namespaced ? namespace : '', name));
    if (old) this.remove(type, old);
  }

  async serverVersion(): Promise<string> {
    return 'v1.37.2';
  }

  /** Discovery of the kinds the syncer knows (src/kube/resources.ts): the fake serves any of them. */
  async servedResources(groupVersion: string): Promise<ServedResource[]> {
    const served = Object.values(Resources).filter(
      (t) => (t.group ? `${t.group}/${t.version}` : t.version) === groupVersion,
    );
    if (served.length === 0)
      throw new ApiError(this.name, 404, { reason: 'NotFound' }, `${groupVersion} is not served`);
    return served.map((t) => ({ name: t.resource, kind: t.kind, namespaced: t.namespaced }));
  }

  async get<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<T> {
    this.injected('get', type);
    return clone(this.existing(type, namespace, name)) as T;
  }

  async list<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    this.injected('list', type);
    // One page whatever the limit: a continue token never has to be honoured.
    const w = this.filter(type, namespace, options.labelSelector, options.fieldSelector);
    const items = this.objects(type).filter((o) => this.matches(w, o));
    return {
      apiVersion: apiVersionOf(type),
      kind: `${type.kind}List`,
      metadata: { resourceVersion: String(this.rv) },
      // Like the real server's, list items carry no apiVersion/kind (the list itself does).
      items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest as T),
    };
  }

  async watch(
    type: ResourceType,
    namespace: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.injected('watch', type);
    const from = Number(options.resourceVersion || '0');
    if (!Number.isInteger(from))
      throw this.error(400, 'BadRequest', `invalid resource version "${options.resourceVersion}"`);
    if (signal.aborted) return;
    const w: Watcher = {
      ...this.filter(type, namespace, options.labelSelector, options.fieldSelector),
      onEvent,
    };
    return new Promise<void>((resolve) => {
      let cancelTimer = () => {};
      w.close = () => {
        w.open = false;
        this.watchers.delete(w);
        cancelTimer();
        signal.removeEventListener('abort', w.close);
        resolve();
      };
      if (from > 0 && from < this.compactedRv) {
        // The real server opens the watch and sends the 410 as an ERROR event, then closes it.
        const gone = statusBody(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`);
        queueMicrotask(() => {
          if (w.open) onEvent({ type: 'ERROR', object: gone });
          w.close();
        });
        return;
      }
      if (from === 0) {
        // resourceVersion "0" or unset: the current state as synthetic ADDED events, then changes.
        for (const o of this.objects(type))
          this.deliver(w, { rv: 0, typeKey: w.typeKey, type: 'ADDED', object: o });
      } else for (const c of this.history) if (c.rv > from) this.deliver(w, c);
      this.watchers.add(w);
      signal.addEventListener('abort', w.close);
      cancelTimer = this.clock.setTimer(w.close, options.timeoutSeconds * 1000);
    });
  }

  async create<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options: WriteOptions & { name?: string } = {},
  ): Promise<T> {
    const sub = options.subresource;
    this.injected('create', type, sub);
    const ns = type.namespaced ? namespace : '';
    if (sub) {
      const result = this.createSubresource(
        type,
        ns,
        options.name ?? object.metadata?.name ?? '',
        object,
        sub,
      );
      this.record('create', type, ns, options.name ?? object.metadata?.name ?? '', sub);
      return result as T;
    }
    const o = this.incoming(type, ns, object);
    const meta = o.metadata!;
    if (meta.resourceVersion) {
      // What etcd storage answers (an InternalError), so a syncer copying a live object is caught here too.
      throw this.error(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
    }
    if (!meta.name && meta.generateName) meta.name = meta.generateName + suffix(++this.seq);
    if (!meta.name) {
      throw this.error(
        422,
        'Invalid',
        `${type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
      );
    }
    if (this.bucket(type).has(keyOf(o)))
      throw this.error(409, 'AlreadyExists', `${qualified(type)} "${meta.name}" already exists`);
    const ephemeral = isRecord(o.spec) ? o.spec.ephemeralContainers : undefined;
    if (type.resource === 'pods' && Array.isArray(ephemeral) && ephemeral.length > 0)
      // As the API server's pod validation: debug containers come only through their subresource.
      throw this.error(
        422,
        'Invalid',
        `Pod "${meta.name}" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create`,
      );
    for (const mutate of this.createMutations.get(type.resource) ?? []) mutate(o);
    meta.uid = `${meta.name}-uid-${++this.seq}`;
    meta.creationTimestamp = rfc3339(this.clock.now());
    delete meta.deletionTimestamp;
    if (type.resource in STATUS_ON_CREATE) o.status = clone(STATUS_ON_CREATE[type.resource]);
    if (type.resource === 'services') this.allocateServiceAddresses(type, o);
    if (options.dryRun) return o as T;
    this.record('create', type, ns, meta.name);
    return this.put(type, o, undefined) as T;
  }

  /**
   * What the API server allocates for a new Service: a cluster IP (unless headless or ExternalName)
   * and node ports for NodePort and LoadBalancer types. Each fake cluster allocates from its own
   * block (`serviceIPBase`), so a virtual and a host Service get different IPs, as they do for real
   * before the syncer aligns them; an IP asked for explicitly must be free.
   */
  private allocateServiceAddresses(type: ResourceType, svc: KubeObject): void {
    const spec = (svc.spec ??= {}) as {
      type?: string;
      clusterIP?: string;
      clusterIPs?: string[];
      ports?: { nodePort?: number }[];
    };
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
      const used = new Set(
        [...this.bucket(type).values()].map((o) => (o.spec as { clusterIP?: string }).clusterIP),
      );
      if (spec.clusterIP) {
        if (used.has(spec.clusterIP))
          throw this.error(
            422,
            'Invalid',
            `Service "${svc.metadata?.name}" is invalid: spec.clusterIPs: Invalid value: ["${spec.clusterIP}"]: failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`,
          );
      } else {
        spec.clusterIP = `${this.serviceIPBase}.${++this.ipSeq}`;
      }
      spec.clusterIPs = [spec.clusterIP];
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      this.refuseTakenNodePorts(type, svc);
      for (const port of spec.ports ?? []) port.nodePort ??= 30000 + ++this.ipSeq;
    }
  }

  /**
   * Node ports are one range for the whole cluster, as on a real API server: a port asked for
   * explicitly must not be held by another Service.
   */
  private refuseTakenNodePorts(type: ResourceType, svc: KubeObject): void {
    const ports = (svc.spec as { ports?: { nodePort?: number }[] } | undefined)?.ports ?? [];
    const self = keyOf(svc);
    const taken = new Set<number>();
    for (const [k, other] of this.bucket(type))
      if (k !== self)
        for (const p of (other.spec as { ports?: { nodePort?: number }[] } | undefined)?.ports ?? [])
          if (p.nodePort) taken.add(p.nodePort);
    const clash = ports.find((p) => p.nodePort !== undefined && taken.has(p.nodePort));
    if (clash)
      throw this.error(
        422,
        'Invalid',
        `Service "${svc.metadata?.name}" is invalid: spec.ports[0].nodePort: Invalid value: ${clash.nodePort}: provided port is already allocated`,
      );
  }

  /**
   * What the API server does on a Service update: an omitted cluster IP keeps the allocated one, a
   * changed one is refused (cluster IPs are immutable), one that had none (an ExternalName turned
   * ClusterIP) is allocated as on create, and node ports are kept per port or allocated when the
   * type comes to need them.
   */
  private keepServiceAddresses(type: ResourceType, old: KubeObject, next: KubeObject): void {
    type Spec = {
      type?: string;
      clusterIP?: string;
      clusterIPs?: string[];
      ports?: { port: number; nodePort?: number }[];
    };
    const before = (old.spec ?? {}) as Spec;
    const after = (next.spec ??= {}) as Spec;
    if (after.type !== 'ExternalName' && !before.clusterIP) {
      this.allocateServiceAddresses(type, next);
      return;
    }
    if (after.type !== 'ExternalName' && before.clusterIP) {
      if (after.clusterIP && after.clusterIP !== before.clusterIP)
        throw this.invalid(
          type,
          old.metadata?.name ?? '',
          'spec.clusterIPs[0]: Invalid value: field is immutable',
        );
      after.clusterIP = before.clusterIP;
      after.clusterIPs = before.clusterIPs;
    }
    if (after.type === 'NodePort' || after.type === 'LoadBalancer') {
      this.refuseTakenNodePorts(type, next);
      for (const port of after.ports ?? [])
        port.nodePort ??= before.ports?.find((p) => p.port === port.port)?.nodePort ?? 30000 + ++this.ipSeq;
    } else {
      for (const port of after.ports ?? []) delete port.nodePort;
    }
  }

  async update<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    object: KubeObject,
    options: WriteOptions = {},
  ): Promise<T> {
    this.injected('update', type, options.subresource);
    const name = object.metadata?.name ?? '';
    const body = clone(object);
    const resource = options.subresource ? `${type.resource}/${options.subresource}` : type.resource;
    for (const mutate of this.updateMutations.get(resource) ?? []) mutate(body);
    const result = this.replace(type, namespace, name, body, options);
    if (!options.dryRun) this.record('update', type, namespace, name, options.subresource);
    return result as T;
  }

  async patch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: unknown,
    patchType: PatchType,
    options: PatchOptions = {},
  ): Promise<T> {
    this.injected('patch', type, options.subresource);
    // Server-side apply records its field manager among the object's managed fields (kept as the
    // manager's name alone: which fields it owns is not modelled).
    const applied = (obj: KubeObject): KubeObject => {
      const manager = options.fieldManager ?? 'unknown';
      const entries = obj.metadata?.managedFields ?? [];
      if (entries.some((e) => (e as { manager?: string }).manager === manager)) return obj;
      return {
        ...obj,
        metadata: { ...obj.metadata, managedFields: [...entries, { manager, operation: 'Apply' }] },
      };
    };
    if (patchType === 'apply' && !this.bucket(type).has(key(type.namespaced ? namespace : '', name))) {
      // Server-side apply of a missing object creates it.
      const created = await this.create<T>(type, namespace, applied(patch as KubeObject), options);
      return created;
    }
    // Server-side apply of an existing object, roughly: the applied fields merged in (a real API
    // server also removes the fields the manager applied before and applies no more).
    const current = clone(this.existing(type, namespace, name));
    let patched: unknown;
    try {
      patched =
        patchType === 'json'
          ? jsonPatch(current, patch)
          : patchType === 'strategic'
            ? strategicMergePatch(current, patch)
            : mergePatch(current, patch);
    } catch (err) {
      throw this.error(422, 'Invalid', err instanceof Error ? err.message : String(err));
    }
    if (!isRecord(patched)) throw this.error(422, 'Invalid', 'patch did not produce an object');
    if (patchType === 'apply') patched = applied(patched as KubeObject);
    // A resourceVersion the patch leaves in place is the current one; one it sets is a precondition.
    const result = this.replace(type, namespace, name, patched as Record<string, unknown>, options);
    if (!options.dryRun) this.record('patch', type, namespace, name, options.subresource);
    return result as T;
  }

  async delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<void> {
    this.injected('delete', type);
    const old = this.existing(type, namespace, name);
    this.preconditions(type, old, options.uid, options.resourceVersion);
    this.record('delete', type, namespace, name);
    this.deleteObject(type, old, options.gracePeriodSeconds);
  }

  private deleteObject(type: ResourceType, old: KubeObject, gracePeriodSeconds?: number): void {
    const spec = isRecord(old.spec) ? old.spec : {};
    const phase = isRecord(old.status) ? old.status.phase : undefined;
    // Like the real API: only a pod a kubelet may be running waits for its containers to stop.
    const graceful =
      type.resource === 'pods' && this.podGraceful && gracePeriodSeconds !== 0 && !!spec.nodeName;
    const waits = graceful && phase !== 'Succeeded' && phase !== 'Failed';
    // Like the real API: an object with finalizers is only marked, and goes once the last is removed.
    const finalized = (old.metadata?.finalizers ?? []).length > 0;
    if (!finalized && !waits) return this.remove(type, old);
    if (old.metadata?.deletionTimestamp) return;
    const next = clone(old);
    next.metadata!.deletionTimestamp = rfc3339(this.clock.now());
    const grace = gracePeriodSeconds ?? spec.terminationGracePeriodSeconds;
    next.metadata!.deletionGracePeriodSeconds = !waits ? 0 : typeof grace === 'number' ? grace : 30;
    this.put(type, next, old);
  }

  private createSubresource(
    type: ResourceType,
    ns: string,
    name: string,
    body: KubeObject,
    sub: string,
  ): KubeObject {
    const success: KubeObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    };
    if (type.resource === 'pods' && sub === 'binding') {
      const pod = this.existing(type, ns, name);
      this.preconditions(type, pod, body.metadata?.uid, undefined);
      const next = clone(pod);
      const spec = recordAt(next, 'spec');
      if (spec.nodeName) {
        throw this.conflict(
          `${qualified(type)}/binding`,
          name,
          `pod ${name} is already assigned to node "${String(spec.nodeName)}"`,
        );
      }
      spec.nodeName = isRecord(body.target) ? body.target.name : undefined;
      const status = recordAt(next, 'status');
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
        (c) => !isRecord(c) || c.type !== 'PodScheduled',
      );
      status.conditions = [
        ...conditions,
        { type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(this.clock.now()) },
      ];
      this.put(type, next, pod);
      return success;
    }
    if (type.resource === 'pods' && sub === 'eviction') {
      this.deleteObject(type, this.existing(type, ns, name));
      return success;
    }
    if (type.resource === 'serviceaccounts' && sub === 'token') {
      this.existing(type, ns, name);
      const spec: Obj = isRecord(body.spec) ? clone(body.spec) : {};
      const seconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
      if (seconds < 600) {
        throw this.error(
          422,
          'Invalid',
          `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
        );
      }
      return {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name, namespace: ns, creationTimestamp: rfc3339(this.clock.now()) },
        spec: { ...spec, expirationSeconds: seconds },
        status: {
          token: `fake-token.${this.name}.${ns}.${name}.${++this.seq}`,
          expirationTimestamp: rfc3339(this.clock.now() + seconds * 1000),
        },
      };
    }
    throw this.error(
      404,
      'NotFound',
      `the server could not find the requested resource (post ${type.resource} ${sub})`,
    );
  }

  /** PUT semantics shared by update and patch: preconditions, subresources, immutability, no-op detection. */
  private replace(
    type: ResourceType,
    namespace: string,
    name: string,
    body: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    const old = this.existing(type, namespace, name);
    this.preconditions(type, old, body.metadata?.uid, body.metadata?.resourceVersion);
    const sub = options.subresource;
    let next: KubeObject = clone(old);
    if (sub === 'status' && this.hasStatusSubresource(type)) {
      if (type.resource === 'resourceclaims') this.allocationKept(type, name, old, body);
      setOrDelete(next, 'status', clone(body.status));
    } else if (sub === 'ephemeralcontainers' && type.resource === 'pods') {
      const oldList =
        isRecord(old.spec) && Array.isArray(old.spec.ephemeralContainers) ? old.spec.ephemeralContainers : [];
      const newList =
        isRecord(body.spec) && Array.isArray(body.spec.ephemeralContainers)
          ? body.spec.ephemeralContainers
          : [];
      if (!oldList.every((c) => newList.some((n) => deepEqual(c, n)))) {
        throw this.invalid(
          type,
          name,
          'spec.ephemeralContainers: Forbidden: existing ephemeral containers may not be changed or removed',
        );
      }
      recordAt(next, 'spec').ephemeralContainers = newList;
    } else if (sub === 'resize' && type.resource === 'pods') {
      const refusal = podResizeRefusal(old, body);
      if (refusal) throw this.invalid(type, name, refusal);
      for (const list of ['containers', 'initContainers'] as const) {
        const incoming = isRecord(body.spec) && Array.isArray(body.spec[list]) ? body.spec[list] : [];
        const have = recordAt(next, 'spec')[list];
        if (!Array.isArray(have)) continue;
        have.forEach((c: unknown, i: number) => {
          if (isRecord(c)) setOrDelete(c, 'resources', clone((incoming[i] as Obj | undefined)?.resources));
        });
      }
    } else if (sub) {
      throw this.error(
        404,
        'NotFound',
        `the server could not find the requested resource (put ${type.resource} ${sub})`,
      );
    } else {
      next = this.incoming(type, namespace, body);
      const keep = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;
      for (const f of keep) {
        if (old.metadata?.[f] === undefined) delete next.metadata![f];
        else next.metadata![f] = old.metadata[f] as never;
      }
      next.metadata!.name = name;
      if (this.hasStatusSubresource(type)) setOrDelete(next, 'status', clone(old.status));
      if (type.resource === 'pods') {
        setOrDelete(
          recordAt(next, 'spec'),
          'ephemeralContainers',
          isRecord(old.spec) ? old.spec.ephemeralContainers : undefined,
        );
        if (podSpecChangeForbidden(old.spec, next.spec)) {
          throw this.invalid(
            type,
            name,
            'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds`, `spec.schedulingGates` (only removals)',
          );
        }
      }
      if (type.resource === 'services') this.keepServiceAddresses(type, old, next);
      const volumeField =
        type.resource === 'persistentvolumes' ? volumeSpecChangeForbidden(old.spec, next.spec) : undefined;
      if (volumeField)
        throw this.invalid(type, name, `spec.${volumeField}: Forbidden: field is immutable after creation`);
      if (type.resource === 'secrets' && (old.type ?? 'Opaque') !== (next.type ?? 'Opaque'))
        throw this.invalid(type, name, 'type: Invalid value: field is immutable');
      if ((type.resource === 'configmaps' || type.resource === 'secrets') && old.immutable === true) {
        const changed = ['data', 'binaryData'].find((f) => !deepEqual(old[f], next[f]));
        if (changed || next.immutable !== true) {
          throw this.invalid(
            type,
            name,
            `${changed ?? 'immutable'}: Forbidden: field is immutable when \`immutable\` is set`,
          );
        }
      }
    }
    next.metadata!.resourceVersion = old.metadata?.resourceVersion;
    // The real API neither bumps the resourceVersion nor sends an event for an update that changes nothing.
    if (deepEqual(next, old) || options.dryRun) return clone(next);
    // The last finalizer of an object being deleted (not a pod waiting for its containers) taken off: gone.
    const waitsForContainers =
      type.resource === 'pods' && (old.metadata?.deletionGracePeriodSeconds ?? 0) > 0;
    if (next.metadata?.deletionTimestamp && !(next.metadata.finalizers ?? []).length && !waitsForContainers) {
      this.remove(type, next);
      return clone(next);
    }
    return this.put(type, next, old);
  }

  /** Also custom resources whose stored CRD gives their version one (others take status from a PUT). */
  private hasStatusSubresource(type: ResourceType): boolean {
    if (hasStatusSubresource(type)) return true;
    const crd = this.store
      .get('apiextensions.k8s.io/customresourcedefinitions')
      ?.get(`${type.resource}.${type.group}`);
    const versions = isRecord(crd?.spec) && Array.isArray(crd.spec.versions) ? crd.spec.versions : [];
    return versions.some(
      (v) => isRecord(v) && v.name === type.version && isRecord(v.subresources) && 'status' in v.subresources,
    );
  }

  /** A caller's object as the server would store it: own copy, type meta, namespace, stringData folded. */
  private incoming(type: ResourceType, namespace: string, object: KubeObject): KubeObject {
    const o: KubeObject = { ...clone(object), apiVersion: apiVersionOf(type), kind: type.kind };
    const meta = (o.metadata = { ...o.metadata });
    if (!type.namespaced) delete meta.namespace;
    else if (meta.namespace && meta.namespace !== namespace) {
      throw this.error(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    } else meta.namespace = namespace;
    if (annotationBytes(meta.annotations) > MAX_ANNOTATION_BYTES)
      throw this.invalid(
        type,
        meta.name ?? '',
        `metadata.annotations: Too long: must have at most ${MAX_ANNOTATION_BYTES} bytes`,
      );
    if (type.resource === 'secrets' && isRecord(o.stringData)) {
      const data = recordAt(o, 'data');
      for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
      delete o.stringData;
    }
    return o;
  }

  private put(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): KubeObject {
    obj.metadata!.resourceVersion = String(++this.rv);
    // Pods count their spec changes (Kubernetes 1.34+), whatever generation the client sent; the
    // fake leaves other kinds' generations to the tests that need them.
    if (type.resource === 'pods' && !type.group) {
      const before = old?.metadata?.generation ?? 0;
      obj.metadata!.generation = old && deepEqual(old.spec, obj.spec) ? before : before + 1;
    }
    this.bucket(type).set(keyOf(obj), obj);
    this.emit({
      rv: this.rv,
      typeKey: typeKey(type),
      type: old ? 'MODIFIED' : 'ADDED',
      object: clone(obj),
      old,
    });
    return clone(obj);
  }

  private remove(type: ResourceType, old: KubeObject): void {
    this.bucket(type).delete(keyOf(old));
    const last = clone(old);
    // A DELETED event carries the object's last state at the resourceVersion of the deletion.
    last.metadata!.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, typeKey: typeKey(type), type: 'DELETED', object: last, old });
  }

  private emit(change: Change): void {
    this.history.push(change);
    for (const w of this.watchers) this.deliver(w, change);
  }

  /** Queues one event for a watcher; an object moving in or out of its selectors is ADDED or DELETED. */
  private deliver(w: Watcher, change: Change): void {
    if (w.typeKey !== change.typeKey) return;
    const now = this.matches(w, change.object);
    const before = change.old !== undefined && this.matches(w, change.old);
    let type: WatchEventType = change.type;
    if (type === 'MODIFIED' && now !== before) type = now ? 'ADDED' : 'DELETED';
    else if (!now && !(type === 'DELETED' && before)) return;
    const object = clone(change.object);
    const deliver = () => {
      if (w.open) w.onEvent({ type, object });
    };
    if (this.heldResources.has(change.typeKey.split('/').pop() ?? '')) this.heldDeliveries.push(deliver);
    else queueMicrotask(deliver);
  }

  private filter(type: ResourceType, namespace: string, labelSelector?: string, fieldSelector?: string) {
    const w = {
      typeKey: typeKey(type),
      namespace: type.namespaced ? namespace : '',
      labelSelector,
      fieldSelector,
    };
    try {
      matchesLabelSelector(labelSelector, {});
      matchesFieldSelector(fieldSelector, {});
    } catch (err) {
      throw this.error(400, 'BadRequest', err instanceof Error ? err.message : String(err));
    }
    return { ...w, open: true, close: () => {} };
  }

  private matches(w: Omit<Watcher, 'onEvent'>, obj: KubeObject): boolean {
    return (
      (!w.namespace || obj.metadata?.namespace === w.namespace) &&
      matchesLabelSelector(w.labelSelector, obj.metadata?.labels) &&
      matchesFieldSelector(w.fieldSelector, obj)
    );
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    let objects = this.store.get(typeKey(type));
    if (!objects) this.store.set(typeKey(type), (objects = new Map()));
    return objects;
  }

  private existing(type: ResourceType, namespace: string, name: string): KubeObject {
    const found = this.bucket(type).get(key(type.namespaced ? namespace : '', name));
    // As the API server answers for a missing object: its Status names it.
    if (!found)
      throw serverError(this.name, 404, 'NotFound', `${qualified(type)} "${name}" not found`, { name });
    return found;
  }

  private preconditions(type: ResourceType, old: KubeObject, uid?: string, resourceVersion?: string): void {
    const name = old.metadata?.name ?? '';
    if (uid && uid !== old.metadata?.uid) {
      throw this.conflict(
        qualified(type),
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata?.uid}`,
      );
    }
    if (resourceVersion && resourceVersion !== old.metadata?.resourceVersion) {
      throw this.conflict(
        qualified(type),
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
  }

  private injected(verb: FakeVerb, type: ResourceType, sub?: string): void {
    const matches = (f: { verb: FakeVerb; resource: string }) =>
      f.verb === verb &&
      (f.resource === type.resource || (!!sub && f.resource === `${type.resource}/${sub}`));
    const action = this.actions.findIndex(matches);
    if (action >= 0) this.actions.splice(action, 1)[0]!.act();
    const at = this.failures.findIndex(matches);
    if (at < 0) return;
    const { error } = this.failures.splice(at, 1)[0]!;
    throw typeof error === 'string'
      ? apiError(error, `injected ${error} for ${verb} ${type.resource}`, this.name)
      : error;
  }

  private record(
    verb: RecordedWrite['verb'],
    type: ResourceType,
    namespace: string,
    name: string,
    sub?: string,
  ): void {
    const ns = type.namespaced ? namespace : '';
    this.writes.push({
      verb,
      resource: type.resource,
      namespace: ns,
      name,
      ...(sub ? { subresource: sub } : {}),
    });
  }

  private error(code: number, reason: string, message: string): ApiError {
    return serverError(this.name, code, reason, message);
  }

  private conflict(resource: string, name: string, why: string): ApiError {
    return this.error(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": ${why}`);
  }

  /**
   * A ResourceClaim's allocation, once set, may only be removed (the real API's validation): a new
   * one replaces no other, and reservations need one.
   */
  private allocationKept(type: ResourceType, name: string, old: KubeObject, body: KubeObject): void {
    const before = isRecord(old.status) ? old.status.allocation : undefined;
    const after = isRecord(body.status) ? body.status.allocation : undefined;
    if (before !== undefined && after !== undefined && !deepEqual(before, after))
      throw this.invalid(type, name, 'status.allocation: Invalid value: field is immutable');
    // Each device's status names a device of the claim's allocation (as it is after the write).
    const results =
      isRecord(after) && isRecord(after.devices) && Array.isArray(after.devices.results)
        ? after.devices.results
        : [];
    const allocated = new Set(
      results.filter(isRecord).map((r) => JSON.stringify([r.driver, r.pool, r.device])),
    );
    const devices = isRecord(body.status) && Array.isArray(body.status.devices) ? body.status.devices : [];
    for (const d of devices.filter(isRecord))
      if (!allocated.has(JSON.stringify([d.driver, d.pool, d.device])))
        throw this.invalid(
          type,
          name,
          'status.devices: Invalid value: must be an allocated device in the claim',
        );
    const reserved =
      isRecord(body.status) && Array.isArray(body.status.reservedFor) && body.status.reservedFor.length;
    if (reserved && after === undefined)
      throw this.invalid(
        type,
        name,
        'status.reservedFor: Forbidden: may not be specified when `allocated` is not set',
      );
  }

  private invalid(type: ResourceType, name: string, cause: string): ApiError {
    // As the API server's: its details name the object.
    return serverError(this.name, 422, 'Invalid', `${type.kind} "${name}" is invalid: ${cause}`, { name });
  }
}

const typeKey = (type: ResourceType) => `${type.group}/${type.resource}`;
const key = (namespace: string, name: string) => (namespace ? `${namespace}/${name}` : name);
const keyOf = (o: KubeObject) => key(o.metadata?.namespace ?? '', o.metadata?.name ?? '');
const qualified = (type: ResourceType) => (type.group ? `${type.resource}.${type.group}` : type.resource);

/** The real server's random name suffix alphabet (no vowels, no look-alikes), here counted, not random. */
function suffix(n: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++, n = Math.floor(n / alphabet.length)) out = alphabet[n % alphabet.length] + out;
  return out;
}
