import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  /** Serving certificate of a kubelet endpoint on loopback (kwok's on the host, the syncer's on the virtual side). */
  kubeletServingCert: string;
  kubeletServingKey: string;
  /** The API server's client certificate toward kubelets. */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /**
   * The client certificate the API server's aggregator presents to aggregated API servers (its
   * front proxy), of the same CA: it is the only name `--requestheader-allowed-names` lets through.
   */
  frontProxyClientCert: string;
  frontProxyClientKey: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr =
      (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0] ?? (err as Error).message;
    throw new Error(`openssl ${args[0]} failed: ${stderr}`, { cause: err });
  }
}

/**
 * A private CA, an API server serving certificate for loopback and the in-cluster names, an admin
 * client certificate (group system:masters, user name of our choosing), and the service-account
 * signing key pair. Made once per cluster directory with openssl.
 */
export function makePki(dir: string, adminUser: string): Pki {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => join(dir, f);
  const pki: Pki = {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('apiserver.crt'),
    serverKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    kubeletServingCert: p('kubelet-serving.crt'),
    kubeletServingKey: p('kubelet-serving.key'),
    kubeletClientCert: p('apiserver-kubelet-client.crt'),
    kubeletClientKey: p('apiserver-kubelet-client.key'),
    frontProxyClientCert: p('front-proxy-client.crt'),
    frontProxyClientKey: p('front-proxy-client.key'),
  };
  if (existsSync(pki.frontProxyClientCert)) return pki;
  // A state dir made before the kubelet or front-proxy certificates existed keeps its CA and gets
  // only those.
  const fresh = !existsSync(pki.saPub);
  if (fresh)
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        pki.caKey,
        '-out',
        pki.caCert,
        '-days',
        '3650',
        '-subj',
        '/CN=vsyncer-test-ca',
      ],
      dir,
    );
  // Signs a key pair with the CA: the subject and the x509 extensions (SANs, key usage) vary.
  const issue = (base: string, subject: string, extensions: string, key: string, cert: string) => {
    writeFileSync(p(`${base}.ext`), extensions);
    openssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', p(`${base}.csr`), '-subj', subject],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        p(`${base}.csr`),
        '-CA',
        pki.caCert,
        '-CAkey',
        pki.caKey,
        '-CAcreateserial',
        '-out',
        cert,
        '-days',
        '3650',
        '-extfile',
        p(`${base}.ext`),
      ],
      dir,
    );
  };
  if (fresh) {
    issue(
      'apiserver',
      '/CN=kube-apiserver',
      'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n',
      pki.serverKey,
      pki.serverCert,
    );
    issue(
      'admin',
      `/O=system:masters/CN=${adminUser}`,
      'extendedKeyUsage=clientAuth\n',
      pki.adminKey,
      pki.adminCert,
    );
    openssl(['genrsa', '-out', pki.saKey, '2048'], dir);
    openssl(['rsa', '-in', pki.saKey, '-pubout', '-out', pki.saPub], dir);
  }
  issue(
    'front-proxy-client',
    '/CN=front-proxy-client',
    'extendedKeyUsage=clientAuth\n',
    pki.frontProxyClientKey,
    pki.frontProxyClientCert,
  );
  if (existsSync(pki.kubeletClientCert)) return pki;
  issue(
    'kubelet-serving',
    '/CN=kubelet-endpoint',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    pki.kubeletServingKey,
    pki.kubeletServingCert,
  );
  issue(
    'apiserver-kubelet-client',
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
    'extendedKeyUsage=clientAuth\n',
    pki.kubeletClientKey,
    pki.kubeletClientCert,
  );
  return pki;
}
