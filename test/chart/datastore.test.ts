import { failure, render, renderValues, type Manifest } from './render.ts';

// k3s's external data store: k3s.datastore.secretName (a Secret of the admin's) or k3s.datastore.endpoint
// (the data source itself, kept by the chart in <release>-datastore), and vCluster's
// controlPlane.backingStore.database.external.

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
}
interface StatefulSet extends Manifest {
  metadata: Manifest['metadata'] & { annotations: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: Container[] } } };
}
interface Secret extends Manifest {
  data: Record<string, string>;
}

const controlPlane = (ms: Manifest[]) => ms.find((m) => m.kind === 'StatefulSet') as StatefulSet;
const k3s = (ms: Manifest[]) => controlPlane(ms).spec.template.spec.containers.find((c) => c.name === 'k3s')!;
const datastoreSecret = (ms: Manifest[]) =>
  ms.find((m) => m.kind === 'Secret' && m.metadata.name === 'vc1-datastore') as Secret | undefined;
const decoded = (s: Secret, key: string) => Buffer.from(s.data[key]!, 'base64').toString();
const fromSecret = (name: string) => [
  { name: 'K3S_DATASTORE_ENDPOINT', valueFrom: { secretKeyRef: { name, key: 'endpoint' } } },
  { name: 'K3S_TOKEN', valueFrom: { secretKeyRef: { name, key: 'token' } } },
];

describe('helm chart: an external data store for k3s (k3s.datastore)', () => {
  it('keeps a data source given as k3s.datastore.endpoint in a Secret of its own, with a token, for every replica', () => {
    const ms = render({ 'k3s.datastore.endpoint': 'postgres://vc:pw@db:5432/vc1', 'syncer.replicas': '2' });
    const secret = datastoreSecret(ms)!;
    expect(decoded(secret, 'endpoint')).toBe('postgres://vc:pw@db:5432/vc1');
    expect(decoded(secret, 'token')).toMatch(/^[A-Za-z0-9]{48}$/);
    // The store outlives the release; so does the token its data is encrypted with.
    expect((secret.metadata as { annotations?: unknown }).annotations).toEqual({
      'helm.sh/resource-policy': 'keep',
    });
    expect(k3s(ms).env).toEqual(fromSecret('vc1-datastore'));
    expect(controlPlane(ms).spec.replicas).toBe(2);
    // Where the data is, without the credentials (a new password moves nothing).
    expect(controlPlane(ms).metadata.annotations['vsyncer.dev/data-store']).toBe(
      'k3s/endpoint:postgres://db:5432/vc1',
    );
    // No Secret of the chart's when the admin gives one.
    const own = render({ 'k3s.datastore.secretName': 'db', 'syncer.replicas': '2' });
    expect(datastoreSecret(own)).toBeUndefined();
    expect(k3s(own).env).toEqual(fromSecret('db'));
  });

  it("passes the data store's TLS files to k3s", () => {
    const args = k3s(
      render({
        'k3s.datastore.endpoint': 'postgres://vc@db:5432/vc1?sslmode=verify-full',
        'k3s.datastore.caFile': '/etc/db/ca.crt',
        'k3s.datastore.certFile': '/etc/db/tls.crt',
        'k3s.datastore.keyFile': '/etc/db/tls.key',
      }),
    ).args!;
    expect(args).toEqual(
      expect.arrayContaining([
        '--datastore-cafile=/etc/db/ca.crt',
        '--datastore-certfile=/etc/db/tls.crt',
        '--datastore-keyfile=/etc/db/tls.key',
      ]),
    );
  });

  it('refuses settings that do not go together, naming them', () => {
    expect(failure({ k3s: { datastore: { secretName: 'db', endpoint: 'postgres://db/vc1' } } })).toContain(
      'k3s.datastore.secretName and k3s.datastore.endpoint both name the data store',
    );
    // The vanilla control plane has no kine: its data is in etcd. Before, the setting was ignored.
    expect(
      failure({ controlPlane: { distro: 'vanilla' }, k3s: { datastore: { secretName: 'db' } } }),
    ).toContain("k3s.datastore (an external data store) is k3s's");
    expect(failure({ k3s: { datastore: { caFile: '/etc/db/ca.crt' } } })).toContain(
      'k3s.datastore.caFile, certFile and keyFile are for an external data store',
    );
    expect(
      failure({ k3s: { datastore: { endpoint: 'postgres://db/vc1' } }, deployedEtcd: { enabled: true } }),
    ).toContain('name two data stores');
  });
});

describe("helm chart: vCluster's controlPlane.backingStore.database.external", () => {
  it('runs k3s on the data source, with its TLS files', () => {
    const ms = renderValues({
      controlPlane: {
        backingStore: {
          database: {
            external: {
              enabled: true,
              dataSource: 'mysql://vc:pw@tcp(db:3306)/vc1',
              caFile: '/etc/db/ca.crt',
              connector: '',
              extraArgs: [],
            },
          },
        },
      },
    });
    expect(decoded(datastoreSecret(ms)!, 'endpoint')).toBe('mysql://vc:pw@tcp(db:3306)/vc1');
    expect(k3s(ms).args).toContain('--datastore-cafile=/etc/db/ca.crt');
    // Off, as in vCluster's defaults: nothing.
    const off = renderValues({
      controlPlane: { backingStore: { database: { external: { enabled: false, dataSource: '' } } } },
    });
    expect(datastoreSecret(off)).toBeUndefined();
  });

  it("refuses what needs vCluster's platform or its own kine process", () => {
    const external = (e: Record<string, unknown>) =>
      failure({ controlPlane: { backingStore: { database: { external: { enabled: true, ...e } } } } });
    expect(external({ connector: 'my-connector' })).toContain(
      'controlPlane.backingStore.database.external: give the data source as dataSource',
    );
    expect(external({ dataSource: 'postgres://db/vc1', identityProvider: 'aws' })).toContain(
      'controlPlane.backingStore.database.external.identityProvider: vsyncer has no equivalent',
    );
    expect(external({ dataSource: 'postgres://db/vc1', extraArgs: ['--x'] })).toContain(
      'controlPlane.backingStore.database.external.extraArgs: vsyncer has no equivalent',
    );
  });
});
