import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installCertManagerCrds,
  startCertManager,
  type CertManagerProcess,
} from '../test/harness/cert-manager.ts';
import { opensslCa } from '../src/testing/openssl-ca.ts';
import { waitFor } from '../test/harness/clusters.ts';
import {
  apply,
  createTenantNamespace,
  getObject,
  mustKubectl,
  applyOnceServed,
  waitForEvents,
  type List,
} from '../test/harness/objects.ts';
import { prepareHostNamespace, startSyncer, uniqueName, type SyncerProcess } from '../test/harness/syncer.ts';

/*
 * vCluster's integrations.certManager with the real thing: cert-manager's controller (the pinned
 * release, built from its Go module) runs against the host and issues the certificates a tenant asks
 * for in the virtual cluster. The syncer copies Certificates and Issuers down, shows the host's
 * ClusterIssuers that the selector offers, and brings each issued Secret back into the tenant's
 * namespace, where the tenant's pods mount it.
 */

interface Secret {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}
interface CertificateObject {
  metadata: { name: string };
  spec: { secretName: string; issuerRef: { name: string; kind?: string } };
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}
interface Pod {
  spec: { volumes?: { name: string; secret?: { secretName: string } }[] };
}

const vc = uniqueName('certs');
const hostNs = `host-${vc}`;
const ns = uniqueName('tls');
/** Where cert-manager keeps the Secrets of ClusterIssuers. */
const clusterResourceNs = uniqueName('cm-cluster');
const offered = uniqueName('offered');
const withheld = uniqueName('withheld');
const OFFER_LABEL = 'e2e.vsyncer.dev/offer';
let syncer: SyncerProcess;
let certManager: CertManagerProcess;
let dir: string;

const hostName = (name: string) => `${name}-x-${ns}-x-${vc}`;
/** The host admin's CA, whose key pair cert-manager reads from the cluster resource namespace. */
const CA_SECRET = 'e2e-admin-ca';
/**
 * A CA ClusterIssuer over the admin's CA. (Not selfSigned: cert-manager v1.11's selfSigned issuer
 * can lose a race with its own key manager under load and back off for an hour.)
 */
const caIssuer = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'ClusterIssuer',
  metadata: { name, labels },
  spec: { ca: { secretName: CA_SECRET } },
});
const certificate = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name, namespace: ns },
  spec,
});

/** The tenant's Secret once cert-manager has issued into it, with its certificate read. */
async function issued(name: string, timeoutMs = 90_000): Promise<{ secret: Secret; cert: X509Certificate }> {
  const secret = await waitFor(
    `the issued Secret ${name} in the virtual cluster`,
    async () => {
      const s = await getObject<Secret>('virtual', ['secret', name, '-n', ns]);
      return s?.data?.['tls.crt'] ? s : undefined;
    },
    timeoutMs,
    500,
  );
  return { secret, cert: new X509Certificate(Buffer.from(secret.data!['tls.crt']!, 'base64')) };
}

/** Applies a cert-manager object in the virtual cluster once its kind has started there. */
const applyVirtual = (manifest: object) =>
  applyOnceServed('virtual', manifest, 'the cert-manager kinds in the virtual cluster');

beforeAll(async () => {
  await prepareHostNamespace(vc, hostNs);
  await installCertManagerCrds();
  await mustKubectl('host', ['create', 'namespace', clusterResourceNs]);
  certManager = await startCertManager(clusterResourceNs);
  const ca = opensslCa('ec');
  await apply('host', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CA_SECRET, namespace: clusterResourceNs },
    type: 'kubernetes.io/tls',
    stringData: { 'tls.crt': ca.certPem, 'tls.key': ca.keyPem },
  });
  await apply('host', caIssuer(offered, { [OFFER_LABEL]: 'tenants' }));
  await apply('host', caIssuer(withheld, { [OFFER_LABEL]: 'admins' }));
  dir = mkdtempSync(join(tmpdir(), 'vsyncer-cm-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      integrations: {
        certManager: {
          enabled: true,
          sync: { fromHost: { clusterIssuers: { selector: { labels: { [OFFER_LABEL]: 'tenants' } } } } },
        },
      },
    }),
  );
  syncer = await startSyncer({
    name: vc,
    hostNamespace: hostNs,
    args: ['--config', config, '--sync', '+ingresses'],
  });
  await createTenantNamespace(ns);
}, 600_000);

afterAll(async () => {
  await mustKubectl('virtual', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await syncer?.stop();
  await certManager?.stop();
  for (const name of [offered, withheld])
    await mustKubectl('host', ['delete', 'clusterissuer', name, '--ignore-not-found']).catch(() => undefined);
  await mustKubectl('host', ['delete', 'namespace', clusterResourceNs, '--wait=false']).catch(
    () => undefined,
  );
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('integrations.certManager with a real cert-manager on the host', () => {
  it('the host ClusterIssuers the selector offers are shown in the virtual cluster, no other', async () => {
    await waitFor(
      'the offered ClusterIssuer in the virtual cluster',
      () => getObject('virtual', ['clusterissuer', offered]),
      90_000,
    );
    expect(await getObject('virtual', ['clusterissuer', withheld])).toBeUndefined();
  }, 120_000);

  it("a Certificate naming an offered ClusterIssuer is issued by the host's cert-manager, into the tenant's Secret", async () => {
    await applyVirtual(
      certificate('web', {
        secretName: 'web-tls',
        dnsNames: ['web.example.com'],
        issuerRef: { name: offered, kind: 'ClusterIssuer', group: 'cert-manager.io' },
        // For the tenant's own tools (a reflector), on the tenant's Secret only.
        secretTemplate: {
          labels: { 'app.example.com/tier': 'web' },
          annotations: { 'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true' },
        },
      }),
    );
    const { secret, cert } = await issued('web-tls');
    expect(secret.metadata.labels?.['app.example.com/tier']).toBe('web');
    expect(secret.metadata.annotations?.['reflector.v1.k8s.emberstack.com/reflection-allowed']).toBe('true');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(cert.subjectAltName).toBe('DNS:web.example.com');
    expect(secret.data?.['tls.key']).toBeTruthy();
    // cert-manager's annotations, naming the tenant's Certificate, not its host copy.
    expect(secret.metadata.annotations?.['cert-manager.io/certificate-name']).toBe('web');
    expect(secret.metadata.annotations?.['vsyncer.dev/filled-from-host']).toBe('true');

    // The host copy names the host Secret the syncer made, which cert-manager filled.
    const copy = await getObject<CertificateObject>('host', ['certificate', hostName('web'), '-n', hostNs]);
    expect(copy?.spec.secretName).toBe(hostName('web-tls'));
    const hostSecret = await getObject<Secret>('host', ['secret', hostName('web-tls'), '-n', hostNs]);
    expect(hostSecret?.metadata.labels?.['vcluster.loft.sh/managed-by']).toBe(vc);
    expect(hostSecret?.data?.['tls.crt']).toBe(secret.data?.['tls.crt']);
    expect(hostSecret?.metadata.labels?.['app.example.com/tier']).toBeUndefined();
    expect(
      hostSecret?.metadata.annotations?.['reflector.v1.k8s.emberstack.com/reflection-allowed'],
    ).toBeUndefined();

    // Its status comes back: Ready, as the tenant's cert-manager tooling expects.
    const ready = await waitFor(
      'the Certificate Ready in the virtual cluster',
      async () => {
        const c = await getObject<CertificateObject>('virtual', ['certificate', 'web', '-n', ns]);
        return c?.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
      },
      60_000,
    );
    expect(ready.message ?? '').not.toContain(hostNs);
  }, 180_000);

  it("the tenant's own CA: none from the host's CA ClusterIssuer (it would sign under the host's CA); its own key pair, an Issuer of the namespace over it, and a Certificate that Issuer signs", async () => {
    // An intermediate under the host admin's CA, its key in the tenant's hands: refused, said why.
    await applyVirtual(
      certificate('host-signed-ca', {
        isCA: true,
        commonName: 'team CA',
        secretName: 'host-signed-ca',
        issuerRef: { name: offered, kind: 'ClusterIssuer' },
      }),
    );
    const refused = await waitForEvents('virtual', ns, 'host-signed-ca', 'SyncError');
    expect(refused.map((e) => e.message).join('\n')).toContain('spec.isCA is true');
    expect(
      await getObject('host', ['certificate', hostName('host-signed-ca'), '-n', hostNs]),
    ).toBeUndefined();
    // The tenant's own CA, as a tenant brings one: its key pair in a Secret.
    const own = opensslCa('ec');
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'team-ca', namespace: ns },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': own.certPem, 'tls.key': own.keyPem },
    });
    // Its copy on the host is the one the host's cert-manager reads for the Issuer below.
    const ca = await issued('team-ca');
    await applyVirtual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'team', namespace: ns },
      spec: { ca: { secretName: 'team-ca' } },
    });
    // No kind: an Issuer of the Certificate's own namespace.
    await applyVirtual(
      certificate('api', {
        secretName: 'api-tls',
        dnsNames: ['api.example.com'],
        issuerRef: { name: 'team' },
      }),
    );
    const leaf = await issued('api-tls');
    expect(leaf.cert.subjectAltName).toBe('DNS:api.example.com');
    expect(leaf.cert.checkIssued(ca.cert)).toBe(true);
    expect(leaf.cert.verify(ca.cert.publicKey)).toBe(true);
    const issuerCopy = await getObject<{ spec: { ca: { secretName: string } } }>('host', [
      'issuer',
      hostName('team'),
      '-n',
      hostNs,
    ]);
    expect(issuerCopy?.spec.ca.secretName).toBe(hostName('team-ca'));
    const apiCopy = await getObject<CertificateObject>('host', [
      'certificate',
      hostName('api'),
      '-n',
      hostNs,
    ]);
    expect(apiCopy?.spec.issuerRef.name).toBe(hostName('team'));
  }, 240_000);

  it('a pod mounting the issued Secret mounts the host Secret cert-manager filled', async () => {
    await issued('web-tls');
    await apply('virtual', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: ns },
      spec: {
        containers: [{ name: 'web', image: 'nginx', volumeMounts: [{ name: 'tls', mountPath: '/tls' }] }],
        volumes: [{ name: 'tls', secret: { secretName: 'web-tls' } }],
      },
    });
    const hostPod = await waitFor(
      'the host pod',
      () => getObject<Pod>('host', ['pod', hostName('web'), '-n', hostNs]),
      60_000,
    );
    expect(hostPod.spec.volumes?.find((v) => v.name === 'tls')?.secret?.secretName).toBe(hostName('web-tls'));
  }, 120_000);

  it('a ClusterIssuer the host does not offer is not named on the host, until it is offered', async () => {
    await applyVirtual(
      certificate('internal', {
        secretName: 'internal-tls',
        dnsNames: ['i.example.com'],
        issuerRef: { name: withheld, kind: 'ClusterIssuer' },
      }),
    );
    // A barrier, not a sleep: the same Certificate naming the offered issuer, made after it, reaches
    // the host. The watch brings the two in order and the queue hands them out in order, so once its
    // copy is there the syncer has had 'internal' in hand too.
    await applyVirtual(
      certificate('internal-sentinel', {
        secretName: 'internal-sentinel-tls',
        dnsNames: ['s.example.com'],
        issuerRef: { name: offered, kind: 'ClusterIssuer' },
      }),
    );
    await waitFor(
      'host copy of internal-sentinel',
      () => getObject('host', ['certificate', hostName('internal-sentinel'), '-n', hostNs]),
      60_000,
    );
    expect(await getObject('host', ['certificate', hostName('internal'), '-n', hostNs])).toBeUndefined();
    expect(await getObject('virtual', ['secret', 'internal-tls', '-n', ns])).toBeUndefined();
    await mustKubectl('host', ['label', 'clusterissuer', withheld, `${OFFER_LABEL}=tenants`, '--overwrite']);
    const { cert } = await issued('internal-tls');
    expect(cert.subjectAltName).toBe('DNS:i.example.com');
  }, 180_000);

  it("an Ingress annotated for cert-manager: the host's ingress-shim issues into its TLS Secret, which the tenant gets", async () => {
    await apply('virtual', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: ns, annotations: { 'cert-manager.io/cluster-issuer': offered } },
      spec: {
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
        rules: [{ host: 'shop.example.com' }],
      },
    });
    const { secret, cert } = await issued('shop-tls');
    expect(cert.subjectAltName).toBe('DNS:shop.example.com');
    expect(secret.metadata.annotations?.['cert-manager.io/certificate-name']).toBe('shop-tls');
    const hostIngress = await getObject<{ spec: { tls: { secretName: string }[] } }>('host', [
      'ingress',
      hostName('shop'),
      '-n',
      hostNs,
    ]);
    expect(hostIngress?.spec.tls[0]?.secretName).toBe(hostName('shop-tls'));
    // ingress-shim's Certificate is the host's, named after the host Secret.
    expect(await getObject('host', ['certificate', hostName('shop-tls'), '-n', hostNs])).toBeDefined();

    // No longer asked for: ingress-shim's Certificate goes with the annotation (ingress-shim itself
    // would leave it, renewing into a Secret that is the tenant's again); the tenant keeps its Secret.
    await mustKubectl('virtual', [
      'annotate',
      'ingress',
      'shop',
      '-n',
      ns,
      'cert-manager.io/cluster-issuer-',
    ]);
    await waitFor(
      "ingress-shim's Certificate removed from the host",
      async () =>
        (await getObject('host', ['certificate', hostName('shop-tls'), '-n', hostNs])) === undefined,
      60_000,
    );
    const kept = await getObject<Secret>('virtual', ['secret', 'shop-tls', '-n', ns]);
    expect(kept?.data?.['tls.crt']).toBe(secret.data?.['tls.crt']);
  }, 180_000);

  it("an Ingress naming the tenant's own Issuer: ingress-shim issues from the tenant's CA into its TLS Secret", async () => {
    // Issuer "team" signs with the tenant's CA (see above).
    const ca = await issued('team-ca');
    await apply('virtual', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'blog', namespace: ns, annotations: { 'cert-manager.io/issuer': 'team' } },
      spec: {
        tls: [{ hosts: ['blog.example.com'], secretName: 'blog-tls' }],
        rules: [{ host: 'blog.example.com' }],
      },
    });
    const { cert } = await issued('blog-tls');
    expect(cert.subjectAltName).toBe('DNS:blog.example.com');
    expect(cert.checkIssued(ca.cert)).toBe(true);
    expect(cert.verify(ca.cert.publicKey)).toBe(true);
    const hostIngress = await getObject<{ metadata: { annotations: Record<string, string> } }>('host', [
      'ingress',
      hostName('blog'),
      '-n',
      hostNs,
    ]);
    expect(hostIngress?.metadata.annotations['cert-manager.io/issuer']).toBe(hostName('team'));
    const shim = await getObject<CertificateObject>('host', [
      'certificate',
      hostName('blog-tls'),
      '-n',
      hostNs,
    ]);
    expect(shim?.spec.issuerRef).toMatchObject({ name: hostName('team'), kind: 'Issuer' });
    // The tenant's Ingress reads as written.
    const tenants = await getObject<{ metadata: { annotations: Record<string, string> } }>('virtual', [
      'ingress',
      'blog',
      '-n',
      ns,
    ]);
    expect(tenants?.metadata.annotations['cert-manager.io/issuer']).toBe('team');
  }, 180_000);

  it("an ACME Issuer naming an account key Secret that does not exist: the key is made in the tenant's namespace, and the host's cert-manager reads its copy, making none of its own", async () => {
    await applyVirtual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'acme', namespace: ns },
      spec: {
        acme: {
          // A CA the syncer trusts by default; this machine reaches no ACME server, so registering fails.
          server: 'https://acme-staging-v02.api.letsencrypt.org/directory',
          privateKeySecretRef: { name: 'acme-account' },
          solvers: [{ http01: { ingress: {} } }],
        },
      },
    });
    const key = await waitFor(
      "the account key in the tenant's namespace",
      async () =>
        (await getObject<Secret>('virtual', ['secret', 'acme-account', '-n', ns]))?.data?.['tls.key'],
      60_000,
    );
    expect(Buffer.from(key, 'base64').toString()).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const copy = await waitFor(
      'the host copy of the Issuer',
      () =>
        getObject<{
          spec: { acme: { privateKeySecretRef: { name: string }; disableAccountKeyGeneration?: boolean } };
        }>('host', ['issuer', hostName('acme'), '-n', hostNs]),
      60_000,
    );
    expect(copy.spec.acme.privateKeySecretRef.name).toBe(hostName('acme-account'));
    expect(copy.spec.acme.disableAccountKeyGeneration).toBe(true);
    // cert-manager has read the key (its next step, registering, fails here), and made no Secret.
    const ready = await waitFor(
      "cert-manager's verdict on the Issuer, in the virtual cluster",
      async () =>
        (
          await getObject<{ status?: { conditions?: { type: string; message?: string }[] } }>('virtual', [
            'issuer',
            'acme',
            '-n',
            ns,
          ])
        )?.status?.conditions?.find((c) => c.type === 'Ready'),
      120_000,
    );
    expect(ready.message ?? '').not.toMatch(/private key|not found/i);
    const hostSecrets = await getObject<List<Secret>>('host', ['secret', '-n', hostNs]);
    expect(
      hostSecrets?.items.map((s) => s.metadata.name).filter((n) => n.startsWith('vsyncer-absent-')),
    ).toEqual([]);
    expect(
      (await getObject<Secret>('host', ['secret', hostName('acme-account'), '-n', hostNs]))?.data?.[
        'tls.key'
      ],
    ).toBe(key);
  }, 240_000);

  it('a deleted Certificate takes its host copy and host Secret with it; the tenant keeps the Secret it was given', async () => {
    const before = await issued('api-tls');
    await mustKubectl('virtual', ['delete', 'certificate', 'api', '-n', ns]);
    await waitFor(
      'the host Certificate and Secret gone',
      async () =>
        (await getObject('host', ['certificate', hostName('api'), '-n', hostNs])) === undefined &&
        (await getObject('host', ['secret', hostName('api-tls'), '-n', hostNs])) === undefined,
      60_000,
    );
    const after = await getObject<Secret>('virtual', ['secret', 'api-tls', '-n', ns]);
    expect(after?.data?.['tls.crt']).toBe(before.secret.data?.['tls.crt']);
  }, 120_000);
});
