import { jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '../testing/temp-dirs.ts';
import { exportedKubeconfig } from '../kubeconfig-export/build.ts';
import { KubeconfigError, loadKubeConfig } from './kubeconfig.ts';
import { userWithTokenFile } from './token-file-auth.ts';

const dir = tempDirs()('vsyncer-kc-');
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const valid = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: admin, user: {token: abc}}]
contexts: [{name: ctx, context: {cluster: c, user: admin}}]
current-context: ctx
`;

describe('loadKubeConfig', () => {
  it('loads a kubeconfig and renames its user per role, so two clusters never share cached credentials', () => {
    const kc = loadKubeConfig(write('ok.yaml', valid), 'host');
    expect(kc.getCurrentUser()?.name).toBe('vsyncer-host');
    expect(kc.getCurrentUser()?.token).toBe('abc');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(loadKubeConfig(write('ok2.yaml', valid), 'virtual').getCurrentUser()?.name).toBe(
      'vsyncer-virtual',
    );
  });

  /** The Authorization header the kubeconfig's user sends. */
  const authorization = async (path: string) => {
    const opts: { headers: Record<string, string> } = { headers: {} };
    await loadKubeConfig(path, 'host').applyToHTTPSOptions(opts);
    return opts.headers.Authorization;
  };

  it("reads a token file as kubectl does (client-go's tokenFile, or token-file; relative to the kubeconfig), the file winning over a token", async () => {
    write('sa.token', 'from-file');
    for (const user of [
      '{tokenFile: sa.token}',
      `{token-file: ${join(dir, 'sa.token')}}`,
      '{token: old, tokenFile: sa.token}',
    ])
      expect(await authorization(write('tf.yaml', valid.replace('{token: abc}', user)))).toBe(
        'Bearer from-file',
      );
  });

  it('trims the token file, as client-go does (`kubectl create token x > file` ends in a line break)', async () => {
    write('nl.token', 'from-file\n');
    expect(
      await authorization(write('nl.yaml', valid.replace('{token: abc}', '{tokenFile: nl.token}'))),
    ).toBe('Bearer from-file');
  });

  it("names the user's token file for the kubeconfig export, which reads it", () => {
    write('ex.token', 'from-file');
    const kc = loadKubeConfig(
      write('ex.yaml', valid.replace('{token: abc}', '{token-file: ex.token}')),
      'virtual',
    );
    const user = userWithTokenFile(kc.getCurrentUser()!);
    expect(user.tokenFile).toBe(join(dir, 'ex.token'));
    const exported = exportedKubeconfig({
      vcName: 'vc1',
      server: 'https://localhost:8443',
      cluster: kc.getCurrentCluster()!,
      user,
      baseDir: dir,
      readFile: (path) => readFileSync(path),
    });
    expect(Buffer.from(exported.token!, 'base64').toString()).toBe('from-file');
  });

  it('reads the token file again once it may have been rotated, as client-go does', async () => {
    const path = write('rot.yaml', valid.replace('{token: abc}', '{tokenFile: rot.token}'));
    write('rot.token', 'first');
    const kc = loadKubeConfig(path, 'host');
    const opts = () => ({ headers: {} as Record<string, string> });
    const first = opts();
    await kc.applyToHTTPSOptions(first);
    expect(first.headers.Authorization).toBe('Bearer first');
    write('rot.token', 'second');
    jest.useFakeTimers({
      now: Date.now() + 61_000,
      doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'],
    });
    try {
      const later = opts();
      await kc.applyToHTTPSOptions(later);
      expect(later.headers.Authorization).toBe('Bearer second');
    } finally {
      jest.useRealTimers();
    }
  });

  it.each([
    ['a missing file', () => join(dir, 'missing.yaml'), 'file does not exist'],
    ['invalid YAML', () => write('bad.yaml', 'clusters: [unclosed'), 'not a valid kubeconfig'],
    [
      'no current context',
      () => write('noctx.yaml', valid.replace('current-context: ctx', 'current-context: other')),
      'names no cluster',
    ],
    [
      'a user without credentials (every request would be anonymous)',
      () => write('anon.yaml', valid.replace('{token: abc}', '{}')),
      'user "admin" has no credentials the syncer can use',
    ],
    [
      'a server that is not a URL',
      () => write('nourl.yaml', valid.replace('"https://127.0.0.1:6443"', 'not a url')),
      'is not a URL',
    ],
  ])('names the file for %s', (_what, path, message) => {
    const file = path();
    expect(() => loadKubeConfig(file, 'virtual')).toThrow(KubeconfigError);
    expect(() => loadKubeConfig(file, 'virtual')).toThrow(`--virtual-kubeconfig ${file}`);
    expect(() => loadKubeConfig(file, 'virtual')).toThrow(message);
  });
});
