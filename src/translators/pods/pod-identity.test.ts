import type { Informer } from '../../informer/informer.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { Pod } from '../../kube/types.ts';
import type { BuiltKind } from '../../sync/kind.ts';
import { parseLabelSelector } from '../../util/label-selector.ts';
import { PodHostIdentity, PRIORITY_FROM_HOST, RUNTIME_FROM_HOST } from './pod-identity.ts';
import type { ReferenceJudge } from './reference-safety.ts';

/** A cache holding these objects by name (PodHostIdentity reads only store.get). */
const cache = (...objects: KubeObject[]) =>
  ({
    store: { get: (name: string) => objects.find((o) => o.metadata?.name === name) },
  }) as unknown as Informer<KubeObject>;
const cls = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { name, labels },
});
const FORGED = { 'vsyncer.dev/managed': 'true' };

function identity(opts: { runtime?: boolean; enforcedPriorityClass?: string } = {}) {
  const kinds = new Map<string, BuiltKind>([[PRIORITY_FROM_HOST, {} as BuiltKind]]);
  if (opts.runtime) kinds.set(RUNTIME_FROM_HOST, {} as BuiltKind);
  const selector = parseLabelSelector('tenants=yes');
  return new PodHostIdentity({
    kinds,
    judge: {} as ReferenceJudge,
    enforcedPriorityClass: opts.enforcedPriorityClass,
    // The virtual cluster's classes: the copy of a shown class, and tenant classes with the label forged.
    virtualClasses: cache(cls('high', FORGED), cls('critical', FORGED), cls('copy-of-tenant', FORGED)),
    shownPriorityClasses: {
      informer: cache(
        cls('high', { tenants: 'yes' }),
        cls('critical'),
        cls('copy-of-tenant', { tenants: 'yes', 'vcluster.loft.sh/managed-by': 'other-vc' }),
      ),
      selector,
    },
    shownRuntimeClasses: opts.runtime
      ? { informer: cache(cls('gvisor', { tenants: 'yes' }), cls('runc')), selector }
      : undefined,
  });
}
const pod = (spec: Record<string, unknown>) =>
  ({ metadata: { name: 'web', namespace: 'team' }, spec }) as unknown as Pod;

describe('PodHostIdentity: host classes shown to the tenant', () => {
  it('a priority class is kept only when the host has it and the selector shows it; the label alone proves nothing', () => {
    const id = identity();
    expect(id.priorityClassNameFor('high')).toBe('high');
    expect(id.priorityClassNameFor('critical')).toBeUndefined();
    // Another virtual cluster's copy on the host is never a host class of its own.
    expect(id.priorityClassNameFor('copy-of-tenant')).toBeUndefined();
    expect(identity({ enforcedPriorityClass: 'tenant-low' }).priorityClassNameFor('critical')).toBe(
      'tenant-low',
    );
  });

  it("a runtime class not shown (or not on the host) keeps the pod off the host, in vCluster's words; a shown one, or none, does not", () => {
    const id = identity({ runtime: true });
    const withheld = (runtimeClassName?: string) =>
      id.admission(pod({ containers: [], runtimeClassName })).withheld;
    expect(withheld('gvisor')).toEqual([]);
    expect(withheld(undefined)).toEqual([]);
    expect(withheld('runc')).toEqual([
      `did not sync pod "web" to host because the runtime class "runc" in the host does not match the selector under 'sync.fromHost.runtimeClasses.selector'`,
    ]);
    expect(withheld('made-up')).toEqual([
      `did not sync pod "web" to host because the runtime class "made-up" couldn't be reached in the host: runtimeclasses.node.k8s.io "made-up" not found`,
    ]);
    // A running pod gaining debug containers is not held to it again.
    expect(id.admission(pod({ containers: [], runtimeClassName: 'runc' }), true).withheld).toEqual([]);
    // Without host-runtimeclasses the pods kind checks nothing (the host refuses a class it lacks).
    expect(identity().admission(pod({ containers: [], runtimeClassName: 'runc' })).withheld).toEqual([]);
  });

  it('a priority class the selector withholds keeps the pod off the host; without a selector it is dropped', () => {
    const id = identity();
    expect(id.admission(pod({ containers: [], priorityClassName: 'critical' })).withheld).toEqual([
      `did not sync pod "web" to host because the priority class "critical" in the host does not match the selector under 'sync.fromHost.priorityClasses.selector'`,
    ]);
    expect(id.admission(pod({ containers: [], priorityClassName: 'high' })).withheld).toEqual([]);
    expect(id.admission(pod({ containers: [], priorityClassName: 'system-node-critical' })).withheld).toEqual(
      [],
    );
  });
});
