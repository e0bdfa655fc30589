import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../test/harness/clusters.ts';
import { apply, getObject, mustKubectl } from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

const vc = uniqueName('init');
const hostNs = `host-${vc}`;
const ns = uniqueName('tools');
/** A CRD of a group of its own: the virtual cluster is shared by every e2e file. */
const group = `${uniqueName('w')}.example.com`;
const crd = `widgets.${group}`;
const dir = mkdtempSync(join(tmpdir(), 'vsyncer-init-'));
const file = join(dir, 'manifests.yaml');
let syncer: SyncerProcess;

interface ConfigMapLite {
  metadata: { labels?: Record<string, string> };
  data?: Record<string, string>;
}

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${ns}}
data: {mode: strict}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kept, namespace: ${ns}}
data: {mode: from-manifest}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: Not_A_Name, namespace: ${ns}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${crd}}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
---
apiVersion: ${group}/v1
kind: Widget
metadata: {name: first, namespace: ${ns}}
spec: {size: 3}
`;

beforeAll(async () => {
  writeFileSync(file, MANIFESTS);
  await prepareHostNamespace(vc, hostNs);
  // An object that exists already gets the manifest's fields; fields only the tenant set stay.
  await mustKubectl('virtual', ['create', 'namespace', ns]);
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kept', namespace: ns, labels: { tenant: 'label' } },
    data: { mode: 'edited-by-tenant' },
  });
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: [`--init-manifests=${file}`] });
}, 180_000);

afterAll(async () => {
  await syncer?.stop();
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await mustKubectl('virtual', ['delete', 'crd', crd, '--ignore-not-found', '--wait=false']).catch(
    () => undefined,
  );
  rmSync(dir, { recursive: true, force: true });
});

describe('--init-manifests (vCluster init manifests)', () => {
  it("applies each object in order, a custom resource once its CRD is served; an existing object gets the manifest's fields", async () => {
    const widget = await waitFor(
      'the Widget, created once its CRD is served',
      () => getObject<{ spec: { size: number } }>('virtual', [`widgets.${group}`, 'first', '-n', ns]),
      90_000,
    );
    expect(widget.spec.size).toBe(3);
    const settings = await getObject<{ data: Record<string, string> }>('virtual', [
      'configmap',
      'settings',
      '-n',
      ns,
    ]);
    expect(settings!.data).toEqual({ mode: 'strict' });
    const kept = await getObject<ConfigMapLite>('virtual', ['configmap', 'kept', '-n', ns]);
    expect(kept!.data).toEqual({ mode: 'from-manifest' });
    expect(kept!.metadata.labels).toEqual({ tenant: 'label' });
    // The invalid object was refused by the API server and named in the log; the rest went on.
    await waitFor(
      'the refusal in the log',
      async () => syncer.logs().includes('ConfigMap') && syncer.logs().includes('Not_A_Name'),
      30_000,
    );
    expect(syncer.logs()).toMatch(/refused an init manifest[^\n]*ConfigMap [^"]*Not_A_Name/);
    // Recorded on the host, where no tenant can change what the syncer will delete.
    await waitFor(
      'the record of the applied manifests',
      () => getObject('host', ['configmap', `${vc}-init-manifests-applied`, '-n', hostNs]),
      30_000,
    );
  }, 150_000);

  it('unchanged manifests are not applied again at the next start: what a tenant changed stays', async () => {
    await mustKubectl('virtual', [
      'patch',
      'configmap',
      'settings',
      '-n',
      ns,
      '-p',
      '{"data":{"mode":"tenant"}}',
    ]);
    await mustKubectl('virtual', ['delete', 'configmap', 'kept', '-n', ns]);
    await syncer.stop();
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: [`--init-manifests=${file}`] });
    await waitFor(
      'the unchanged manifests seen',
      async () => syncer.logs().includes('init manifests unchanged'),
      60_000,
    );
    const settings = await getObject<ConfigMapLite>('virtual', ['configmap', 'settings', '-n', ns]);
    expect(settings!.data).toEqual({ mode: 'tenant' });
    expect(await getObject('virtual', ['configmap', 'kept', '-n', ns])).toBeUndefined();
  }, 120_000);

  it('changed manifests are applied at the next start, and objects no longer listed are deleted', async () => {
    const changed = MANIFESTS.replace('data: {mode: strict}', 'data: {mode: changed}').replace(
      `---
apiVersion: ${group}/v1
kind: Widget
metadata: {name: first, namespace: ${ns}}
spec: {size: 3}
`,
      '',
    );
    expect(changed).not.toContain('name: first');
    writeFileSync(file, changed);
    await syncer.stop();
    syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: [`--init-manifests=${file}`] });
    await waitFor(
      'the changed manifests applied',
      async () =>
        (await getObject<ConfigMapLite>('virtual', ['configmap', 'settings', '-n', ns]))?.data?.mode ===
        'changed',
      60_000,
    );
    await waitFor(
      'the Widget no longer listed deleted',
      async () => !(await getObject('virtual', [`widgets.${group}`, 'first', '-n', ns])),
      60_000,
    );
    // Listed again: made again.
    expect((await getObject<ConfigMapLite>('virtual', ['configmap', 'kept', '-n', ns]))?.data).toEqual({
      mode: 'from-manifest',
    });
  }, 120_000);

  it('a manifest file that cannot be read stops the start with the flag and the document named (exit 2)', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\n');
    const proc = await startSyncer({
      name: uniqueName('bad'),
      hostNamespace: hostNs,
      args: [`--init-manifests=${bad}`],
      waitReady: false,
    });
    expect(await proc.exited).toBe(2);
    expect(proc.logs()).toContain('--init-manifests');
    expect(proc.logs()).toContain('document 1: metadata.name must be a non-empty string');
  }, 60_000);
});
