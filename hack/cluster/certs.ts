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
  };
  if (existsSync(pki.saPub)) return pki;
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
  return pki;
}
