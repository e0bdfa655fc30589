import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '../testing/temp-dirs.ts';
import { KubeconfigError, loadKubeConfig } from './kubeconfig.ts';

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

  it.each([
    ['a missing file', () => join(dir, 'missing.yaml'), 'file does not exist'],
    ['invalid YAML', () => write('bad.yaml', 'clusters: [unclosed'), 'not a valid kubeconfig'],
    [
      'no current context',
      () => write('noctx.yaml', valid.replace('current-context: ctx', 'current-context: other')),
      'names no cluster',
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
