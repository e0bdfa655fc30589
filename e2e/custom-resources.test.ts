import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  waitForEvents,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

interface CustomObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { secretName?: string; dnsNames?: string[]; acme?: { email?: string } };
  status?: { conditions?: { type: string; status: string }[] };
}

const CRDS_FILE = join(import.meta.dirname, '..', 'test', 'fixtures', 'certificates-crds.yaml');
const GROUP = 'certs.e2e.vsyncer.dev';
const vc = uniqueName('cr');
const hostNs = `host-${vc}`;
const ns = uniqueName('certs');
const issuer = uniqueName('acme');
let syncer: SyncerProcess;
let dir: string;

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  // The CRDs are installed on the host only: the syncer copies them into the virtual cluster.
  await mustKubectl('host', ['apply', '-f', CRDS_FILE]);
  await mustKubectl('host', [
    'wait',
    '--for=condition=Established',
    `crd/certificates.${GROUP}`,
    `crd/clusterissuers.${GROUP}`,
    '--timeout=60s',
  ]);
  dir = mkdtempSync(join(tmpdir(), 'vsyncer-cr-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'customResources:',
      '  toHost:',
      `    - resource: certificates.${GROUP}/v1`,
      '      references:',
      '        - path: spec.secretName',
      '          kind: Secret',
      // A namespaced Issuer would be looked up in the shared host namespace.
      '      allowedValues:',
      '        - path: spec.issuerRef.kind',
      '          values: [ClusterIssuer]',
      '  fromHost:',
      `    - resource: clusterissuers.${GROUP}/v1`,
      '',
    ].join('\n'),
  );
  syncer = await startSyncer({ name: vc, hostNamespace: hostNs, args: ['--config', config] });
  await createTenantNamespace(ns);
}, 180_000);

afterAll(async () => {
  // Other suites' syncers watch the whole shared virtual cluster: leave nothing behind for them.
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await mustKubectl('host', ['delete', `clusterissuers.${GROUP}`, issuer, '--ignore-not-found']);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const hostName = (name: string) => `${name}-x-${ns}-x-${vc}`;
/** What the config allows (allowedValues): an issuer the host offers everyone, never a namespaced one. */
const CLUSTER_ISSUER = { name: 'letsencrypt', kind: 'ClusterIssuer' };

describe('custom resources by configuration', () => {
  it('the CRDs are copied from the host into the virtual cluster, marked as the syncer’s', async () => {
    const crd = await waitFor(
      'Certificate CRD in the virtual cluster',
      () => getObject<CustomObject>('virtual', ['crd', `certificates.${GROUP}`]),
      60_000,
    );
    expect(crd.metadata.labels?.['vsyncer.dev/managed']).toBe('true');
  }, 90_000);

  it('a Certificate goes to the host with its secret reference renamed; status written on the host flows back', async () => {
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-tls', namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': '', 'tls.key': '' },
    });
    // The kind starts once the copied CRD is established (it looks again every few seconds).
    await waitFor(
      'Certificate created in the virtual cluster',
      async () =>
        (
          await mustKubectl(
            'virtual',
            ['apply', '-f', '-'],
            JSON.stringify({
              apiVersion: `${GROUP}/v1`,
              kind: 'Certificate',
              metadata: { name: 'web', namespace: ns },
              spec: { secretName: 'web-tls', dnsNames: ['web.example.com'], issuerRef: CLUSTER_ISSUER },
            }),
          ).catch(() => '')
        ).length > 0,
      60_000,
      1_000,
    );
    const copy = await waitFor(
      'host copy of the Certificate',
      () => getObject<CustomObject>('host', [`certificates.${GROUP}`, hostName('web'), '-n', hostNs]),
      60_000,
    );
    expect(copy.spec?.secretName).toBe(hostName('web-tls'));
    expect(copy.spec?.dnsNames).toEqual(['web.example.com']);
    expect(copy.metadata.labels?.['vcluster.loft.sh/managed-by']).toBe(vc);
    // The secret it names is synced because the certificate names it.
    expect(await getObject('host', ['secret', hostName('web-tls'), '-n', hostNs])).toBeDefined();

    await mustKubectl('host', [
      'patch',
      `certificates.${GROUP}`,
      hostName('web'),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Issued' }] } }),
    ]);
    const ready = await waitFor(
      'status in the virtual cluster',
      async () => {
        const cert = await getObject<CustomObject>('virtual', [`certificates.${GROUP}`, 'web', '-n', ns]);
        return cert?.status?.conditions?.[0]?.status === 'True' && cert;
      },
      60_000,
    );
    expect(ready.status?.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'Issued' }]);
  }, 180_000);

  it('integers beyond 2^53 reach the host copy exactly, and come back up in the status exactly', async () => {
    const big = { max: '9223372036854775807', next: '9007199254740993', min: '-9223372036854775808' };
    // Written as text: JSON.stringify of a JavaScript number would round them before the API server saw them.
    const manifest = `{"apiVersion":"${GROUP}/v1","kind":"Certificate","metadata":{"name":"big","namespace":"${ns}"},"spec":{"secretName":"web-tls","issuerRef":{"name":"letsencrypt","kind":"ClusterIssuer"},"settings":{"max":${big.max},"list":[${big.next},${big.min}]}}}`;
    await mustKubectl('virtual', ['apply', '-f', '-'], manifest);
    const hostField = (path: string) =>
      mustKubectl('host', [
        'get',
        `certificates.${GROUP}`,
        hostName('big'),
        '-n',
        hostNs,
        '-o',
        `jsonpath={${path}}`,
      ]).catch(() => '');
    await waitFor(
      'host copy of the Certificate',
      async () => (await hostField('.spec.settings.max')) !== '',
      60_000,
    );
    expect(await hostField('.spec.settings.max')).toBe(big.max);
    expect(await hostField('.spec.settings.list')).toBe(`[${big.next},${big.min}]`);

    await mustKubectl('host', [
      'patch',
      `certificates.${GROUP}`,
      hostName('big'),
      '-n',
      hostNs,
      '--subresource=status',
      '--type=merge',
      '-p',
      `{"status":{"serial":${big.max}}}`,
    ]);
    const serial = await waitFor(
      'status serial in the virtual cluster',
      async () =>
        (await mustKubectl('virtual', [
          'get',
          `certificates.${GROUP}`,
          'big',
          '-n',
          ns,
          '-o',
          'jsonpath={.status.serial}',
        ])) || undefined,
      60_000,
    );
    expect(serial).toBe(big.max);
    // The tenant's own content was not rewritten on the way either.
    expect(
      await mustKubectl('virtual', [
        'get',
        `certificates.${GROUP}`,
        'big',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.settings.max}',
      ]),
    ).toBe(big.max);
  }, 180_000);

  it('a Certificate naming an Issuer (allowedValues: ClusterIssuer only) gets a SyncError and no host copy', async () => {
    await apply('virtual', {
      apiVersion: `${GROUP}/v1`,
      kind: 'Certificate',
      metadata: { name: 'sneaky', namespace: ns },
      spec: { secretName: 'web-tls', issuerRef: { name: 'ca', kind: 'Issuer' } },
    });
    const events = await waitForEvents('virtual', ns, 'sneaky', 'SyncError');
    expect(events.map((e) => e.message)).toContainEqual(
      'cannot sync this Certificate: spec.issuerRef.kind is "Issuer"; it may only be one of ["ClusterIssuer"] here',
    );
    expect(
      await getObject('host', [`certificates.${GROUP}`, hostName('sneaky'), '-n', hostNs]),
    ).toBeUndefined();
  }, 120_000);

  it('a Certificate nested thousands of levels deep fails alone: the syncer stays up and syncs the next one', async () => {
    // Free-form fields can nest as deep as the API server accepts (its JSON decoder stops at 10,000
    // levels); Node's JSON.stringify and any recursive walk run out of stack before that.
    for (const name of ['deep-tls', 'after-deep-tls'])
      await apply('virtual', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: ns },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': '', 'tls.key': '' },
      });
    // Written as text: JSON.stringify itself would run out of stack on it (JSON.parse does not).
    const depth = 6_000;
    const settings = `${'{"a":'.repeat(depth)}{"leaf":true}${'}'.repeat(depth)}`;
    const head = JSON.stringify({
      apiVersion: `${GROUP}/v1`,
      kind: 'Certificate',
      metadata: { name: 'deep', namespace: ns },
      spec: { secretName: 'deep-tls', issuerRef: CLUSTER_ISSUER },
    });
    await mustKubectl('virtual', ['create', '-f', '-'], head.replace(/}}$/, `,"settings":${settings}}}`));
    await apply('virtual', {
      apiVersion: `${GROUP}/v1`,
      kind: 'Certificate',
      metadata: { name: 'after-deep', namespace: ns },
      spec: { secretName: 'after-deep-tls', dnsNames: ['after.example.com'], issuerRef: CLUSTER_ISSUER },
    });
    const next = await waitFor(
      'host copy of the Certificate made after the deep one',
      () => getObject<CustomObject>('host', [`certificates.${GROUP}`, hostName('after-deep'), '-n', hostNs]),
      60_000,
    );
    expect(next.spec?.dnsNames).toEqual(['after.example.com']);
    expect(syncer.child.exitCode).toBeNull();
    expect(syncer.child.signalCode).toBeNull();
    // The deep one is refused once, with the reason on the tenant's object, and nothing on the host.
    const events = await waitForEvents('virtual', ns, 'deep', 'ObjectTooDeep');
    expect(events[0]!.message).toMatch(/nests too deeply/);
    expect(
      await getObject('host', [`certificates.${GROUP}`, hostName('deep'), '-n', hostNs]),
    ).toBeUndefined();
    await mustKubectl('virtual', ['delete', `certificates.${GROUP}`, 'deep', 'after-deep', '-n', ns]);
  }, 180_000);

  it('a ClusterIssuer made on the host comes into the virtual cluster, and a tenant edit is reverted', async () => {
    await apply('host', {
      apiVersion: `${GROUP}/v1`,
      kind: 'ClusterIssuer',
      metadata: { name: issuer },
      spec: { acme: { email: 'ops@example.com', server: 'https://acme.example.com' } },
    });
    const copy = await waitFor(
      'ClusterIssuer in the virtual cluster',
      () => getObject<CustomObject>('virtual', [`clusterissuers.${GROUP}`, issuer]),
      60_000,
    );
    expect(copy.spec?.acme?.email).toBe('ops@example.com');
    await mustKubectl('virtual', [
      'patch',
      `clusterissuers.${GROUP}`,
      issuer,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { acme: { email: 'tenant@example.com' } } }),
    ]);
    await waitFor(
      'tenant edit reverted',
      async () =>
        (await getObject<CustomObject>('virtual', [`clusterissuers.${GROUP}`, issuer]))?.spec?.acme?.email ===
        'ops@example.com',
      60_000,
    );
    await mustKubectl('host', ['delete', `clusterissuers.${GROUP}`, issuer]);
    await waitFor(
      'virtual copy removed with the host object',
      async () => (await getObject('virtual', [`clusterissuers.${GROUP}`, issuer])) === undefined,
      60_000,
    );
  }, 180_000);
});
