import { ConfigError } from '../config/config.ts';
import { WaitingError } from '../controller/errors.ts';
import type { InformerHandlers } from '../informer/informer.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { FakeClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import { OwnerService } from './owner-service.ts';

const NS = 'host-ns';

function hostWithService(): FakeCluster {
  const host = new FakeCluster('host');
  host.seed(Resources.services, { metadata: { name: 'vc', namespace: NS, uid: 'svc-uid' }, spec: {} });
  return host;
}

describe('OwnerService (--set-owner)', () => {
  it('reads the Service once and makes a plain owner reference to it (not a controller, no blockOwnerDeletion)', async () => {
    const host = hostWithService();
    const owner = new OwnerService(host, NS, 'vc');
    expect(() => owner.reference()).toThrow(/not read yet/);
    expect(owner.resolvedYet).toBe(false);
    const ref = await owner.resolve();
    expect(ref).toEqual({ apiVersion: 'v1', kind: 'Service', name: 'vc', uid: 'svc-uid', controller: false });
    expect(owner.reference()).toBe(ref);
    host.failNext('get', 'services', 'notFound');
    expect(await owner.resolve()).toBe(ref);
  });

  it('follows the Service when it is re-created: objects created afterwards name the new one', async () => {
    const host = hostWithService();
    const owner = new OwnerService(host, NS, 'vc');
    let handlers: InformerHandlers<KubeObject> = {};
    owner.follow({ addHandlers: (h) => void (handlers = h) }, silentLogger);
    await owner.resolve();
    const svc = (uid: string): KubeObject => ({ metadata: { name: 'vc', namespace: NS, uid } });
    handlers.onAdd?.(svc('svc-uid'));
    expect(owner.reference().uid).toBe('svc-uid');
    handlers.onDelete?.(svc('svc-uid'));
    // Gone: nothing may be created (its copies would be garbage-collected at once); a wait, retried.
    expect(() => owner.reference()).toThrow(WaitingError);
    expect(() => owner.reference()).toThrow(/was deleted; nothing is created in the host namespace/);
    handlers.onAdd?.(svc('new-uid'));
    expect(owner.reference()).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      name: 'vc',
      uid: 'new-uid',
      controller: false,
    });
    expect(owner.fieldSelector).toBe('metadata.name=vc');
  });

  it('fails with a configuration error naming the Service and the flag when the Service does not exist', async () => {
    const owner = new OwnerService(new FakeCluster('host'), NS, 'missing');
    const err = await owner.resolve().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /^--virtual-api-service: host Service host-ns\/missing does not exist; --set-owner makes it the owner/,
    );
  });

  it('says which permission is missing when the host forbids reading the Service', async () => {
    const host = hostWithService();
    host.failNext('get', 'services', 'forbidden');
    await expect(new OwnerService(host, NS, 'vc').resolve()).rejects.toThrow(
      '--set-owner: the syncer may not get host Service host-ns/vc: grant get on services',
    );
  });

  it('retries what may pass (a 503) with backoff, but not a missing Service', async () => {
    const host = hostWithService();
    const clock = new FakeClock();
    host.failNext('get', 'services', 'unavailable');
    host.failNext('get', 'services', 'unavailable');
    const owner = new OwnerService(host, NS, 'vc');
    let done = false;
    const resolving = owner
      .resolveRetrying({ clock, logger: silentLogger, stopping: () => false })
      .then((r) => ((done = true), r));
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    expect(done).toBe(false);
    clock.advance(1_000);
    await tick();
    expect(done).toBe(false);
    clock.advance(2_000);
    expect((await resolving).uid).toBe('svc-uid');

    const missing = new OwnerService(new FakeCluster('host'), NS, 'vc');
    await expect(
      missing.resolveRetrying({ clock, logger: silentLogger, stopping: () => false }),
    ).rejects.toThrow(ConfigError);
  });
});
