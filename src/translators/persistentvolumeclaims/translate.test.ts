import type { KubeObject } from '../../kube/object.ts';
import { hostName } from '../../naming/names.ts';
import { Builder, caseSeed, corrupt, metadata, Rng } from '../../testing/random-objects.ts';
import {
  annotationsWithHostBinding,
  dataSourcesOf,
  hostClaimFor,
  immutableFieldsDiffering,
  malformedClaim,
  PRE_BOUND_ONLY,
  specOf,
  storageClassOf,
  type ClaimDataSource,
} from './translate.ts';

const VC = 'vc';
const where = { vcName: VC, hostNamespace: 'host-ns', virtualApiService: VC, hostName: 'h' };
const rename = (ref: ClaimDataSource) => hostName(ref.name, 'team', VC);

describe('annotationsWithHostBinding', () => {
  const claim = (annotations?: Record<string, string>): KubeObject => ({
    metadata: { name: 'c', annotations },
  });

  it("takes the host binder's annotations, keeping the tenant's own", () => {
    const host = claim({
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.beta.kubernetes.io/storage-provisioner': 'example.com/csi',
      'volume.kubernetes.io/selected-node': 'node-1',
    });
    expect(annotationsWithHostBinding(claim({ team: 'a' }), host)).toEqual({
      team: 'a',
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.beta.kubernetes.io/storage-provisioner': 'example.com/csi',
    });
  });

  it('drops one the host claim no longer has, and is undefined when nothing differs', () => {
    const host = claim({ 'pv.kubernetes.io/bind-completed': 'yes' });
    expect(
      annotationsWithHostBinding(
        claim({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' }),
        host,
      ),
    ).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes' });
    expect(
      annotationsWithHostBinding(claim({ 'pv.kubernetes.io/bind-completed': 'yes' }), host),
    ).toBeUndefined();
    expect(annotationsWithHostBinding(claim(), claim())).toBeUndefined();
  });
});

describe('storageClassOf', () => {
  it.each<[string, KubeObject, string | undefined]>([
    ['spec', { spec: { storageClassName: 'fast' } }, 'fast'],
    ['none', { spec: {} }, undefined],
    ['empty: no class', { spec: { storageClassName: '' } }, ''],
    [
      'the beta annotation wins, as for the binder',
      {
        metadata: { annotations: { 'volume.beta.kubernetes.io/storage-class': 'gold' } },
        spec: { storageClassName: 'fast' },
      },
      'gold',
    ],
  ])('%s', (_name, claim, expected) => expect(storageClassOf(claim)).toBe(expected));
});

/** A random virtual claim, sometimes hostile (naming volumes, other namespaces, controller annotations). */
function randomClaim(rng: Rng, corrupted: boolean): Record<string, unknown> {
  const b = new Builder(rng);
  const meta = metadata(b) as Record<string, unknown>;
  meta.namespace = 'team';
  if (rng.chance(0.3))
    meta.annotations = {
      ...((meta.annotations as object | undefined) ?? {}),
      [rng.pick([
        'pv.kubernetes.io/bind-completed',
        'volume.kubernetes.io/selected-node',
        'volume.beta.kubernetes.io/storage-provisioner',
        'volume.beta.kubernetes.io/storage-class',
      ])]: rng.pick(['yes', 'node-1', 'fast']),
    };
  const ref = () => ({
    ...(rng.chance(0.3) ? { apiGroup: rng.pick(['', 'snapshot.storage.k8s.io', 'example.com']) } : {}),
    kind: rng.pick(['PersistentVolumeClaim', 'VolumeSnapshot', 'Secret']),
    name: rng.pick(['golden', 'snap', 'x-x-other']),
    ...(rng.chance(0.3) ? { namespace: rng.pick(['team', 'other']) } : {}),
  });
  const spec: Record<string, unknown> = {
    accessModes: rng.times(0, 2, () => rng.pick(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteOncePod'])),
    resources: { requests: { storage: rng.pick(['1Gi', '10Mi']) } },
  };
  if (rng.chance(0.7)) spec.storageClassName = rng.pick(['fast', '', 'gold']);
  if (rng.chance(0.2)) spec.volumeName = 'pvc-of-someone-else';
  if (rng.chance(0.2)) spec.selector = { matchLabels: { disk: 'ssd' } };
  if (rng.chance(0.2)) spec.volumeMode = rng.pick(['Filesystem', 'Block']);
  if (rng.chance(0.3)) spec.dataSource = ref();
  if (rng.chance(0.3)) spec.dataSourceRef = ref();
  const claim: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta,
    spec,
  };
  if (corrupted) corrupt(b, claim);
  return claim;
}

describe('immutableFieldsDiffering', () => {
  const snapshotSource = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 's' };
  const withSpec = (spec: Record<string, unknown>): KubeObject => ({
    metadata: { name: 'c' },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', ...spec },
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['the same claim', {}, {}, []],
    ['a mode left to its default', {}, { volumeMode: 'Filesystem' }, []],
    // The API server fills dataSourceRef from dataSource, and a core group is empty.
    [
      'a data source as the API server fills it',
      { dataSource: { kind: 'PersistentVolumeClaim', name: 'p' } },
      {
        dataSource: { kind: 'PersistentVolumeClaim', name: 'p' },
        dataSourceRef: { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'p' },
      },
      [],
    ],
    ['a data source the host claim lacks', { dataSource: snapshotSource }, {}, ['spec.dataSource']],
    ['another class', { storageClassName: 'slow' }, {}, ['spec.storageClassName']],
    ['no class against a class', { storageClassName: undefined }, {}, ['spec.storageClassName']],
    [
      'other modes',
      { accessModes: ['ReadWriteMany'], volumeMode: 'Block' },
      {},
      ['spec.accessModes', 'spec.volumeMode'],
    ],
  ])('%s', (_name, desired, host, expected) => {
    expect(immutableFieldsDiffering(withSpec(desired), withSpec(host))).toEqual(expected);
  });
});

describe('claim translation, random claims', () => {
  it('never throws on a claim the shape check accepts, never sends a volume, a selector or a foreign name', () => {
    const problems: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const rng = new Rng(caseSeed(0x5707a6e, i));
      const claim = randomClaim(rng, rng.chance(0.3)) as KubeObject;
      const before = JSON.stringify(claim);
      let problem: string | undefined;
      try {
        problem = malformedClaim(claim);
      } catch (err) {
        problems.push(`case ${i}: malformedClaim threw ${String(err)}`);
        continue;
      }
      if (problem !== undefined) continue;
      accepted++;
      let host: KubeObject;
      try {
        host = hostClaimFor(claim, where, rename);
      } catch (err) {
        problems.push(`case ${i}: hostClaimFor threw ${String(err)}: ${before}`);
        continue;
      }
      const spec = specOf(host);
      const annotations = host.metadata?.annotations ?? {};
      if (JSON.stringify(claim) !== before) problems.push(`case ${i}: input changed`);
      if (spec.volumeName !== undefined) problems.push(`case ${i}: volumeName sent`);
      // The tenant's selector never goes (it selects host volumes); a claim asking for no class gets
      // the selector no volume matches, so the binder gives it only a volume reserved for it.
      const wantSelector = storageClassOf(claim) === '' ? PRE_BOUND_ONLY : undefined;
      if (JSON.stringify(spec.selector) !== JSON.stringify(wantSelector))
        problems.push(`case ${i}: selector ${JSON.stringify(spec.selector)}`);
      if (host.metadata?.labels?.['vcluster.loft.sh/managed-by'] !== VC)
        problems.push(`case ${i}: not managed`);
      if (Object.keys(annotations).some((k) => /^(pv|volume(\.beta)?)\.kubernetes\.io\//.test(k)))
        problems.push(`case ${i}: a storage controller annotation sent`);
      for (const ref of [spec.dataSource, spec.dataSourceRef]) {
        if (!ref) continue;
        if (ref.namespace !== undefined) problems.push(`case ${i}: data source namespace sent`);
        if (!dataSourcesOf(claim).some((r) => rename(r) === ref.name))
          problems.push(`case ${i}: data source not renamed`);
      }
      if (spec.storageClassName !== undefined && spec.storageClassName !== storageClassOf(claim))
        problems.push(`case ${i}: class differs from the claim's`);
    }
    expect(problems).toEqual([]);
    // Most cases get past the shape check: the translators are what this exercises.
    expect(accepted).toBeGreaterThan(1500);
  });
});
