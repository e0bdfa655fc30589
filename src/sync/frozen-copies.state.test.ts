import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { HOST_NS, ownHostPod, ownHostService, stateTables, VC } from '../testing/state-table.ts';

/**
 * A tenant can make the host refuse every update of a copy: annotations the virtual API server takes
 * (under 256 KiB) grow past the host's limit once the syncer's records (every key again, in
 * managed-annotations) are added. A copy that names other copies must not stay frozen as it was.
 */
const start = stateTables();
const EP = Resources.endpoints;
const ING = Resources.ingresses;
const SVC = Resources.services;

/** About 165 KB of annotation keys: taken by the virtual API server, twice that on the host copy. */
function bloated(): Record<string, string> {
  const big: Record<string, string> = {};
  for (let i = 0; i < 2200; i++) big[`pad.example.com/k${String(i).padStart(58, '0')}`] = '';
  return big;
}

async function annotate(table: Awaited<ReturnType<typeof start>>, type: typeof EP, ns: string, name: string) {
  const current = table.virtual.objects(type, ns).find((o) => o.metadata?.name === name)!;
  await table.virtual.update(type, ns, {
    ...current,
    metadata: { ...current.metadata, annotations: bloated() },
  });
  await table.settle();
}

const events = (table: Awaited<ReturnType<typeof start>>, ns: string) =>
  table.virtual.objects(Resources.events, ns).map((e) => String(e.message));

describe('a copy naming other copies whose update the host refuses', () => {
  it('Endpoints: removed, so it never keeps an address its pod gave back (which another pod gets next)', async () => {
    const table = await start({
      kinds: ['endpoints'],
      virtual: [
        [SVC, { metadata: { name: 'db', namespace: 'team' }, spec: { ports: [{ port: 5432 }] } }],
        [
          Resources.pods,
          {
            metadata: { name: 'db-0', namespace: 'team' },
            spec: { containers: [] },
            status: { podIP: '10.244.0.7' },
          },
        ],
        [
          EP,
          {
            metadata: { name: 'db', namespace: 'team' },
            subsets: [{ addresses: [{ ip: '10.244.0.7' }], ports: [{ port: 5432 }] }],
          },
        ],
      ],
      host: [ownHostService('team', 'db'), ownHostPod('team', 'db-0', '10.244.0.7')],
    });
    await table.settle();
    const hostEndpoints = () =>
      table.host.objects(EP, HOST_NS).find((e) => e.metadata?.name === `db-x-team-x-${VC}`);
    expect(JSON.stringify(hostEndpoints()?.subsets)).toContain('10.244.0.7');

    await annotate(table, EP, 'team', 'db');
    expect(hostEndpoints()).toBeUndefined();
    // Made again, refused: the tenant is told why, and what the syncer adds.
    expect(events(table, 'team').join('\n')).toMatch(
      /metadata\.annotations: Too long.*the host copy holds the syncer's records/,
    );
    // The tenant's object is left as it is.
    expect(table.virtual.objects(EP, 'team').map((e) => e.metadata?.name)).toEqual(['db']);

    // Its annotations back within the limit: the copy is made again.
    const current = table.virtual.objects(EP, 'team')[0]!;
    await table.virtual.update(EP, 'team', {
      ...current,
      metadata: { ...current.metadata, annotations: {} },
    });
    await table.settle();
    expect(JSON.stringify(hostEndpoints()?.subsets)).toContain('10.244.0.7');
  });

  it.each([
    ['forbidden, as a host API server that is starting answers', 'forbidden'],
    ['invalid, as a webhook that failed answers', 'invalid'],
  ] as const)(
    'a refusal of another kind (%s) keeps the copy, and its update is tried again',
    async (_, kind) => {
      const table = await start({
        kinds: ['endpoints'],
        virtual: [
          [SVC, { metadata: { name: 'db', namespace: 'team' }, spec: { ports: [{ port: 5432 }] } }],
          [
            EP,
            {
              metadata: { name: 'db', namespace: 'team' },
              subsets: [{ addresses: [{ ip: '93.184.216.10' }], ports: [{ port: 5432 }] }],
            },
          ],
        ],
        host: [ownHostService('team', 'db')],
      });
      await table.settle();
      const hostEndpoints = () =>
        table.host.objects(EP, HOST_NS).find((e) => e.metadata?.name === `db-x-team-x-${VC}`);
      const uid = hostEndpoints()!.metadata?.uid;
      table.host.failNext('update', 'endpoints', kind);
      const current = table.virtual.objects(EP, 'team')[0]!;
      await table.virtual.update(EP, 'team', {
        ...current,
        subsets: [{ addresses: [{ ip: '93.184.216.11' }], ports: [{ port: 5432 }] }],
      });
      await table.settle();
      table.clock.advance(60_000);
      await table.settle();
      expect(table.host.writeLog().filter((w) => w.startsWith('delete'))).toEqual([]);
      expect(hostEndpoints()!.metadata?.uid).toBe(uid);
      if (kind === 'forbidden') expect(JSON.stringify(hostEndpoints()!.subsets)).toContain('93.184.216.11');
    },
  );

  it('Ingress: removed, so it never keeps a Service host name that another namespace takes next', async () => {
    const table = await start({ kinds: ['ingresses', 'services'] });
    const service = (name: string, namespace: string): KubeObject => ({
      metadata: { name, namespace },
      spec: { selector: { app: name }, ports: [{ port: 80 }] },
    });
    await table.virtual.create(SVC, 'a', service('s-x-b', 'a'));
    await table.settle();
    await table.virtual.create(ING, 'a', {
      metadata: { name: 'web', namespace: 'a' },
      spec: {
        rules: [
          {
            host: 'web.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 's-x-b', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    await table.settle();
    const hostIngress = () =>
      table.host.objects(ING, HOST_NS).find((i) => i.metadata?.name === `web-x-a-x-${VC}`);
    expect(JSON.stringify(hostIngress()?.spec)).toContain(`s-x-b-x-a-x-${VC}`);

    await annotate(table, ING, 'a', 'web');
    expect(hostIngress()).toBeUndefined();
    // The Service's host name, freed, goes to namespace b-x-a's Service s (the same host name): no
    // copy of the Ingress names it.
    await table.virtual.create(SVC, 'b-x-a', service('s', 'b-x-a'));
    await table.virtual.delete(SVC, 'a', 's-x-b');
    await table.settle();
    table.clock.advance(10 * 60_000);
    await table.settle();
    expect(table.host.objects(ING, HOST_NS)).toEqual([]);
  });
});
