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
  // An object that already exists is the cluster's: never changed.
  await mustKubectl('virtual', ['create', 'namespace', ns]);
  await apply('virtual', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kept', namespace: ns },
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
  it('creates each missing object in order, a custom resource once its CRD is served; leaves existing ones as they are', async () => {
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
    const kept = await getObject<{ data: Record<string, string> }>('virtual', [
      'configmap',
      'kept',
      '-n',
      ns,
    ]);
    expect(kept!.data).toEqual({ mode: 'edited-by-tenant' });
    // The invalid object was refused by the API server and named in the log; the rest went on.
    await waitFor(
      'the refusal in the log',
      async () => syncer.logs().includes('ConfigMap') && syncer.logs().includes('Not_A_Name'),
      30_000,
    );
    expect(syncer.logs()).toMatch(/refused the init manifest object ConfigMap [^"]*Not_A_Name/);
  }, 150_000);

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
