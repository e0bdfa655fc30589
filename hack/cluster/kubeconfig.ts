import { readFileSync, writeFileSync } from 'node:fs';
import type { Pki } from './certs.ts';

const b64 = (file: string) => readFileSync(file).toString('base64');

/** Writes an admin kubeconfig with embedded credentials; user and context are named after the cluster. */
export function writeKubeconfig(path: string, cluster: string, server: string, pki: Pki): void {
  const user = `${cluster}-admin`;
  const text = `apiVersion: v1
kind: Config
clusters:
- name: ${cluster}
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(pki.caCert)}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(pki.adminCert)}
    client-key-data: ${b64(pki.adminKey)}
contexts:
- name: ${user}
  context:
    cluster: ${cluster}
    user: ${user}
current-context: ${user}
`;
  writeFileSync(path, text, { mode: 0o600 });
}
