import { InformerFactory } from '../informer/factory.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { realClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import {
  enforceLabelWanted,
  NamespacePodSecurityLabels,
  podSecurityLabels,
  podSecurityLabelsWanted,
} from './namespace-pod-security.ts';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

describe('enforceLabelWanted', () => {
  it('sets the configured level where there is none, a laxer one, or one the admission plugin does not read', () => {
    expect(enforceLabelWanted(undefined, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ team: 'a' }, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ [ENFORCE]: 'privileged' }, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ [ENFORCE]: 'Baseline' }, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ [ENFORCE]: '' }, 'restricted')).toBe('restricted');
  });

  it('keeps the configured level or a stricter one a namespace has: nothing to write', () => {
    expect(enforceLabelWanted({ [ENFORCE]: 'baseline' }, 'baseline')).toBeUndefined();
    expect(enforceLabelWanted({ [ENFORCE]: 'restricted' }, 'baseline')).toBeUndefined();
    expect(enforceLabelWanted({ [ENFORCE]: 'privileged' }, 'privileged')).toBeUndefined();
  });
});

describe('podSecurityLabels (written with an enforce level)', () => {
  it('enforce and warn at the level, both at the latest version, as vCluster writes them', () => {
    expect(podSecurityLabels({ team: 'a' }, 'baseline')).toEqual({
      [ENFORCE]: 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'baseline',
      'pod-security.kubernetes.io/warn-version': 'latest',
    });
  });

  it('keep a stricter warn level, and replace a laxer or unreadable one', () => {
    const warnOf = (warn: string) =>
      podSecurityLabels({ 'pod-security.kubernetes.io/warn': warn }, 'baseline')[
        'pod-security.kubernetes.io/warn'
      ];
    expect(warnOf('restricted')).toBe('restricted');
    expect(warnOf('privileged')).toBe('baseline');
    expect(warnOf('nonsense')).toBe('baseline');
  });
});

describe('podSecurityLabelsWanted', () => {
  const warn = 'pod-security.kubernetes.io/warn';
  it('all labels with a new enforce level; the warning alone where an earlier syncer set only the level; nothing more after', () => {
    expect(podSecurityLabelsWanted({}, 'baseline')).toEqual(podSecurityLabels({}, 'baseline'));
    expect(podSecurityLabelsWanted({ [ENFORCE]: 'baseline' }, 'baseline')).toEqual({
      [warn]: 'baseline',
      'pod-security.kubernetes.io/warn-version': 'latest',
    });
    // A level its owner made stricter is the owner's: left as it is.
    expect(podSecurityLabelsWanted({ [ENFORCE]: 'restricted' }, 'baseline')).toBeUndefined();
    const written: Record<string, string> = podSecurityLabels({}, 'baseline');
    expect(podSecurityLabelsWanted(written, 'baseline')).toBeUndefined();
    // A warning the tenant removed after the syncer wrote the labels stays removed.
    const { [warn]: _removed, ...withoutWarn } = written;
    expect(podSecurityLabelsWanted(withoutWarn, 'baseline')).toBeUndefined();
  });
});

describe('NamespacePodSecurityLabels against a fake virtual cluster', () => {
  const NS = Resources.namespaces;
  const levelOf = (cluster: FakeCluster, name: string) =>
    cluster.objects(NS).find((n) => n.metadata?.name === name)?.metadata?.labels?.[ENFORCE];
  async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    if (!check()) throw new Error(`never: ${what}`);
  }

  it('labels every namespace, keeps a stricter level, writes nothing more, and puts a removed label back', async () => {
    const virtual = new FakeCluster('virtual');
    virtual.seed(NS, { metadata: { name: 'default' } });
    virtual.seed(NS, { metadata: { name: 'strict', labels: { [ENFORCE]: 'restricted' } } });
    virtual.seed(NS, { metadata: { name: 'lax', labels: { [ENFORCE]: 'privileged', team: 'a' } } });
    // Labelled by an earlier syncer: the level alone.
    virtual.seed(NS, { metadata: { name: 'earlier', labels: { [ENFORCE]: 'baseline' } } });
    const informers = new InformerFactory({});
    const labeller = new NamespacePodSecurityLabels({
      virtual,
      informers,
      level: 'baseline',
      clock: realClock,
      logger: silentLogger,
    });
    informers.start();
    await informers.waitForSync();
    labeller.start();
    try {
      await until(
        'all labelled',
        () => levelOf(virtual, 'default') === 'baseline' && levelOf(virtual, 'lax') === 'baseline',
      );
      expect(levelOf(virtual, 'strict')).toBe('restricted');
      expect(
        virtual.objects(NS).find((n) => n.metadata?.name === 'default')?.metadata?.labels?.[
          'pod-security.kubernetes.io/warn'
        ],
      ).toBe('baseline');
      expect(virtual.objects(NS).find((n) => n.metadata?.name === 'lax')?.metadata?.labels?.team).toBe('a');
      await new Promise((r) => setTimeout(r, 50));
      expect(virtual.writeLog().sort()).toEqual([
        'patch namespaces default',
        'patch namespaces earlier',
        'patch namespaces lax',
      ]);
      expect(
        virtual.objects(NS).find((n) => n.metadata?.name === 'earlier')?.metadata?.labels?.[
          'pod-security.kubernetes.io/warn'
        ],
      ).toBe('baseline');

      const ns = virtual.objects(NS).find((n) => n.metadata?.name === 'default')!;
      await virtual.update(NS, '', { ...ns, metadata: { ...ns.metadata, labels: {} } });
      await until('put back', () => levelOf(virtual, 'default') === 'baseline');
    } finally {
      await labeller.stop(1_000);
      await informers.stop();
    }
  });
});
