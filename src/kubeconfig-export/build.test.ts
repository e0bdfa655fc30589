import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { tempDirs } from '../testing/temp-dirs.ts';
import { exportedKubeconfig, exportedToken, KubeconfigExportError, type ExportInput } from './build.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nkey\n-----END EC PRIVATE KEY-----\n';
const SERVER = 'https://localhost:8443';

const noFiles = (path: string): Buffer => {
  throw Object.assign(new Error(`no such file ${path}`), { code: 'ENOENT' });
};

function input(over: Partial<ExportInput> = {}): ExportInput {
  return {
    vcName: 'vc1',
    server: SERVER,
    cluster: { caData: b64(CA) },
    user: { certData: b64(CERT), keyData: b64(KEY) },
    baseDir: '/data/kubeconfig',
    readFile: noFiles,
    ...over,
  };
}

/** The kubeconfig inside the data, parsed. */
const configOf = (data: { config: string }) =>
  parse(Buffer.from(data.config, 'base64').toString()) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
    users: { name: string; user: Record<string, unknown> }[];
    contexts: { name: string; context: { cluster: string; user: string } }[];
    'current-context': string;
  };
const decoded = (data: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v ?? '', 'base64').toString()]));

const tempDir = tempDirs();

describe('the exported kubeconfig (--kubeconfig-secret)', () => {
  it("k3s's inline credentials: the same CA, certificate and key, the server replaced, and vCluster's keys beside config", () => {
    const data = exportedKubeconfig(input());
    expect(configOf(data)).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'vc1', cluster: { server: SERVER, 'certificate-authority-data': b64(CA) } }],
      users: [{ name: 'vc1', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } }],
      contexts: [{ name: 'vc1', context: { cluster: 'vc1', user: 'vc1' } }],
      'current-context': 'vc1',
    });
    const { config: _config, ...pem } = decoded({ ...data });
    // vCluster's keys, `token` empty beside a client certificate.
    expect(pem).toEqual({
      'certificate-authority': CA,
      'client-certificate': CERT,
      'client-key': KEY,
      token: '',
    });
  });

  it('an additional Secret may name its own context (vCluster additionalSecrets[].context), which names its cluster and user too', () => {
    const config = configOf(exportedKubeconfig(input({ context: 'tenant-admin' })));
    // As vCluster exchanges them: two exported kubeconfigs of one virtual cluster name, merged, keep
    // each context's own server and credentials.
    expect(config.contexts).toEqual([
      { name: 'tenant-admin', context: { cluster: 'tenant-admin', user: 'tenant-admin' } },
    ]);
    expect(config.clusters.map((c) => c.name)).toEqual(['tenant-admin']);
    expect(config.users.map((u) => u.name)).toEqual(['tenant-admin']);
    expect(config['current-context']).toBe('tenant-admin');
  });

  it("skips verifying the server's certificate and carries no CA when insecure (vCluster's exportKubeConfig.insecure)", () => {
    const config = configOf(exportedKubeconfig(input({ insecure: true })));
    expect(config.clusters[0]!.cluster).toStrictEqual({ server: SERVER, 'insecure-skip-tls-verify': true });
    // The client credentials are unchanged.
    expect(configOf(exportedKubeconfig(input({ insecure: true }))).users).toEqual(
      configOf(exportedKubeconfig(input())).users,
    );
  });

  it('is the same for the same input, so a restart finds nothing to write', () => {
    expect(exportedKubeconfig(input())).toEqual(exportedKubeconfig(input()));
  });

  it('reads credential files and inlines them (relative paths from the kubeconfig’s directory)', () => {
    const files: Record<string, string> = {
      '/etc/pki/ca.crt': CA,
      '/data/kubeconfig/client.crt': CERT,
      '/data/kubeconfig/keys/client.key': KEY,
    };
    const read: string[] = [];
    const data = exportedKubeconfig(
      input({
        cluster: { caFile: '/etc/pki/ca.crt' },
        user: { certFile: 'client.crt', keyFile: 'keys/client.key' },
        readFile: (path) => {
          read.push(path);
          if (!(path in files)) return noFiles(path);
          return Buffer.from(files[path]!);
        },
      }),
    );
    expect(read.sort()).toEqual(Object.keys(files).sort());
    expect(configOf(data).users[0]!.user).toEqual({
      'client-certificate-data': b64(CERT),
      'client-key-data': b64(KEY),
    });
    expect(decoded({ ...data })['certificate-authority']).toBe(CA);
  });

  it('a token user: the token, no certificate keys; insecure-skip-tls-verify and tls-server-name are kept', () => {
    const data = exportedKubeconfig(
      input({ cluster: { skipTLSVerify: true, tlsServerName: 'k3s.local' }, user: { token: 'abc' } }),
    );
    expect(configOf(data).clusters[0]!.cluster).toEqual({
      server: SERVER,
      'insecure-skip-tls-verify': true,
      'tls-server-name': 'k3s.local',
    });
    expect(configOf(data).users[0]!.user).toEqual({ token: 'abc' });
    expect(Object.keys(data).sort()).toEqual(['config', 'token']);
    expect(decoded({ ...data }).token).toBe('abc');
  });

  it("a service account's token (vCluster's exportKubeConfig.serviceAccount) replaces the syncer's own credentials, which are not exported at all", () => {
    const data = exportedKubeconfig(input({ serviceAccountToken: 'sa.token.jwt' }));
    expect(configOf(data).users).toEqual([{ name: 'vc1', user: { token: 'sa.token.jwt' } }]);
    expect(Object.keys(data).sort()).toEqual(['certificate-authority', 'config', 'token']);
    expect(decoded({ ...data }).token).toBe('sa.token.jwt');
    expect(exportedToken({ data })).toBe('sa.token.jwt');
    // The syncer's own export carries no token to keep; anything else is not read as one.
    expect(exportedToken({ data: exportedKubeconfig(input()) })).toBeUndefined();
    expect(exportedToken({ data: { config: b64('not: [a kubeconfig') } })).toBeUndefined();
    expect(exportedToken(undefined)).toBeUndefined();
  });

  it('refuses what a tenant could not use: no credential (an exec plugin), half a key pair, an unreadable file', () => {
    expect(() => exportedKubeconfig(input({ user: {} }))).toThrow(
      new KubeconfigExportError(
        'the user of --virtual-kubeconfig has no client certificate or token to export (exec plugins and auth providers cannot be exported)',
      ),
    );
    expect(() => exportedKubeconfig(input({ user: { certData: b64(CERT) } }))).toThrow(/without its key/);
    expect(() => exportedKubeconfig(input({ user: { certFile: 'c.crt', keyFile: 'c.key' } }))).toThrow(
      'cannot read the client certificate of --virtual-kubeconfig (/data/kubeconfig/c.crt): ENOENT',
    );
  });

  it("takes what client-node parses from the syncer's kubeconfig, file paths included", () => {
    const dir = tempDir('vsyncer-export-');
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki/ca.crt'), CA);
    writeFileSync(join(dir, 'pki/client.crt'), CERT);
    writeFileSync(join(dir, 'pki/client.key'), KEY);
    const path = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters: [{name: k3s, cluster: {server: "https://127.0.0.1:6443", certificate-authority: pki/ca.crt}}]
users: [{name: admin, user: {client-certificate: pki/client.crt, client-key: ${join(dir, 'pki/client.key')}}}]
contexts: [{name: default, context: {cluster: k3s, user: admin}}]
current-context: default
`,
    );
    const kc = loadKubeConfig(path, 'virtual');
    const data = exportedKubeconfig({
      vcName: 'vc1',
      server: SERVER,
      cluster: kc.getCurrentCluster()!,
      user: kc.getCurrentUser()!,
      baseDir: dir,
      readFile: (p) => readFileSync(p),
    });
    expect(decoded({ ...data })).toMatchObject({
      'certificate-authority': CA,
      'client-certificate': CERT,
      'client-key': KEY,
    });
    expect(configOf(data).clusters[0]!.cluster.server).toBe(SERVER);
  });
});
