import { renderAgainstHost as render, standInStatefulSet } from '../test/harness/chart-lookups.ts';
import { apply, mustKubectl } from '../test/harness/objects.ts';
import { uniqueName } from '../test/harness/syncer.ts';

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
