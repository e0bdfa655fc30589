import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '../testing/temp-dirs.ts';
import { firstNameserver, forwardAddress, invalidFallbackHostDns, resolveHostDns } from './host-dns.ts';

const tempDir = tempDirs();

describe('--fallback-host-dns', () => {
  it('takes auto, an IP or IP:port, and gives CoreDNS an IPv6 address in brackets with its port', () => {
    expect(invalidFallbackHostDns('')).toBeUndefined();
    expect(invalidFallbackHostDns('auto')).toBeUndefined();
    expect(forwardAddress('10.43.0.10')).toEqual({ to: '10.43.0.10' });
    expect(forwardAddress('10.43.0.10:5353')).toEqual({ to: '10.43.0.10:5353' });
    expect(forwardAddress('fd00::a')).toEqual({ to: '[fd00::a]:53' });
    expect(forwardAddress('[fd00::a]:5353')).toEqual({ to: '[fd00::a]:5353' });
  });

  it.each([
    'kube-dns.kube-system',
    '10.43.0.256',
    '10.43.0.10:0',
    '10.43.0.10:70000',
    '10.43.0.10 8.8.8.8',
    '[fd00::a]',
    'fd00:::a',
    'tls://1.1.1.1',
    '/etc/resolv.conf',
  ])('refuses %j, naming what it takes', (value) => {
    expect(invalidFallbackHostDns(value)).toBe(
      `must be auto, an IP address or IP:port (IPv6 as [address]:port), got ${JSON.stringify(value)}`,
    );
  });

  it('auto: the first nameserver of resolv.conf', () => {
    expect(
      firstNameserver(
        'search a.svc.cluster.local\n# nameserver 1.1.1.1\nnameserver 10.96.0.10\nnameserver 8.8.8.8\n',
      ),
    ).toBe('10.96.0.10');
    expect(firstNameserver('search x\n')).toBeUndefined();
    const dir = tempDir('vsyncer-resolv-');
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(resolveHostDns('auto', file('pod', 'nameserver 10.96.0.10\noptions ndots:5\n'))).toBe(
      '10.96.0.10',
    );
    expect(resolveHostDns('auto', file('v6', 'nameserver fd00::a\n'))).toBe('[fd00::a]:53');
    expect(resolveHostDns('10.0.0.53:5353', '/nonexistent')).toBe('10.0.0.53:5353');
    expect(resolveHostDns('', '/nonexistent')).toBeUndefined();
    expect(() => resolveHostDns('auto', file('none', 'search x\n'))).toThrow(
      `${join(dir, 'none')} names no nameserver for the host's DNS`,
    );
    expect(() => resolveHostDns('auto', file('resolved', 'nameserver 127.0.0.53\n'))).toThrow(
      'is a loopback address, which CoreDNS cannot reach',
    );
    expect(() => resolveHostDns('auto', file('scoped', 'nameserver fe80::1%eth0\n'))).toThrow(
      'is not an IP address',
    );
    expect(() => resolveHostDns('auto', join(dir, 'missing'))).toThrow(
      `cannot read ${join(dir, 'missing')} for the host's DNS`,
    );
  });
});
