import { jest } from '@jest/globals';
import type { KubeObject } from '../../kube/object.ts';
import { ApiError } from '../../kube/errors.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';
import { specOf } from './translate.ts';

jest.setTimeout(30_000);
const start = stateTables();
const SVC = Resources.services;
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const TYPES: ResourceType[] = [SVC, Resources.endpoints, Resources.namespaces];

function snapshot(t: StateTable): { virtual: Seed[]; host: Seed[] } {
  const virtual: Seed[] = [];
  const host: Seed[] = [];
  for (const type of TYPES) {
    for (const o of t.virtual.objects(type)) virtual.push([type, o]);
    for (const o of t.host.objects(type)) host.push([type, o]);
  }
  return { virtual, host };
}

const service = (name: string): KubeObject => ({
  metadata: { name, namespace: 'team', labels: { app: name } },
  spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
});
/** A host Service of the host's own holding the IP the virtual API server gives first. */
const holder: Seed = [
  SVC,
  {
    metadata: { name: 'holder', namespace: HOST_NS },
    spec: { clusterIP: '10.96.1.1', ports: [{ port: 80 }] },
  },
];

/**
 * From the moment it is flipped, every write of this syncer to either cluster is refused, as the
 * write guard refuses them once the lease is lost (or as a SIGKILL stops them). The write in
 * progress when it is flipped still lands (it was sent).
 */
function killSwitch(t: StateTable): () => void {
  let dead = false;
  for (const cluster of [t.virtual, t.host]) {
    for (const verb of ['create', 'update', 'patch', 'delete'] as const) {
      const original = cluster[verb].bind(cluster) as (...a: unknown[]) => Promise<unknown>;
      (cluster as unknown as Record<string, unknown>)[verb] = (...args: unknown[]) => {
        if (dead) return Promise.reject(new Error('NotLeaderError: this replica does not lead'));
        return original(...args);
      };
    }
  }
  return () => {
    // Flipped after this very write is answered.
    queueMicrotask(() => (dead = true));
  };
}

/*
 * A virtual Service is deleted and made again with its host copy's cluster IP. The syncer may stop
 * in between (a crash, a lost lease), or a slow API server's answer be lost: the tenant's Service
 * must come back, never be taken for gone (and its host copy deleted).
 */
describe('services: the syncer stops between the delete and the create of a virtual Service re-create', () => {
  it("the tenant's Service is made again from the record on its host copy, never lost", async () => {
    const t = await start({ kinds: ['services'], host: [holder] });
    // The syncer loses its lease right after the delete: the write guard refuses every later write
    // (the create, and the put-back of the original), as NotLeaderError does.
    const killAfterNextVirtualServiceDelete = killSwitch(t);
    t.virtual.actOnNext('delete', 'services', killAfterNextVirtualServiceDelete);
    await t.virtual.create(SVC, 'team', service('web'));
    await t.settle().catch(() => {});
    const snap = snapshot(t);
    await t.stop();
    // The old process exits; the new leader starts over the clusters it left.
    expect(snap.virtual.filter(([type, o]) => type === SVC && o.metadata?.name === 'web')).toEqual([]);
    expect(snap.host.some(([type, o]) => type === SVC && o.metadata?.name === hostName('web'))).toBe(true);
    const next = await start({ kinds: ['services'], ...snap });
    await next.settle();
    const virtualWeb = next.virtual.objects(SVC, 'team').find((s) => s.metadata?.name === 'web');
    const hostWeb = next.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === hostName('web'));
    // The standard: nothing a user still has is lost. The tenant never deleted "web".
    expect({ virtual: virtualWeb && specOf(virtualWeb).selector, host: !!hostWeb }).toEqual({
      virtual: { app: 'web' },
      host: true,
    });
  });

  it('stopped after the re-create but before the host copy records the new UID: the copy is taken over with one write', async () => {
    const t = await start({ kinds: ['services'], host: [holder] });
    const kill = killSwitch(t);
    // The tenant's create is the first virtual create; the re-create is the second.
    let creates = 0;
    t.virtual.actOnNext('delete', 'services', () => {
      t.virtual.actOnNext('create', 'services', () => {
        creates++;
        kill();
      });
    });
    await t.virtual.create(SVC, 'team', service('web'));
    await t.settle().catch(() => {});
    expect(creates).toBe(1);
    const snap = snapshot(t);
    await t.stop();
    const next = await start({ kinds: ['services'], ...snap });
    await next.settle();
    const virtualWeb = next.virtual.objects(SVC, 'team').find((s) => s.metadata?.name === 'web')!;
    const hostWeb = next.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === hostName('web'))!;
    expect(specOf(virtualWeb).clusterIP).toBe(specOf(hostWeb).clusterIP);
    expect(hostWeb.metadata?.annotations?.['vcluster.loft.sh/object-uid']).toBe(virtualWeb.metadata?.uid);
    // What the new process wrote to converge: the copy's record of its Service, nothing made again.
    expect(next.writes().filter((w) => !w.includes(' events '))).toEqual([
      `host: patch services ${HOST_NS}/${hostName('web')}`,
    ]);
    expect(hostWeb.metadata?.annotations).not.toHaveProperty(['vsyncer.dev/recreating-virtual-service']);
  });

  it("a delete that times out without landing leaves no record behind: the tenant's own delete later is final", async () => {
    const t = await start({ kinds: ['services'], host: [holder] });
    const original = t.virtual.delete.bind(t.virtual);
    let timedOut = 0;
    t.virtual.delete = async (...args: Parameters<typeof original>) => {
      if (args[0] === SVC && timedOut++ === 0)
        throw new ApiError('virtual', 504, undefined, 'DELETE services/web: request timed out');
      return original(...args);
    };
    await t.virtual.create(SVC, 'team', service('web'));
    await t.settle().catch(() => {});
    t.clock.advance(60_000);
    await t.settle().catch(() => {});
    const hostWeb = () => t.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === hostName('web'));
    const virtualWeb = t.virtual.objects(SVC, 'team').find((s) => s.metadata?.name === 'web')!;
    expect(specOf(virtualWeb).clusterIP).toBe(specOf(hostWeb()!).clusterIP);
    expect(hostWeb()!.metadata?.annotations).not.toHaveProperty(['vsyncer.dev/recreating-virtual-service']);
    await t.virtual.delete(SVC, 'team', 'web');
    await t.settle();
    expect(hostWeb()).toBeUndefined();
    expect(t.virtual.objects(SVC, 'team').map((s) => s.metadata?.name)).toEqual([]);
  });

  it("the tenant deleting its Service just as the syncer re-creates it (the syncer's delete answers 404): it stays deleted, its copy goes", async () => {
    const t = await start({ kinds: ['services'], host: [holder] });
    const original = t.virtual.delete.bind(t.virtual);
    let raced = 0;
    t.virtual.delete = async (...args: Parameters<typeof original>) => {
      // The tenant's delete lands first.
      if (args[0] === SVC && raced++ === 0) await original(SVC, 'team', 'web');
      return original(...args);
    };
    await t.virtual.create(SVC, 'team', service('web'));
    await t.settle().catch(() => {});
    t.clock.advance(60_000);
    await t.settle().catch(() => {});
    expect({
      virtual: t.virtual.objects(SVC, 'team').map((s) => s.metadata?.name),
      host: t.host.objects(SVC, HOST_NS).some((s) => s.metadata?.name === hostName('web')),
    }).toEqual({ virtual: [], host: false });
  });

  it('the tenant deleting the namespace as the syncer re-creates its Service (the creates refused): the copy goes, nothing is tried again', async () => {
    const t = await start({ kinds: ['services'], host: [holder] });
    await t.virtual.create(Resources.namespaces, '', { metadata: { name: 'team' } });
    const originalDelete = t.virtual.delete.bind(t.virtual);
    const originalCreate = t.virtual.create.bind(t.virtual);
    let namespaceGone = false;
    t.virtual.delete = async (...args: Parameters<typeof originalDelete>) => {
      await originalDelete(...args);
      // The tenant's namespace delete lands right after the syncer's delete of the Service.
      if (args[0] === SVC && !namespaceGone) {
        namespaceGone = true;
        await originalDelete(Resources.namespaces, '', 'team');
      }
    };
    let refusedCreates = 0;
    t.virtual.create = async (...args: Parameters<typeof originalCreate>) => {
      if (args[0] === SVC && namespaceGone) {
        refusedCreates++;
        throw new ApiError('virtual', 404, undefined, 'namespaces "team" not found');
      }
      return originalCreate(...args);
    };
    await t.virtual.create(SVC, 'team', service('web'));
    await t.settle().catch(() => {});
    t.clock.advance(60_000);
    await t.settle();
    const refusedBefore = refusedCreates;
    expect(refusedBefore).toBeGreaterThan(0);
    expect(t.host.objects(SVC, HOST_NS).some((s) => s.metadata?.name === hostName('web'))).toBe(false);
    // Nothing left to try: time passing makes no more creates.
    t.clock.advance(600_000);
    await t.settle();
    expect(refusedCreates).toBe(refusedBefore);
  });

  it('no crash at all: the virtual delete times out (504) on a slow API server but lands; the Service is made again', async () => {
    const t = await start({ kinds: ['services'], host: [holder] });
    const original = t.virtual.delete.bind(t.virtual);
    let timedOut = 0;
    t.virtual.delete = async (...args: Parameters<typeof original>) => {
      await original(...args);
      if (args[0] === SVC && timedOut++ === 0)
        throw new ApiError('virtual', 504, undefined, 'DELETE services/web: request timed out');
    };
    await t.virtual.create(SVC, 'team', service('web'));
    await t.settle().catch(() => {});
    t.clock.advance(60_000);
    await t.settle().catch(() => {});
    expect(timedOut).toBeGreaterThan(0);
    const virtualWeb = t.virtual.objects(SVC, 'team').find((s) => s.metadata?.name === 'web');
    const hostWeb = t.host.objects(SVC, HOST_NS).find((s) => s.metadata?.name === hostName('web'));
    expect({ virtual: !!virtualWeb, host: !!hostWeb }).toEqual({ virtual: true, host: true });
  });
});
