import type { KubeObject } from '../kube/object.ts';
import { ownedPodCopyMetadata } from '../testing/owned-copies.ts';
import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { ownedAmong, resolvePodTarget } from './pod-target.ts';

const where = { vcName: 'vc', hostNamespace: 'host-ns' };
const virtualPod: KubeObject = {
  metadata: { name: 'web', namespace: 'team', uid: 'v-uid' },
  spec: {
    containers: [{ name: 'app', image: 'app' }],
    ephemeralContainers: [
      { name: 'debugger-ab12c', image: 'busybox' },
      { name: 'mine', image: 'busybox' },
    ],
  },
};
const marked = { name: 'VSYNCER_TENANT_DEBUG_CONTAINER', value: 'true' };

function hostWith(ephemeralContainers: unknown[]): FakeCluster {
  const host = new FakeCluster('host');
  host.seed(Resources.pods, {
    metadata: ownedPodCopyMetadata({
      hostName: 'web-x-team-x-vc',
      hostNamespace: 'host-ns',
      vcName: 'vc',
      virtual: { namespace: 'team', name: 'web', uid: 'v-uid' },
    }),
    spec: { containers: [{ name: 'app', image: 'app' }], ephemeralContainers },
  });
  return host;
}

describe('resolvePodTarget', () => {
  it("serves the tenant's debug containers the syncer marked, never a host admin's of a name the tenant declares too", async () => {
    const host = hostWith([
      { name: 'debugger-ab12c', image: 'busybox', securityContext: { privileged: true } },
      { name: 'mine', image: 'busybox', env: [marked] },
    ]);
    const target = await resolvePodTarget({ host }, where, virtualPod, { namespace: 'team', pod: 'web' });
    expect([...target.containers].sort()).toEqual(['app', 'mine']);
  });

  it("a pod without its host copy is a 400 saying so (kubectl logs prints a 400's text, not a 404's)", async () => {
    const host = hostWith([]);
    await expect(
      resolvePodTarget(
        { host },
        where,
        { ...virtualPod, metadata: { ...virtualPod.metadata, name: 'new' } },
        {
          namespace: 'team',
          pod: 'new',
        },
      ),
    ).rejects.toMatchObject({ status: 400, message: 'pod team/new is not running on the host yet' });
  });

  it('a marker with another value proves nothing', async () => {
    const host = hostWith([{ name: 'mine', image: 'busybox', env: [{ ...marked, value: 'false' }] }]);
    const target = await resolvePodTarget({ host }, where, virtualPod, { namespace: 'team', pod: 'web' });
    expect([...target.containers]).toEqual(['app']);
  });
});

describe('ownedAmong', () => {
  it("with a lookup, gives each pod the tenant's containers; a pod the lookup lacks or has anew shows none", async () => {
    const host = hostWith([]);
    const hostPods = host.objects(Resources.pods, 'host-ns');
    const withSidecar = hostPods.map((p) => ({
      ...p,
      spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
    }));
    const owned = ownedAmong(withSidecar, where, () => virtualPod);
    expect([...owned.get('host-ns/web-x-team-x-vc')!.containers!]).toEqual(['app']);
    const unseen = ownedAmong(withSidecar, where, () => undefined);
    expect([...unseen.get('host-ns/web-x-team-x-vc')!.containers!]).toEqual([]);
    const replaced = ownedAmong(withSidecar, where, () => ({
      ...virtualPod,
      metadata: { ...virtualPod.metadata, uid: 'another' },
    }));
    expect([...replaced.get('host-ns/web-x-team-x-vc')!.containers!]).toEqual([]);
    // Without a lookup (the cache not filled yet), containers are not told apart.
    expect(ownedAmong(withSidecar, where).get('host-ns/web-x-team-x-vc')!.containers).toBeUndefined();
  });
});
