import { isDeniedMetadataKey } from '../../naming/denied-metadata.ts';
import type { KubeObject } from '../../kube/object.ts';
import { hostLabelKey } from '../../naming/labels.ts';
import { withoutSyncerAnnotations } from '../../sync/metadata-sync.ts';
import { cloneJson } from '../../util/json.ts';

/** The Gateway API's group: the default group of parent references. */
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `group/Kind` as references compare them (`/Service` for the core group). */
export const groupKind = (group: string, kind: string) => `${group}/${kind}`;

/**
 * An object a Gateway API object names. On the host every tenant's copies share one namespace, so
 * each one is renamed to its copy's host name and loses its namespace.
 */
export interface GatewayApiReference {
  group: string;
  kind: string;
  /** The virtual namespace of the target: the object's own unless the reference names another. */
  namespace: string;
  name: string;
  /** Where the object names it, as Kubernetes writes field paths. */
  field: string;
  /** The `group/Kind`s this field may name that the syncer translates; anything else points nowhere. */
  accepts: readonly string[];
  /**
   * What allows a reference into another namespace in the virtual cluster: a ReferenceGrant there
   * (backends, certificates), or the Gateway's allowedRoutes (a route's parents).
   */
  crossNamespace: 'reference-grant' | 'allowed-routes';
}

/** The name the host copy uses for a reference: its copy's host name, or a name nobody holds. */
export type RenameReference = (ref: GatewayApiReference) => string;

const SERVICE = [groupKind('', 'Service')];
const SECRET = [groupKind('', 'Secret')];
const CONFIG_MAP = [groupKind('', 'ConfigMap')];

/**
 * Walks a Gateway API object's spec (a copy), calling `visit` on every reference it holds with a
 * setter for its host name. Fields that are not references but mean something else on the host
 * (namespaces a Gateway admits routes from) are left to hostSpecFor.
 */
function walkReferences(
  obj: KubeObject,
  spec: Json,
  visit: (ref: GatewayApiReference, target: Json) => void,
): void {
  const ownNamespace = obj.metadata?.namespace ?? '';
  const ref = (
    target: Json,
    field: string,
    defaults: { group: string; kind: string },
    accepts: readonly string[],
    crossNamespace: GatewayApiReference['crossNamespace'] = 'reference-grant',
  ) => {
    const name = text(target.name);
    if (name === undefined) return;
    visit(
      {
        group: text(target.group) ?? defaults.group,
        kind: text(target.kind) ?? defaults.kind,
        namespace: text(target.namespace) ?? ownNamespace,
        name,
        field: `${field}.name`,
        accepts,
        crossNamespace,
      },
      target,
    );
  };
  const backend = (target: Json, field: string) =>
    ref(target, field, { group: '', kind: 'Service' }, SERVICE);
  /** Route filters: requestMirror (and any other filter) with a backendRef; extensionRef names objects not synced. */
  const filters = (list: unknown, field: string) =>
    records(list).forEach((filter, k) => {
      for (const [key, value] of Object.entries(filter)) {
        if (!isRecord(value)) continue;
        const at = `${field}[${k}].${key}`;
        if (key === 'extensionRef') ref(value, at, { group: '', kind: '' }, []);
        else if (isRecord(value.backendRef)) backend(value.backendRef, `${at}.backendRef`);
      }
    });

  switch (obj.kind) {
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TLSRoute':
      records(spec.parentRefs).forEach((p, i) =>
        ref(
          p,
          `spec.parentRefs[${i}]`,
          { group: GATEWAY_GROUP, kind: 'Gateway' },
          [groupKind(GATEWAY_GROUP, 'Gateway'), groupKind('', 'Service')],
          'allowed-routes',
        ),
      );
      records(spec.rules).forEach((rule, i) => {
        filters(rule.filters, `spec.rules[${i}].filters`);
        records(rule.backendRefs).forEach((b, j) => {
          const at = `spec.rules[${i}].backendRefs[${j}]`;
          backend(b, at);
          filters(b.filters, `${at}.filters`);
        });
      });
      return;
    case 'Gateway': {
      const caRefs = (validation: unknown, field: string) =>
        records(isRecord(validation) ? validation.caCertificateRefs : undefined).forEach((c, j) =>
          ref(c, `${field}.caCertificateRefs[${j}]`, { group: '', kind: 'ConfigMap' }, CONFIG_MAP),
        );
      const clientCertificate = (backend: unknown, field: string) => {
        if (isRecord(backend) && isRecord(backend.clientCertificateRef))
          ref(
            backend.clientCertificateRef,
            `${field}.clientCertificateRef`,
            { group: '', kind: 'Secret' },
            SECRET,
          );
      };
      records(spec.listeners).forEach((l, i) => {
        const tls = isRecord(l.tls) ? l.tls : {};
        records(tls.certificateRefs).forEach((c, j) =>
          ref(c, `spec.listeners[${i}].tls.certificateRefs[${j}]`, { group: '', kind: 'Secret' }, SECRET),
        );
        // Before Gateway API v1.4 (experimental channel): a listener's client validation.
        caRefs(tls.frontendValidation, `spec.listeners[${i}].tls.frontendValidation`);
      });
      // Before v1.4 (experimental channel): the client certificate for backends.
      clientCertificate(spec.backendTLS, 'spec.backendTLS');
      const tls = isRecord(spec.tls) ? spec.tls : {};
      clientCertificate(tls.backend, 'spec.tls.backend');
      const frontend = isRecord(tls.frontend) ? tls.frontend : {};
      if (isRecord(frontend.default))
        caRefs(frontend.default.validation, 'spec.tls.frontend.default.validation');
      records(frontend.perPort).forEach((p, i) => {
        if (isRecord(p.tls)) caRefs(p.tls.validation, `spec.tls.frontend.perPort[${i}].tls.validation`);
      });
      const infrastructure = isRecord(spec.infrastructure) ? spec.infrastructure : {};
      if (isRecord(infrastructure.parametersRef))
        ref(infrastructure.parametersRef, 'spec.infrastructure.parametersRef', { group: '', kind: '' }, []);
      return;
    }
    case 'BackendTLSPolicy': {
      records(spec.targetRefs).forEach((t, i) =>
        ref(t, `spec.targetRefs[${i}]`, { group: '', kind: 'Service' }, SERVICE),
      );
      const validation = isRecord(spec.validation) ? spec.validation : {};
      records(validation.caCertificateRefs).forEach((c, i) =>
        ref(c, `spec.validation.caCertificateRefs[${i}]`, { group: '', kind: 'ConfigMap' }, CONFIG_MAP),
      );
      return;
    }
    case 'ReferenceGrant':
      records(spec.to).forEach((t, i) =>
        ref(t, `spec.to[${i}]`, { group: '', kind: '' }, [
          ...SERVICE,
          ...SECRET,
          ...CONFIG_MAP,
          groupKind(GATEWAY_GROUP, 'Gateway'),
        ]),
      );
      return;
  }
}

/** Every reference of a Gateway API object, in field order. */
export function gatewayApiReferences(obj: KubeObject): GatewayApiReference[] {
  const refs: GatewayApiReference[] = [];
  const spec = obj.spec;
  if (isRecord(spec)) walkReferences(obj, spec, (ref) => refs.push(ref));
  return refs;
}

/** Whether a reference names an object of one core kind, in a field that may name that kind. */
export const namesCoreKind = (ref: GatewayApiReference, kind: 'Secret' | 'ConfigMap'): boolean =>
  ref.group === '' && ref.kind === kind && ref.accepts.includes(groupKind('', kind));

/**
 * `namespace/name` keys of the objects of one core kind an object names, another namespace's too
 * whether a ReferenceGrant allows it or not (the data kinds judge that: data-referrers.ts).
 */
export function referencedKeys(obj: KubeObject, kind: 'Secret' | 'ConfigMap'): string[] {
  const keys = gatewayApiReferences(obj)
    .filter((r) => namesCoreKind(r, kind))
    .map((r) => `${r.namespace}/${r.name}`);
  return [...new Set(keys)];
}

/**
 * The spec a Gateway API object has on the host: every reference renamed by `rename` and without a
 * namespace (the host copies share one) unless `namespaceOf` gives the host object's own, what names namespaces confined to the host namespace, and
 * a Gateway's infrastructure labels with the syncer's keys hashed as on any copy's metadata.
 */
export function hostSpecFor(
  obj: KubeObject,
  rename: RenameReference,
  where: { vcName: string; hostNamespace: string; deniedMetadataKeys?: readonly string[] },
  namespaceOf: (ref: GatewayApiReference) => string | undefined = () => undefined,
): Json {
  const { hostNamespace } = where;
  const spec = isRecord(obj.spec) ? cloneJson(obj.spec) : {};
  walkReferences(obj, spec, (ref, target) => {
    target.name = rename(ref);
    // A host object that is no copy (a host Gateway shown to tenants) keeps its own namespace.
    const namespace = namespaceOf(ref);
    if (namespace) target.namespace = namespace;
    else delete target.namespace;
  });
  if (obj.kind === 'Gateway') {
    // Which routes may attach is decided in the virtual cluster, before a route's parent is renamed to
    // this copy (see gatewayAdmits); on the host only routes of its own namespace may, never those of
    // another host namespace. ListenerSets are not synced: none may attach.
    records(spec.listeners).forEach((l) => {
      if (isRecord(l.allowedRoutes) && l.allowedRoutes.namespaces !== undefined)
        l.allowedRoutes.namespaces = { from: 'Same' };
    });
    if (spec.allowedListeners !== undefined) spec.allowedListeners = { namespaces: { from: 'None' } };
    // The host's controller assigns the address (it flows back in status). One asked for is read with
    // the controller's rights: Envoy Gateway makes an IP an externalIP of its Service (traffic for
    // that address, anyone's, captured: CVE-2020-8554, why a Service's externalIPs are dropped too),
    // Istio serves the Gateway on the existing gateway a host name names (a shared one).
    delete spec.addresses;
    // The host's gateway controller puts these labels on the Deployment, Service and pods it makes in
    // the host namespace: a tenant's managed-by (or any vcluster.loft.sh/ key) there would make them
    // look like the syncer's copies, which it deletes as strays, or like pods of another namespace.
    // The keys host systems act on with host privileges (--denied-pod-metadata: a host identity, host
    // Secrets mounted by a mesh's injector) are left out, as on the tenant's own pods.
    const infrastructure = isRecord(spec.infrastructure) ? spec.infrastructure : {};
    const allowed = (key: string) => !isDeniedMetadataKey(key, where.deniedMetadataKeys ?? []);
    if (isRecord(infrastructure.labels))
      infrastructure.labels = Object.fromEntries(
        Object.entries(infrastructure.labels)
          .filter(([k]) => allowed(k))
          .map(([k, v]) => [hostLabelKey(k, where.vcName), v]),
      );
    // The syncer's own annotations (object-kind, object-name, ...) say whose copy an object is; with
    // no labels of its own, Istio puts the copy's labels (this cluster's managed-by) beside them.
    if (isRecord(infrastructure.annotations))
      infrastructure.annotations = Object.fromEntries(
        Object.entries(withoutSyncerAnnotations(infrastructure.annotations as Record<string, string>)).filter(
          ([k]) => allowed(k),
        ),
      );
  }
  if (obj.kind === 'ReferenceGrant') {
    // Every virtual namespace is the host namespace, and a grant does nothing within its own
    // namespace: the copy grants nothing on the host, whatever the tenant wrote (the syncer enforces
    // the virtual grants itself before it renames a reference across virtual namespaces).
    records(spec.from).forEach((f) => (f.namespace = hostNamespace));
  }
  return spec;
}
