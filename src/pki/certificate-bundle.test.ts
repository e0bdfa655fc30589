import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslCa } from '../testing/openssl-ca.ts';
import { tempDirs } from '../testing/temp-dirs.ts';
import { parseCertificateBundle, readCertificateBundle, withCertificates } from './certificate-bundle.ts';

const tempDir = tempDirs();
const rsa = opensslCa('rsa');
const ec = opensslCa('ec');

describe('parseCertificateBundle', () => {
  it('takes every CA certificate of a bundle, dropping the text between them', () => {
    const text = `subject=O=Tenant Co\n${rsa.certPem}\n# the second\n${ec.certPem}`;
    expect(parseCertificateBundle(text)).toEqual([rsa.certPem, ec.certPem]);
  });

  it.each([
    ['a private key', () => rsa.certPem + rsa.keyPem, 'holds a PRIVATE KEY block'],
    ['no certificate', () => 'nothing here\n', 'holds no certificate'],
    ['an empty file', () => '', 'holds no certificate'],
    [
      'an unterminated block',
      () => rsa.certPem + '-----BEGIN CERTIFICATE-----\nMIIB\n',
      'unterminated or malformed',
    ],
    [
      'a certificate that does not parse',
      () => '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
      'certificate 1 does not parse',
    ],
    [
      'a certificate of no CA',
      () => opensslCa('ec', ['basicConstraints=critical,CA:FALSE']).certPem,
      'is not a CA certificate',
    ],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseCertificateBundle(text())).toThrow(message);
  });
});

describe('readCertificateBundle', () => {
  it('names the file in its errors', () => {
    const dir = tempDir('vsyncer-bundle-');
    const path = join(dir, 'ca.crt');
    writeFileSync(path, rsa.keyPem);
    expect(() => readCertificateBundle(path)).toThrow(`${path} holds a PRIVATE KEY block`);
    expect(() => readCertificateBundle(join(dir, 'missing.crt'))).toThrow(
      `cannot read ${join(dir, 'missing.crt')}: ENOENT`,
    );
  });
});

describe('withCertificates', () => {
  it('adds each certificate once, after the bundle as it was', () => {
    const once = withCertificates(rsa.certPem.trimEnd(), [ec.certPem]);
    expect(once).toBe(`${rsa.certPem.trimEnd()}\n${ec.certPem}`);
    expect(withCertificates(once, [ec.certPem])).toBe(once);
    expect(withCertificates(rsa.certPem, [])).toBe(rsa.certPem);
  });
});
