import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { EXIT_USAGE, runCli } from '../cli/program.ts';
import { tempDirs } from '../testing/temp-dirs.ts';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(
    argv,
    { out: (t) => (out += t), err: (t) => (err += t) },
    { start: async () => 0 },
  );
  return { code, out, err };
}

const dir = tempDirs()('vsyncer-issue-cert-');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3',
    '-subj',
    '/CN=ca',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.crt'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ],
  { stdio: 'ignore' },
);
const ca = ['--ca-cert', join(dir, 'ca.crt'), '--ca-key', join(dir, 'ca.key')];
const out = (name: string) => ['--cert-out', join(dir, `${name}.crt`), '--key-out', join(dir, `${name}.key`)];

describe('vsyncer issue-cert', () => {
  it('writes a certificate for the names and IPs given (repeated or comma-separated) and its key, private', async () => {
    const r = await run([
      'issue-cert',
      ...ca,
      '--common-name',
      'kube-apiserver',
      '--dns-name',
      'localhost,kubernetes',
      '--dns-name',
      'vc1.team-a.svc',
      '--ip-address',
      '127.0.0.1',
      '--ip-address',
      '10.96.7.8',
      ...out('serving'),
    ]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(
      'issued kube-apiserver for localhost, kubernetes, vc1.team-a.svc, 127.0.0.1, 10.96.7.8\n',
    );
    const cert = new X509Certificate(readFileSync(join(dir, 'serving.crt')));
    expect(cert.verify(new X509Certificate(readFileSync(join(dir, 'ca.crt'))).publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(
      'DNS:localhost, DNS:kubernetes, DNS:vc1.team-a.svc, IP Address:127.0.0.1, IP Address:10.96.7.8',
    );
    expect(statSync(join(dir, 'serving.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses bad input with exit 2 and a message naming it, writing nothing', async () => {
    // An environment variable the kubelet did not expand stays as text: not an IP.
    const unexpanded = await run([
      'issue-cert',
      ...ca,
      '--common-name',
      'x',
      '--ip-address',
      '$(VC1_SERVICE_HOST)',
      ...out('bad1'),
    ]);
    expect(unexpanded).toMatchObject({
      code: EXIT_USAGE,
      err: 'error: certificate: "$(VC1_SERVICE_HOST)" is not an IP address\n',
    });
    const missing = await run([
      'issue-cert',
      '--ca-cert',
      join(dir, 'nope.crt'),
      '--ca-key',
      join(dir, 'ca.key'),
      '--common-name',
      'x',
      ...out('bad2'),
    ]);
    expect(missing.code).toBe(EXIT_USAGE);
    expect(missing.err).toMatch(/^error: --ca-cert: cannot read .*nope\.crt/);
    const days = await run(['issue-cert', ...ca, '--common-name', 'x', '--valid-days', '0', ...out('bad3')]);
    expect(days).toMatchObject({
      code: EXIT_USAGE,
      err: 'error: --valid-days: want a whole number of days, got 0\n',
    });
    expect(() => statSync(join(dir, 'bad1.crt'))).toThrow();
  });
});
