import { jest } from '@jest/globals';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed } from '../testing/state-table.ts';

jest.setTimeout(20_000);
const start = stateTables();
const CM = Resources.configMaps;
const hostName = `a-x-team-x-${VC}`;

const virtualCm: Seed = [CM, { metadata: { name: 'a', namespace: 'team', uid: 'v-a' }, data: { k: 'v' } }];
function hostObject(annotations: Record<string, unknown>): Seed {
  return [
    CM,
    {
      metadata: {
        name: hostName,
        namespace: HOST_NS,
        uid: 'h-a',
        labels: { 'vcluster.loft.sh/managed-by': VC },
        annotations: annotations as Record<string, string>,
      },
      data: { k: 'host-only' },
    },
  ];
}

describe('engine: a host object with the managed-by label whose recorded virtual name is missing or malformed', () => {
  it.each([
    [
      'no object-name annotation',
      { 'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap', 'vcluster.loft.sh/object-namespace': 'team' },
    ],
    [
      'an empty object-name',
      {
        'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap',
        'vcluster.loft.sh/object-name': '',
        'vcluster.loft.sh/object-namespace': 'team',
      },
    ],
    [
      'no object-namespace',
      { 'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap', 'vcluster.loft.sh/object-name': 'a' },
    ],
    [
      'another kind',
      {
        'vcluster.loft.sh/object-kind': '/v1, Kind=Secret',
        'vcluster.loft.sh/object-name': 'a',
        'vcluster.loft.sh/object-namespace': 'team',
      },
    ],
  ])(
    'with %s, the host object is never written or deleted, with or without the virtual object',
    async (_what, annotations) => {
      for (const virtual of [[virtualCm], []]) {
        const table = await start({
          kinds: ['configmaps'],
          flags: { syncAllConfigMaps: 'true' },
          virtual,
          host: [hostObject(annotations)],
        });
        await table.settle();
        table.clock.advance(10 * 60_000);
        await table.settle();
        const host = table.host.objects(CM, HOST_NS).find((o: KubeObject) => o.metadata?.name === hostName);
        expect(host?.data).toEqual({ k: 'host-only' });
        expect(table.writes().filter((w) => w.startsWith('host:'))).toEqual([]);
        await table.stop();
      }
    },
  );
});
