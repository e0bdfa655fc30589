import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateAuthority } from '../pki/certificate.ts';
import { tempDirs } from './temp-dirs.ts';

const tempDir = tempDirs();

/** A CA's extensions, as Helm's genCA or kubeadm write them. */
const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

/**
 * A self-signed certificate and its key made by openssl: a CA (RSA, or EC) as Helm's genCA or
 * kubeadm would make one, or, given other extensions, something that is not a CA.
 */
export function opensslCa(keyType: 'rsa' | 'ec', extensions = CA_EXTENSIONS): CertificateAuthority {
  const dir = tempDir('vsyncer-ca-');
  const keyArgs =
    keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-days',
      '10',
      '-subj',
      '/O=Tenant Co/CN=test-ca',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.crt'),
      ...extensions.flatMap((ext) => ['-addext', ext]),
    ],
    { stdio: 'ignore' },
  );
  return {
    certPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'ca.key'), 'utf8'),
  };
}
