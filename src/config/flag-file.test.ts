import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslCa } from '../testing/openssl-ca.ts';
import { tempDirs } from '../testing/temp-dirs.ts';
import { buildConfig } from './config.ts';
import { checkServingFiles, readFlagFile } from './flag-file.ts';
import { configErrorOf as errorOf } from '../testing/config-error-of.ts';

const dir = tempDirs()('vsyncer-flag-file-');
const a = opensslCa('ec');
const b = opensslCa('rsa');
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const certA = file('a.crt', a.certPem);
const keyA = file('a.key', a.keyPem);
const keyB = file('b.key', b.keyPem);
const ca = file('ca.crt', `subject=CN=b\n${b.certPem}${a.certPem}`);
const notPem = file('not.pem', 'this is no PEM file\n');
const badCa = file(
  'bad-ca.crt',
  `${a.certPem}-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`,
);

const named = (flag: string, path: string) => ({ label: `--${flag}`, path });

describe('readFlagFile', () => {
  it('reads the file, or throws a ConfigError naming the flag and the file', () => {
    expect(readFlagFile('kubelet-tls-cert-file', certA).toString()).toBe(a.certPem);
    const err = errorOf(() => readFlagFile('kubelet-tls-cert-file', '/nonexistent'));
    expect(err.field).toBe('--kubelet-tls-cert-file');
    expect(err.message).toBe('--kubelet-tls-cert-file: cannot read /nonexistent: ENOENT');
  });
});

describe('checkServingFiles', () => {
  const good = {
    cert: named('kubelet-tls-cert-file', certA),
    key: named('kubelet-tls-key-file', keyA),
    ca: named('kubelet-client-ca-file', ca),
  };

  it('takes a certificate, its key and a CA bundle', () => {
    expect(() => checkServingFiles(good)).not.toThrow();
    expect(() => checkServingFiles({ cert: good.cert, key: good.key })).not.toThrow();
    // A chain, after the subject and issuer lines openssl writes.
    const chain = file('chain.crt', `subject=CN=a\nissuer=CN=a\n${a.certPem}${b.certPem}`);
    expect(() => checkServingFiles({ ...good, cert: named('kubelet-tls-cert-file', chain) })).not.toThrow();
  });

  it.each([
    [
      'a missing certificate',
      { cert: named('kubelet-tls-cert-file', '/nonexistent') },
      '--kubelet-tls-cert-file',
      'cannot read /nonexistent: ENOENT',
    ],
    [
      'a certificate that is no PEM',
      { cert: named('kubelet-tls-cert-file', notPem) },
      '--kubelet-tls-cert-file',
      `${notPem} is not a PEM certificate (PEM routines: no start line)`,
    ],
    [
      'a key given as the certificate',
      { cert: named('kubelet-tls-cert-file', keyA) },
      '--kubelet-tls-cert-file',
      'is not a PEM certificate',
    ],
    [
      'a key that is no PEM',
      { key: named('kubelet-tls-key-file', notPem) },
      '--kubelet-tls-key-file',
      `${notPem} is not a PEM private key`,
    ],
    [
      'the key of another certificate',
      { key: named('kubelet-tls-key-file', keyB) },
      '--kubelet-tls-key-file',
      `${keyB} is not the key of the certificate in ${certA}`,
    ],
    [
      'a CA file without a certificate',
      { ca: named('kubelet-client-ca-file', notPem) },
      '--kubelet-client-ca-file',
      `${notPem} holds no PEM certificate`,
    ],
    [
      'a CA certificate that does not parse',
      { ca: named('kubelet-client-ca-file', badCa) },
      '--kubelet-client-ca-file',
      `certificate 2 of ${badCa} does not parse`,
    ],
  ])('refuses %s, naming the flag and the file', (_what, change, field, message) => {
    const err = errorOf(() => checkServingFiles({ ...good, ...change }));
    expect(err.field).toBe(field);
    expect(err.message).toContain(message);
  });
});

describe('buildConfig: the serving files', () => {
  const required = { name: 'vc1', hostNamespace: 'team-a', virtualKubeconfig: '/k' };
  const kubelet = {
    ...required,
    kubeletBindAddress: ':10250',
    kubeletTlsCertFile: certA,
    kubeletTlsKeyFile: keyA,
    kubeletClientCaFile: ca,
  };
  const reading = { readServingFiles: true };

  it('reads them only when asked to, and only for a server that is on', () => {
    const missing = { ...kubelet, kubeletTlsCertFile: '/nonexistent' };
    expect(buildConfig({}, missing).kubeletTlsCertFile).toBe('/nonexistent');
    expect(buildConfig({}, kubelet, reading).kubeletTlsCertFile).toBe(certA);
    expect(buildConfig({}, { ...required, kubeletTlsCertFile: '/nonexistent' }, reading).name).toBe('vc1');
  });

  it('names the flag, or the config field, and the file', () => {
    const flag = errorOf(() => buildConfig({}, { ...kubelet, kubeletTlsCertFile: '/nonexistent' }, reading));
    expect(flag.message).toBe('--kubelet-tls-cert-file: cannot read /nonexistent: ENOENT');
    const field = errorOf(() =>
      buildConfig({ kubeletTlsCertFile: notPem }, { ...kubelet, kubeletTlsCertFile: undefined }, reading),
    );
    expect(field.field).toBe("config field 'kubeletTlsCertFile'");
    expect(field.message).toContain(`${notPem} is not a PEM certificate`);
  });

  it('checks the certificate and key of the metrics API without the kubelet API, and no CA then', () => {
    const proxy = {
      ...required,
      metricsServerProxy: 'true',
      kubeletTlsCertFile: certA,
      kubeletClientCaFile: notPem,
    };
    const err = errorOf(() => buildConfig({}, { ...proxy, kubeletTlsKeyFile: keyB }, reading));
    expect(err.field).toBe('--kubelet-tls-key-file');
    expect(buildConfig({}, { ...proxy, kubeletTlsKeyFile: keyA }, reading).metricsServerProxy).toBe(true);
  });
});
