import type { ClusterClient } from '../kube/client.ts';
import { Resources } from '../kube/resources.ts';
import { InformerFactory } from './factory.ts';

// Never started here: no call reaches the client, so none of its methods is needed.
const client = { name: 'host' } as unknown as ClusterClient;

describe('InformerFactory: optional informers', () => {
  it('an optional cache holds up neither the start nor /readyz; once any user needs it, it does', async () => {
    const factory = new InformerFactory({});
    factory.get(client, Resources.services, { namespace: 'dns' }, { optional: true });
    expect(factory.notSynced()).toEqual([]);
    await expect(factory.waitForSync()).resolves.toBeUndefined();

    // The same scope asked for again, without the option: shared, and required now.
    const shared = factory.get(client, Resources.services, { namespace: 'dns' });
    expect(factory.notSynced()).toEqual([shared.description]);
    // Asking for it as optional again does not take that back.
    factory.get(client, Resources.services, { namespace: 'dns' }, { optional: true });
    expect(factory.notSynced()).toEqual([shared.description]);
  });
});
