import { objectAnnotations } from '../naming/annotations.ts';
import { SubtreePool } from '../informer/subtree-pool.ts';
import {
  hostKeyForReservedLabel,
  hostLabelKey,
  hostLabels,
  MANAGED_ANNOTATIONS_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_LABELS_ANNOTATION,
  NAMESPACE_LABEL,
  namespaceLabelKey,
  namespaceLabelsForPod,
  OBJECT_NAME_ANNOTATION,
} from '../naming/labels.ts';
import {
  LastSynced,
  planMetadata,
  snapshotAfter,
  type LabelsAndAnnotations,
  type MetadataSnapshot,
  type MetadataPlanInput,
  type MetadataPlan,
} from './metadata-sync.ts';

type StringMap = Record<string, string>;
/** Keys to set, or to remove (null). */
type Patch = Record<string, string | null>;
interface Edit {
  labels?: Patch;
  annotations?: Patch;
}

const VC = 'vc';
const RELEASE = hostKeyForReservedLabel('release', VC);
const NS_LABEL = namespaceLabelKey('team', VC);
const BACK_REFS = objectAnnotations({
  name: 'web',
  namespace: 'ns',
  uid: 'u1',
  kind: '/v1, Kind=Pod',
  hostName: 'web-x-ns-x-vc',
  hostNamespace: 'host',
});
/** The labels the syncer adds to every host copy in these tests (a pod in a namespace labelled team=a). */
const OWN: StringMap = { [MANAGED_BY_LABEL]: VC, [NAMESPACE_LABEL]: 'ns', [NS_LABEL]: 'a' };
const BASE: LabelsAndAnnotations = {
  labels: { app: 'web', tier: 'a', release: 'r1' },
  annotations: { note: 'x' },
};

/** What the translator makes of a virtual object for the host. */
function desiredFor(v: LabelsAndAnnotations): LabelsAndAnnotations {
  return {
    labels: {
      ...hostLabels(v.labels, { vcName: VC, virtualNamespace: 'ns' }),
      ...namespaceLabelsForPod({ team: 'a' }, VC),
    },
    annotations: { ...v.annotations, ...BACK_REFS },
  };
}

function patched(m: LabelsAndAnnotations, edit: Edit | undefined): LabelsAndAnnotations {
  const apply = (map: StringMap, patch: Patch = {}) => {
    const out = { ...map };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = v;
    }
    return out;
  };
  return { labels: apply(m.labels, edit?.labels), annotations: apply(m.annotations, edit?.annotations) };
}

function input(virtual: LabelsAndAnnotations, host: LabelsAndAnnotations, last?: MetadataSnapshot) {
  const i: MetadataPlanInput = { vcName: VC, virtual, host, desiredHost: desiredFor(virtual) };
  if (last) i.last = last;
  return i;
}

/** Syncs once and returns the plan with the snapshot the engine would keep. */
function sync(i: MetadataPlanInput): { plan: MetadataPlan; after: MetadataSnapshot } {
  const plan = planMetadata(i);
  return { plan, after: snapshotAfter(i, plan) };
}

/** The pair right after a sync: created from `virtual`, then `hostAtSync` made on the host and synced. */
function syncedPair(virtual: LabelsAndAnnotations, hostAtSync?: Edit): MetadataSnapshot {
  const created = sync(input(virtual, { labels: {}, annotations: {} })).after;
  if (!hostAtSync) return created;
  return sync(input(virtual, patched(created.host, hostAtSync), created)).after;
}

function recordOf(host: LabelsAndAnnotations, record: string): string[] {
  return (host.annotations[record] ?? '').split('\n').filter(Boolean);
}

interface Row {
  name: string;
  /** Host-side additions that were already there, and synced, at the last sync. */
  hostAtSync?: Edit;
  /** The tenant's edits since the last sync. */
  tenant?: Edit;
  /** Edits on the host since the last sync. */
  host?: Edit;
  /** Plan without `last`, as after a restart. */
  restart?: boolean;
  /** Strip the managed records from the host, as on an object written before records existed. */
  noRecord?: boolean;
  /** Plan with --tenant-overrides-host-metadata (vCluster's two-way sync of host-set keys). */
  tenantOverrides?: boolean;
  expectLabels: StringMap;
  /** Host annotations other than the back-references and records. */
  expectAnnotations?: StringMap;
  /** Keys on the host that are the host's: kept, but not in the record. */
  hostKeys?: string[];
  /** The tenant maps written up, if any. */
  expectUp?: LabelsAndAnnotations;
  hostChanged: boolean;
}

const rows: Row[] = [
  {
    name: 'tenant adds a label: host follows',
    tenant: { labels: { new: '1' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', new: '1' },
    hostChanged: true,
  },
  {
    name: 'tenant changes a label: host follows',
    tenant: { labels: { tier: 'b' } },
    expectLabels: { ...OWN, app: 'web', tier: 'b', [RELEASE]: 'r1' },
    hostChanged: true,
  },
  {
    name: 'tenant removes a label: host follows',
    tenant: { labels: { tier: null } },
    expectLabels: { ...OWN, app: 'web', [RELEASE]: 'r1' },
    hostChanged: true,
  },
  {
    name: 'tenant changes and adds annotations: host follows',
    tenant: { annotations: { note: 'y', more: 'z' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1' },
    expectAnnotations: { note: 'y', more: 'z' },
    hostChanged: true,
  },
  {
    name: 'host admin adds a label and an annotation: kept, not recorded, shown to the tenant',
    host: { labels: { 'host-policy': 'enforced' }, annotations: { 'sidecar.istio.io/status': '{}' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'enforced' },
    expectAnnotations: { note: 'x', 'sidecar.istio.io/status': '{}' },
    hostKeys: ['host-policy', 'sidecar.istio.io/status'],
    expectUp: {
      labels: { ...BASE.labels, 'host-policy': 'enforced' },
      annotations: { note: 'x', 'sidecar.istio.io/status': '{}' },
    },
    hostChanged: false,
  },
  {
    name: 'host admin changes its own key: still the host’s, the new value shown',
    hostAtSync: { labels: { 'host-policy': 'enforced' } },
    host: { labels: { 'host-policy': 'audit' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'audit' },
    hostKeys: ['host-policy'],
    expectUp: { labels: { ...BASE.labels, 'host-policy': 'audit' }, annotations: { note: 'x' } },
    hostChanged: false,
  },
  {
    name: 'host admin removes its own key the tenant left alone: removed from the tenant’s view too',
    hostAtSync: { labels: { 'host-policy': 'enforced' }, annotations: { policy: 'strict' } },
    host: { labels: { 'host-policy': null }, annotations: { policy: null } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1' },
    expectUp: { labels: BASE.labels, annotations: { note: 'x' } },
    hostChanged: false,
  },
  {
    name: 'host admin adds a key while the tenant sets it too: the tenant’s view stays, the host’s value on the host',
    tenant: { labels: { 'host-policy': 'mine' } },
    host: { labels: { 'host-policy': 'enforced' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'enforced' },
    hostKeys: ['host-policy'],
    hostChanged: false,
  },
  {
    name: 'with tenant overrides on, host admin adds a key while the tenant sets it too: the tenant wins, as when both change a tenant key',
    tenantOverrides: true,
    tenant: { labels: { 'host-policy': 'mine' } },
    host: { labels: { 'host-policy': 'enforced' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'mine' },
    hostChanged: true,
  },
  {
    name: 'host keys under the syncers’ prefixes and kubectl’s last-applied record are never shown',
    host: {
      labels: { 'vsyncer.dev/mark': '1', 'vcluster.loft.sh/other': '2' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"host":true}',
        'vsyncer.dev/x': 'y',
      },
    },
    expectLabels: {
      ...OWN,
      app: 'web',
      tier: 'a',
      [RELEASE]: 'r1',
      'vsyncer.dev/mark': '1',
      'vcluster.loft.sh/other': '2',
    },
    expectAnnotations: {
      note: 'x',
      'kubectl.kubernetes.io/last-applied-configuration': '{"host":true}',
      'vsyncer.dev/x': 'y',
    },
    hostKeys: [
      'vsyncer.dev/mark',
      'vcluster.loft.sh/other',
      'kubectl.kubernetes.io/last-applied-configuration',
      'vsyncer.dev/x',
    ],
    hostChanged: false,
  },
  {
    name: 'tenant gives a key the host set (and showed it) a value of its own: the host keeps its value',
    hostAtSync: { labels: { 'host-policy': 'enforced' }, annotations: { policy: 'strict' } },
    tenant: { labels: { 'host-policy': 'bypassed' }, annotations: { policy: 'lax' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'enforced' },
    expectAnnotations: { note: 'x', policy: 'strict' },
    hostKeys: ['host-policy', 'policy'],
    hostChanged: false,
  },
  {
    name: 'with tenant overrides on, tenant gives a key the host set (and showed it) a value of its own: it goes to the host, as in vCluster’s two-way sync',
    tenantOverrides: true,
    hostAtSync: { labels: { 'host-policy': 'enforced' }, annotations: { policy: 'strict' } },
    tenant: { labels: { 'host-policy': 'bypassed' }, annotations: { policy: 'lax' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'bypassed' },
    expectAnnotations: { note: 'x', policy: 'lax' },
    hostChanged: true,
  },
  {
    name: 'tenant removes a key the host set: the host keeps it',
    hostAtSync: { labels: { 'host-policy': 'enforced' } },
    tenant: { labels: { 'host-policy': null } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'enforced' },
    hostKeys: ['host-policy'],
    hostChanged: false,
  },
  {
    name: 'host drops its own key: the tenant’s value for that key then goes to the host',
    hostAtSync: { labels: { 'host-policy': 'enforced' } },
    tenant: { labels: { 'host-policy': 'mine' } },
    host: { labels: { 'host-policy': null } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1', 'host-policy': 'mine' },
    hostChanged: true,
  },
  {
    name: 'host edits a tenant label after the last sync: goes up',
    host: { labels: { tier: 'b' } },
    expectLabels: { ...OWN, app: 'web', tier: 'b', [RELEASE]: 'r1' },
    expectUp: { labels: { app: 'web', tier: 'b', release: 'r1' }, annotations: { note: 'x' } },
    hostChanged: false,
  },
  {
    name: 'host removes a tenant label: the removal goes up',
    host: { labels: { tier: null } },
    expectLabels: { ...OWN, app: 'web', [RELEASE]: 'r1' },
    expectUp: { labels: { app: 'web', release: 'r1' }, annotations: { note: 'x' } },
    hostChanged: true, // the record no longer lists tier
  },
  {
    name: 'host edits a tenant annotation: goes up',
    host: { annotations: { note: 'y' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1' },
    expectAnnotations: { note: 'y' },
    expectUp: { labels: BASE.labels, annotations: { note: 'y' } },
    hostChanged: false,
  },
  {
    name: 'both change a label: tenant wins',
    tenant: { labels: { tier: 't' } },
    host: { labels: { tier: 'h' } },
    expectLabels: { ...OWN, app: 'web', tier: 't', [RELEASE]: 'r1' },
    hostChanged: true,
  },
  {
    name: 'tenant removes a label the host edited: tenant wins',
    tenant: { labels: { tier: null } },
    host: { labels: { tier: 'h' } },
    expectLabels: { ...OWN, app: 'web', [RELEASE]: 'r1' },
    hostChanged: true,
  },
  {
    name: 'no last sync (restart): tenant wins, nothing goes up',
    restart: true,
    host: { labels: { tier: 'h', app: null }, annotations: { note: 'y' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1' },
    hostChanged: true,
  },
  {
    name: 'syncer-owned keys edited on the host: reverted, nothing goes up',
    host: {
      labels: {
        [MANAGED_BY_LABEL]: 'other',
        [NAMESPACE_LABEL]: null,
        [NS_LABEL]: 'b',
        [namespaceLabelKey('admin', VC)]: 'forged',
        [RELEASE]: 'hacked',
      },
      annotations: {
        [OBJECT_NAME_ANNOTATION]: 'other',
        // A record naming a key the syncer never set changes nothing.
        [MANAGED_LABELS_ANNOTATION]: [...Object.keys(OWN), 'app', 'tier', RELEASE, 'forged']
          .sort()
          .join('\n'),
        [MANAGED_ANNOTATIONS_ANNOTATION]: null,
      },
    },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1' },
    hostChanged: true,
  },
  {
    name: 'reserved tenant label release: hashed on the host, restored on the way up',
    tenant: { labels: { release: 'r2' } },
    // A plain `release` on the host is an admin's key, not the tenant's.
    host: { labels: { tier: 'b', release: 'admin' } },
    expectLabels: { ...OWN, app: 'web', tier: 'b', [RELEASE]: 'r2', release: 'admin' },
    hostKeys: ['release'],
    expectUp: { labels: { app: 'web', tier: 'b', release: 'r2' }, annotations: { note: 'x' } },
    hostChanged: true,
  },
  {
    name: 'tenant cannot forge the syncer’s labels: its vcluster.loft.sh/ keys are hashed',
    tenant: { labels: { [MANAGED_BY_LABEL]: 'evil', [NS_LABEL]: 'b' } },
    expectLabels: {
      ...OWN,
      app: 'web',
      tier: 'a',
      [RELEASE]: 'r1',
      [hostLabelKey(MANAGED_BY_LABEL, VC)]: 'evil',
      [hostLabelKey(NS_LABEL, VC)]: 'b',
    },
    hostChanged: true,
  },
  {
    name: 'host without records: every key is the syncer’s, tenant wins, nothing goes up',
    noRecord: true,
    host: { labels: { stale: '1', tier: 'h' }, annotations: { old: 'y' } },
    expectLabels: { ...OWN, app: 'web', tier: 'a', [RELEASE]: 'r1' },
    hostChanged: true,
  },
];

describe('planMetadata', () => {
  describe.each(rows)('$name', (row) => {
    const last = syncedPair(BASE, row.hostAtSync);
    const virtual = patched(last.virtual, row.tenant);
    let host = patched(last.host, row.host);
    if (row.noRecord) host = patched(host, { annotations: { [MANAGED_LABELS_ANNOTATION]: null } });
    if (row.noRecord) host = patched(host, { annotations: { [MANAGED_ANNOTATIONS_ANNOTATION]: null } });
    const given = {
      ...input(virtual, host, row.restart ? undefined : last),
      tenantOverridesHostKeys: row.tenantOverrides === true,
    };
    const { plan, after } = sync(given);

    it('plans the host maps', () => {
      expect(plan.host.labels).toEqual(row.expectLabels);
      const {
        [MANAGED_LABELS_ANNOTATION]: _l,
        [MANAGED_ANNOTATIONS_ANNOTATION]: _a,
        ...rest
      } = plan.host.annotations;
      expect(rest).toEqual({ ...BACK_REFS, ...(row.expectAnnotations ?? { note: 'x' }) });
      expect(plan.hostChanged).toBe(row.hostChanged);
    });

    it('records every key it set, and no host key', () => {
      const hostKeys = new Set(row.hostKeys ?? []);
      const mine = (m: StringMap) =>
        Object.keys(m)
          .filter(
            (k) =>
              !hostKeys.has(k) && k !== MANAGED_LABELS_ANNOTATION && k !== MANAGED_ANNOTATIONS_ANNOTATION,
          )
          .sort();
      expect(recordOf(plan.host, MANAGED_LABELS_ANNOTATION)).toEqual(mine(plan.host.labels));
      expect(recordOf(plan.host, MANAGED_ANNOTATIONS_ANNOTATION)).toEqual(mine(plan.host.annotations));
    });

    it('writes up only what flows up', () => {
      expect(plan.virtual).toEqual(row.expectUp);
      expect(plan.virtualChanged).toBe(row.expectUp !== undefined);
    });

    it('is idempotent', () => {
      const again = planMetadata(input(after.virtual, after.host, after));
      expect(again).toEqual({ host: after.host, hostChanged: false, virtualChanged: false });
      // After a restart too: the tenant's view then wins, and it is already on the host.
      expect(planMetadata(input(after.virtual, after.host)).hostChanged).toBe(false);
    });
  });

  it('does not let a tenant replace a key the host set, nor remove it, nor after a restart', () => {
    const last = syncedPair(BASE, { labels: { quarantine: 'true' } });
    const set = sync(input(patched(last.virtual, { labels: { quarantine: 'false' } }), last.host, last));
    expect(set.plan.host.labels['quarantine']).toBe('true');
    expect(set.plan.hostChanged).toBe(false);
    expect(recordOf(set.plan.host, MANAGED_LABELS_ANNOTATION)).not.toContain('quarantine');
    const removed = sync(
      input(patched(set.after.virtual, { labels: { quarantine: null } }), set.after.host, set.after),
    );
    expect(removed.plan.host.labels['quarantine']).toBe('true');
    expect(removed.plan.hostChanged).toBe(false);
    const restarted = planMetadata(
      input(patched(removed.after.virtual, { labels: { quarantine: 'false' } }), removed.after.host),
    );
    expect(restarted.host.labels['quarantine']).toBe('true');
  });

  it('with tenant overrides on, still does not let a tenant replace a key the host set that an admin denies, nor remove one', () => {
    const last = syncedPair(BASE, { labels: { 'host-policy': 'enforced' } });
    // A denied key never reaches what the translator wants on the host.
    const denying = (i: MetadataPlanInput): MetadataPlanInput => {
      const { 'host-policy': _dropped, ...labels } = (i.desiredHost as LabelsAndAnnotations).labels;
      return {
        ...i,
        desiredHost: { ...(i.desiredHost as LabelsAndAnnotations), labels },
        tenantOverridesHostKeys: true,
      };
    };
    const set = sync(
      denying(input(patched(last.virtual, { labels: { 'host-policy': 'bypassed' } }), last.host, last)),
    );
    expect(set.plan.host.labels['host-policy']).toBe('enforced');
    expect(recordOf(set.plan.host, MANAGED_LABELS_ANNOTATION)).not.toContain('host-policy');

    const removed = sync(
      input(patched(set.after.virtual, { labels: { 'host-policy': null } }), set.after.host, set.after),
    );
    expect(removed.plan.host.labels['host-policy']).toBe('enforced');
    expect(removed.plan.hostChanged).toBe(false);

    // Nor after a restart, when nothing says what the tenant did.
    const restarted = planMetadata(
      input(patched(removed.after.virtual, { labels: { 'host-policy': 'again' } }), removed.after.host),
    );
    expect(restarted.host.labels['host-policy']).toBe('enforced');
  });

  it('with tenant overrides on, takes a tenant’s value for a key the host set as the tenant’s from then on (recorded; a later host edit flows up)', () => {
    const last = syncedPair(BASE, { labels: { 'another-one': 'good-syncer' } });
    expect(last.virtual.labels['another-one']).toBe('good-syncer');
    const set = sync({
      ...input(patched(last.virtual, { labels: { 'another-one': 'from-vcluster' } }), last.host, last),
      tenantOverridesHostKeys: true,
    });
    expect(set.plan.host.labels['another-one']).toBe('from-vcluster');
    expect(recordOf(set.plan.host, MANAGED_LABELS_ANNOTATION)).toContain('another-one');
    // Now a tenant key: its removal by the tenant takes it off the host.
    const removed = sync(
      input(patched(set.after.virtual, { labels: { 'another-one': null } }), set.after.host, set.after),
    );
    expect(removed.plan.host.labels['another-one']).toBeUndefined();
  });

  it('reverts a host edit of a value the translator rewrites (a reference to a host copy), and never writes it up', () => {
    const KEY = 'nginx.ingress.kubernetes.io/auth-secret';
    const rewriting = (v: LabelsAndAnnotations): LabelsAndAnnotations => {
      const d = desiredFor(v);
      return { ...d, annotations: { ...d.annotations, [KEY]: `${v.annotations[KEY]}-x-ns-x-vc` } };
    };
    const tenant = patched(BASE, { annotations: { [KEY]: 'creds' } });
    const first = sync({ ...input(tenant, { labels: {}, annotations: {} }), desiredHost: rewriting(tenant) });
    expect(first.plan.host.annotations[KEY]).toBe('creds-x-ns-x-vc');
    // The host's value changes (an admin's edit, or a cached copy older than the syncer's last write).
    const edited = patched(first.after.host, { annotations: { [KEY]: 'other-x-ns-x-vc' } });
    const again = planMetadata({ ...input(tenant, edited, first.after), desiredHost: rewriting(tenant) });
    expect(again.host.annotations[KEY]).toBe('creds-x-ns-x-vc');
    expect(again.hostChanged).toBe(true);
    expect(again.virtualChanged).toBe(false);
  });

  it('never shows the host keys the kind says are the host cluster’s own', () => {
    const last = syncedPair(BASE);
    const host = patched(last.host, {
      annotations: { 'pv.kubernetes.io/bind-completed': 'yes', other: '1' },
    });
    const plan = planMetadata({
      ...input(last.virtual, host, last),
      hostOnly: { annotations: (key) => key.startsWith('pv.kubernetes.io/') },
    });
    expect(plan.host.annotations['pv.kubernetes.io/bind-completed']).toBe('yes');
    expect(plan.virtual?.annotations).toEqual({ note: 'x', other: '1' });
  });

  it('shows nothing the host did before a restart, and only what it does after', () => {
    const last = syncedPair(BASE);
    const host = patched(last.host, { labels: { 'host-policy': 'enforced' } });
    const restarted = sync(input(last.virtual, host));
    expect(restarted.plan.virtualChanged).toBe(false);
    expect(restarted.plan.host.labels['host-policy']).toBe('enforced');
    const changed = sync(
      input(
        last.virtual,
        patched(restarted.after.host, { labels: { 'host-policy': 'audit' } }),
        restarted.after,
      ),
    );
    expect(changed.plan.virtual?.labels['host-policy']).toBe('audit');
  });

  it('ignores a last snapshot without records: nothing goes up', () => {
    const last = syncedPair(BASE);
    const legacyLast = patched(last.host, { annotations: { [MANAGED_LABELS_ANNOTATION]: null } });
    const host = patched(last.host, { labels: { tier: 'h' } });
    const plan = planMetadata(input(BASE, host, { virtual: last.virtual, host: legacyLast }));
    expect(plan.host.labels.tier).toBe('a');
    expect(plan.virtualChanged).toBe(false);
  });

  it('treats a label named like a record as any other label', () => {
    const last = syncedPair(BASE, { labels: { [MANAGED_LABELS_ANNOTATION]: 'admin' } });
    expect(last.host.labels[MANAGED_LABELS_ANNOTATION]).toBe('admin');
    expect(planMetadata(input(last.virtual, last.host, last)).hostChanged).toBe(false);
  });

  it('ignores records in the translator’s output', () => {
    const i = input(BASE, { labels: {}, annotations: {} });
    i.desiredHost = patched(i.desiredHost as LabelsAndAnnotations, {
      annotations: { [MANAGED_LABELS_ANNOTATION]: 'forged', [MANAGED_ANNOTATIONS_ANNOTATION]: 'forged' },
    });
    const plan = planMetadata(i);
    expect(recordOf(plan.host, MANAGED_LABELS_ANNOTATION)).toEqual(Object.keys(plan.host.labels).sort());
  });
});

describe('LastSynced', () => {
  const snapshot = syncedPair(BASE);
  const virtual = { metadata: { uid: 'v1', ...snapshot.virtual } };
  const host = { metadata: { uid: 'h1', ...snapshot.host } };
  const plan = planMetadata({ vcName: VC, virtual, host, desiredHost: desiredFor(snapshot.virtual) });
  const uid = (obj: { metadata: object }, u: string) => ({ ...obj, metadata: { ...obj.metadata, uid: u } });

  it('keeps the outcome of a plan for the same UIDs, as a copy', () => {
    const cache = new LastSynced();
    cache.set('pods', 'ns/web', virtual, host, plan);
    const got = cache.get('pods', 'ns/web', uid(virtual, 'v1'), uid(host, 'h1'));
    expect(got).toEqual(snapshot);
    got!.virtual.labels.app = 'changed';
    expect(cache.get('pods', 'ns/web', virtual, host)).toEqual(snapshot);
  });

  it('keeps a pair just created as the API answered it: a host change before the next sync is one', () => {
    const cache = new LastSynced();
    cache.setCreated('services', 'ns/web', virtual, host);
    expect(cache.get('services', 'ns/web', virtual, host)).toEqual(snapshot);
    expect(cache.get('services', 'ns/web', virtual, uid(host, 'other'))).toBeUndefined();
    const edited = patched(snapshot.host, { labels: { zone: 'blue' } });
    const next = planMetadata({
      ...input(snapshot.virtual, edited, cache.get('services', 'ns/web', virtual, host)),
    });
    expect(next.virtual?.labels.zone).toBe('blue');
  });

  it('keeps what flowed up as the virtual side', () => {
    const edited = { metadata: { uid: 'h1', ...patched(snapshot.host, { labels: { tier: 'b' } }) } };
    const up = planMetadata({
      vcName: VC,
      virtual,
      host: edited,
      desiredHost: desiredFor(BASE),
      last: snapshot,
    });
    const cache = new LastSynced();
    cache.set('pods', 'ns/web', virtual, edited, up);
    expect(cache.get('pods', 'ns/web', virtual, edited)?.virtual.labels.tier).toBe('b');
  });

  it('ignores an entry for another UID pair, and objects without UIDs', () => {
    const cache = new LastSynced();
    cache.set('pods', 'ns/web', virtual, host, plan);
    expect(cache.get('pods', 'ns/web', uid(virtual, 'v2'), host)).toBeUndefined();
    expect(cache.get('pods', 'ns/web', virtual, uid(host, 'h2'))).toBeUndefined();
    cache.set('pods', 'ns/new', virtual, { metadata: {} }, plan);
    expect(cache.get('pods', 'ns/new', virtual, { metadata: {} })).toBeUndefined();
  });

  it('keys by kind and virtual key, and forgets deleted pairs', () => {
    const cache = new LastSynced();
    cache.set('pods', 'ns/web', virtual, host, plan);
    expect(cache.get('configmaps', 'ns/web', virtual, host)).toBeUndefined();
    cache.delete('pods', 'ns/web');
    expect(cache.get('pods', 'ns/web', virtual, host)).toBeUndefined();
  });

  it('files the values it keeps in the pool it is given, and hands out copies it can edit', () => {
    const parts = new SubtreePool();
    const strings = parts.strings;
    const cache = new LastSynced({ parts });
    cache.set('pods', 'ns/web', virtual, host, plan);
    const kept = cache.get('pods', 'ns/web', virtual, host)!;
    const values = [kept.virtual, kept.host].flatMap((m) => [
      ...Object.values(m.labels),
      ...Object.values(m.annotations),
    ]);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(strings.has(value)).toBe(true);
    kept.host.labels.extra = 'edited';
    expect(cache.get('pods', 'ns/web', virtual, host)).toEqual(snapshot);
  });

  it('is bounded, forgetting the least recently used pair', () => {
    const cache = new LastSynced({ max: 2 });
    cache.set('pods', 'ns/a', virtual, host, plan);
    cache.set('pods', 'ns/b', virtual, host, plan);
    cache.get('pods', 'ns/a', virtual, host);
    cache.set('pods', 'ns/c', virtual, host, plan);
    expect(cache.size).toBe(2);
    expect(cache.get('pods', 'ns/b', virtual, host)).toBeUndefined();
    expect(cache.get('pods', 'ns/a', virtual, host)).toEqual(snapshot);
  });
});

describe('planMetadata with keys named like Object.prototype members', () => {
  it('writes, keeps and removes `toString` and `constructor` like any other key', () => {
    const virtual = { labels: { toString: 'a', constructor: 'b' }, annotations: { hasOwnProperty: 'c' } };
    const first = planMetadata({
      vcName: VC,
      virtual,
      host: { labels: {}, annotations: {} },
      desiredHost: desiredFor(virtual),
    });
    expect(first.host.labels).toMatchObject({ toString: 'a', constructor: 'b' });
    expect(first.host.annotations.hasOwnProperty).toBe('c');
    expect(Object.values(first.host.labels).every((v) => typeof v === 'string')).toBe(true);

    const removed = { labels: {}, annotations: {} };
    const second = planMetadata({
      vcName: VC,
      virtual: removed,
      host: first.host,
      desiredHost: desiredFor(removed),
    });
    expect(Object.hasOwn(second.host.labels, 'toString')).toBe(false);
    expect(Object.hasOwn(second.host.labels, 'constructor')).toBe(false);
    expect(Object.hasOwn(second.host.annotations, 'hasOwnProperty')).toBe(false);
    // Planning again from its own output changes nothing.
    expect(
      planMetadata({ vcName: VC, virtual: removed, host: second.host, desiredHost: desiredFor(removed) })
        .hostChanged,
    ).toBe(false);
  });
});
