import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '../testing/temp-dirs.ts';
import { opensslCa } from '../testing/openssl-ca.ts';
import { issueCertificate } from './certificate.ts';
import { objectIdentifier, time, unsignedInteger } from './der.ts';

const tempDir = tempDirs();

const request = {
  commonName: 'kube-apiserver',
  dnsNames: ['localhost', 'kubernetes.default.svc'],
  ipAddresses: ['127.0.0.1', '10.96.12.34', 'fd00:10:96::1a'],
  usages: ['serverAuth' as const],
  validDays: 365,
};

describe('issueCertificate', () => {
  it.each(['rsa', 'ec'] as const)(
    'issues a certificate a %s CA verifies, for the names and IPs asked',
    (type) => {
      const ca = opensslCa(type);
      const issued = issueCertificate(request, ca);
      const cert = new X509Certificate(issued.certPem);
      const caCert = new X509Certificate(ca.certPem);
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.issuer).toBe(caCert.subject);
      expect(cert.subject).toBe('CN=kube-apiserver');
      expect(cert.ca).toBe(false);
      for (const host of request.dnsNames) expect(cert.checkHost(host)).toBe(host);
      expect(cert.checkHost('example.com')).toBeUndefined();
      expect(cert.checkIP('10.96.12.34')).toBe('10.96.12.34');
      expect(cert.checkIP('fd00:10:96::1a')).toBe('fd00:10:96::1a');
      expect(cert.checkIP('10.96.12.35')).toBeUndefined();
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
      expect(cert.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
    },
  );

  it('is accepted by openssl as a server certificate of its CA', () => {
    const ca = opensslCa('rsa');
    const issued = issueCertificate(request, ca);
    const dir = tempDir('vsyncer-verify-');
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    writeFileSync(join(dir, 'cert.crt'), issued.certPem);
    const out = execFileSync(
      'openssl',
      [
        'verify',
        '-CAfile',
        join(dir, 'ca.crt'),
        '-purpose',
        'sslserver',
        '-verify_ip',
        '10.96.12.34',
        join(dir, 'cert.crt'),
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe(`${join(dir, 'cert.crt')}: OK`);
  });

  it('is valid from an hour before now for the days asked', () => {
    const now = new Date('2030-06-01T12:00:00Z');
    const cert = new X509Certificate(
      issueCertificate({ ...request, now, validDays: 30 }, opensslCa('ec')).certPem,
    );
    expect(new Date(cert.validFrom).toISOString()).toBe('2030-06-01T11:00:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2030-07-01T12:00:00.000Z');
  });

  it('writes an IPv4-mapped IPv6 address as the sixteen bytes it stands for', () => {
    const issued = issueCertificate({ ...request, ipAddresses: ['::ffff:10.1.2.3'] }, opensslCa('ec'));
    const cert = new X509Certificate(issued.certPem);
    expect(cert.subjectAltName).toContain('IP Address:0:0:0:0:0:FFFF:A01:203');
  });

  it('refuses what it cannot issue, naming the problem', () => {
    const ca = opensslCa('ec');
    expect(() => issueCertificate({ ...request, ipAddresses: ['10.96.0.300'] }, ca)).toThrow(
      /"10.96.0.300" is not an IP/,
    );
    expect(() => issueCertificate({ ...request, commonName: '' }, ca)).toThrow(/common name/);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => issueCertificate(request, { ...ca, keyPem: other })).toThrow(/does not belong/);
    const leaf = issueCertificate(request, ca);
    expect(() => issueCertificate(request, leaf)).toThrow(/not a CA/);
    expect(createPublicKey(ca.certPem).asymmetricKeyType).toBe('ec');
  });
});

describe('DER', () => {
  it('encodes object identifiers, integers and times as X.509 expects', () => {
    expect(objectIdentifier('2.5.29.17').toString('hex')).toBe('0603551d11');
    expect(objectIdentifier('1.2.840.113549.1.1.11').toString('hex')).toBe('06092a864886f70d01010b');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(unsignedInteger(Buffer.from([0, 0, 5])).toString('hex')).toBe('020105');
    expect(time(new Date('2049-12-31T23:59:59Z')).toString('ascii').slice(2)).toBe('491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
  });
});
