import { renderAgainstHost as render, standInStatefulSet } from '../test/harness/chart-lookups.ts';
import { waitFor } from '../test/harness/clusters.ts';
import { apply, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * Two virtual clusters in one host namespace whose names end one in the other with a `-x-` part
 * before it (`b` and `x-b`) can make the same host names: the chart refuses the second at install
 * (Helm's lookup of the namespace's StatefulSets, here through `helm template --dry-run=server`
 * against the test host API server). The StatefulSet stands for a virtual cluster installed there.
 */
const neighbour = uniqueName('nb');
const hostNs = `host-${neighbour}`;

const renderAgainstHost = (release: string) => render(release, hostNs);

beforeAll(async () => {
  await mustKubectl('host', ['create', 'namespace', hostNs]);
  // As vCluster's chart (or this one) labels a virtual cluster's StatefulSet.
  await apply(
    'host',
    standInStatefulSet(neighbour, hostNs, { labels: { app: 'vcluster', release: neighbour } }),
  );
}, 120_000);

afterAll(async () => {
  await mustKubectl('host', ['delete', 'namespace', hostNs, '--wait=false']);
});

describe('a virtual cluster installed beside another in one host namespace', () => {
  it('is refused when one name is the other with a "-x-" part before it, either way round', async () => {
    for (const release of [`x-${neighbour}`, `team-x-${neighbour}`]) {
      const out = await renderAgainstHost(release);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain(
        `would share host namespace ${hostNs} with virtual cluster "${neighbour}"`,
      );
    }
  });

  it('goes ahead under a name that cannot collide, and for the release itself (an upgrade)', async () => {
    for (const release of [`${neighbour}-x`, `other`, neighbour]) {
      const out = await renderAgainstHost(release);
      expect({ release, code: out.code, stderr: out.stderr }).toEqual({ release, code: 0, stderr: '' });
    }
  });
});

/*
 * Installed past the chart's check (another chart, by hand), the syncer itself warns of such a
 * neighbour when it starts leading: the virtual API Service vCluster's chart and this one label
 * app=vcluster,release=<name>. A tenant's Service copy carrying those labels is no neighbour.
 */
describe('a syncer started beside a virtual cluster whose name collides', () => {
  const vc = uniqueName('nbs');
  const syncerNs = `host-${vc}`;
  let syncer: SyncerProcess | undefined;
  const service = (name: string, labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: syncerNs, labels },
    spec: { ports: [{ port: 443 }] },
  });

  beforeAll(async () => {
    await prepareHostNamespace(vc, syncerNs);
    await apply('host', service(`x-${vc}`, { app: 'vcluster', release: `x-${vc}` }));
    await apply('host', service(`${vc}-x`, { app: 'vcluster', release: `${vc}-x` }));
    await apply(
      'host',
      service('web-x-default-x-other', {
        app: 'vcluster',
        release: `team-x-${vc}`,
        'vcluster.loft.sh/managed-by': 'other',
      }),
    );
    syncer = await startSyncer({
      name: vc,
      hostNamespace: syncerNs,
      args: ['--sync=-secrets,-pods,-events,-nodes,-services,-api-service,-endpoints,-endpointslices'],
    });
  }, 120_000);

  afterAll(async () => {
    await syncer?.stop();
    await mustKubectl('host', ['delete', 'namespace', syncerNs, '--wait=false']);
  });

  it('warns, naming the neighbour, and keeps syncing; not of a name that cannot collide, nor of a copy', async () => {
    const warnings = () =>
      (syncer?.logs() ?? '').split('\n').filter((l) => l.includes('has a name that collides with this one'));
    await waitFor('the neighbour warning', async () => warnings().length > 0, 60_000);
    expect(warnings()).toHaveLength(1);
    // JSON logs (the default) or text.
    expect(warnings()[0]).toMatch(new RegExp(`other=x-${vc}( |$)|"other":"x-${vc}"`));
    expect(syncer?.child.exitCode).toBeNull();
    expect(syncer?.child.signalCode).toBeNull();
  });
});
