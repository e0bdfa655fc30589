import { kubectl, waitFor } from '../test/harness/clusters.ts';
import { getObject, mustKubectl, type List } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/**
 * vCluster's isolated mode between real API servers: with --namespace-pod-security-label every
 * virtual namespace carries the Pod Security Standard, so the virtual API server's own PodSecurity
 * admission refuses a pod the host would not run when it is created.
 */
const ENFORCE = 'pod-security.kubernetes.io/enforce';
const WARN = 'pod-security.kubernetes.io/warn';
/** What the syncer writes with a level (as vCluster does). */
const WRITTEN_WITH_LEVEL = [ENFORCE, `${ENFORCE}-version`, WARN, `${WARN}-version`];
const vc = uniqueName('pss');
const hostNs = `host-${vc}`;
const fresh = uniqueName('pss-new');
const strict = uniqueName('pss-strict');
const lax = uniqueName('pss-lax');
let syncer: SyncerProcess;
/** The namespaces that had no enforce label before: the syncer's labels come off them afterwards. */
let unlabelledBefore: string[] = [];

interface Namespace {
  metadata: { name: string; labels?: Record<string, string> };
}
const enforceOf = async (name: string) =>
  (await getObject<Namespace>('virtual', ['namespace', name]))?.metadata.labels?.[ENFORCE];
const waitForLevel = (name: string, level: string) =>
  waitFor(`${name} labelled ${level}`, async () => (await enforceOf(name)) === level, 30_000);

beforeAll(async () => {
  const all = (await getObject<List<Namespace>>('virtual', ['namespaces']))?.items ?? [];
  unlabelledBefore = all.filter((ns) => !ns.metadata.labels?.[ENFORCE]).map((ns) => ns.metadata.name);
  await prepareHostNamespace(vc, hostNs);
  await mustKubectl('virtual', ['create', 'namespace', strict]);
  await mustKubectl('virtual', ['label', 'namespace', strict, `${ENFORCE}=restricted`]);
  await mustKubectl('virtual', ['create', 'namespace', lax]);
  await mustKubectl('virtual', ['label', 'namespace', lax, `${ENFORCE}=privileged`]);
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--namespace-pod-security-label=true', '--pod-security-standard=baseline'],
  });
}, 120_000);

afterAll(async () => {
  await syncer?.stop();
  for (const ns of [fresh, strict, lax])
    await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  // Other suites share this virtual cluster: leave its namespaces as they were.
  for (const ns of unlabelledBefore)
    await kubectl('virtual', ['label', 'namespace', ns, ...WRITTEN_WITH_LEVEL.map((key) => `${key}-`)]).catch(
      () => undefined,
    );
});

describe("vCluster's isolated mode: the Pod Security Standard on every virtual namespace", () => {
  it('labels default and a namespace made later; keeps a stricter level, raises a laxer one', async () => {
    await waitForLevel('default', 'baseline');
    await mustKubectl('virtual', ['create', 'namespace', fresh]);
    await waitForLevel(fresh, 'baseline');
    await waitForLevel(lax, 'baseline');
    expect(await enforceOf(strict)).toBe('restricted');
    // Written with the level, as vCluster writes it: the latest version, and a warning at that level.
    const labels = (await getObject<Namespace>('virtual', ['namespace', fresh]))?.metadata.labels ?? {};
    expect(Object.fromEntries(WRITTEN_WITH_LEVEL.map((key) => [key, labels[key]]))).toEqual({
      [ENFORCE]: 'baseline',
      [`${ENFORCE}-version`]: 'latest',
      [WARN]: 'baseline',
      [`${WARN}-version`]: 'latest',
    });
  }, 60_000);

  it('sets it again when the tenant removes it', async () => {
    await mustKubectl('virtual', ['label', 'namespace', fresh, `${ENFORCE}-`]);
    await waitForLevel(fresh, 'baseline');
  }, 60_000);

  it('so the virtual API server refuses a privileged pod when it is created, with the reason', async () => {
    const res = await kubectl(
      'virtual',
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'privileged', namespace: fresh },
        spec: { containers: [{ name: 'main', image: 'busybox', securityContext: { privileged: true } }] },
      }),
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('violates PodSecurity "baseline:latest"');
    expect(await getObject('virtual', ['pod', 'privileged', '-n', fresh])).toBeUndefined();
  }, 60_000);
});
