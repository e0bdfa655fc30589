import { cidrContainsCidr, cidrContainsIP, formatCidr, ipKey, parseCidr, parseIP, sameIP } from './ip.ts';

const cidr = (text: string) => {
  const block = parseCidr(text);
  if (!block) throw new Error(`bad test CIDR ${text}`);
  return block;
};
const ip = (text: string) => {
  const address = parseIP(text);
  if (!address) throw new Error(`bad test IP ${text}`);
  return address;
};

describe('parseIP and parseCidr', () => {
  it.each([
    ['10.0.0.1', { v6: false, value: 0x0a000001n }],
    ['255.255.255.255', { v6: false, value: 0xffffffffn }],
    ['::1', { v6: true, value: 1n }],
    ['fe80::1', { v6: true, value: (0xfe80n << 112n) | 1n }],
    ['2001:db8::', { v6: true, value: (0x2001n << 112n) | (0xdb8n << 96n) }],
    // An IPv4-mapped IPv6 address is its IPv4 address, as the API server reads it.
    ['::ffff:10.0.0.1', { v6: false, value: 0x0a000001n }],
  ])('reads %s', (text, address) => {
    expect(parseIP(text)).toEqual(address);
  });
  it.each([
    ['0010.0.0.1', '10.0.0.1'],
    ['000000000000127.0.0.01', '127.0.0.1'],
    ['::00001', '::1'],
    ['::ffff:0010.0.0.1', '10.0.0.1'],
  ])('reads %s with its leading zeros as the API server does: %s', (text, same) => {
    expect(parseIP(same)).toBeDefined();
    expect(parseIP(text)).toEqual(parseIP(same));
  });
  it.each([
    ['10.0.0.0/0008', '10.0.0.0/8'],
    ['0.0.0.0/0000', '0.0.0.0/0'],
    ['0010.0.0.0/8', '10.0.0.0/8'],
    ['::/0000', '::/0'],
  ])('reads the block %s as %s', (text, canonical) => {
    expect(formatCidr(cidr(text))).toBe(canonical);
  });
  it.each(['', '10.0.0', '10.0.0.256', '1::2::3', 'g::1', 'example.com', '10.0.0.1e0', '::10000', '10..0.1'])(
    'refuses %j',
    (text) => {
      expect(parseIP(text)).toBeUndefined();
    },
  );
  it.each([
    '10.0.0.0',
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0/0x8',
    '10.0.0.0/00033',
    '::/129',
    '10.0.0.0/-1',
    '10.0.0.0/x',
    'nope/8',
  ])('refuses the block %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
  it('clears host bits and keeps mapped IPv4 addresses IPv4', () => {
    expect(formatCidr(cidr('10.1.2.3/8'))).toBe('10.0.0.0/8');
    expect(parseIP('::ffff:10.0.0.1')).toEqual(parseIP('10.0.0.1'));
    expect(formatCidr(cidr('::ffff:10.0.0.0/104'))).toBe('10.0.0.0/8');
  });
  it.each([
    ['fc00::/7', 'fc00::/7'],
    ['2001:db8:0:0:1:0:0:0/80', '2001:db8:0:0:1::/80'],
    ['::/0', '::/0'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('formats %s as %s', (text, expected) => {
    expect(formatCidr(cidr(text))).toBe(expected);
  });
});

describe('containment', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false],
    ['10.0.0.0/8', '::ffff:10.9.9.9', true],
    ['fc00::/7', 'fd00::1', true],
    ['fc00::/7', 'fe80::1', false],
  ])('%s holds %s: %s', (block, address, expected) => {
    expect(cidrContainsIP(cidr(block), ip(address))).toBe(expected);
  });
  it.each([
    ['0.0.0.0/0', '10.0.0.0/8', true],
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.1.0.0/16', '10.0.0.0/8', false],
    ['10.0.0.0/8', '172.16.0.0/12', false],
    ['::/0', '10.0.0.0/8', false],
  ])('%s holds %s: %s', (outer, inner, expected) => {
    expect(cidrContainsCidr(cidr(outer), cidr(inner))).toBe(expected);
  });
});

describe('ipKey', () => {
  it('is one key per address, however it is written', () => {
    expect(ipKey('2600:1F14::5')).toBe(ipKey('2600:1f14:0:0:0:0:0:5'));
    expect(ipKey('::ffff:10.0.0.1')).toBe(ipKey('10.0.0.1'));
    expect(ipKey('010.000.000.001')).toBe(ipKey('10.0.0.1'));
    expect(ipKey('10.0.0.1')).not.toBe(ipKey('10.0.0.2'));
    expect(ipKey('example.com')).toBeUndefined();
    expect(sameIP('a', 'a')).toBe(false);
  });
});
