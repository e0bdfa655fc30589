import { readFileSync } from 'node:fs';
import { isStrictIPv4 as isIPv4, isStrictIPv6 as isIPv6 } from '../util/ip.ts';

/**
 * `--fallback-host-dns`: where the virtual cluster's CoreDNS asks what the virtual cluster does not
 * know. `auto` is the first nameserver of the syncer's own resolv.conf: the syncer runs in a host pod,
 * so that is the host cluster's DNS (its kube-dns Service, or a node-local cache in front of it).
 */
export const AUTO_HOST_DNS = 'auto';

const validPort = (s: string) => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;

/**
 * The address as CoreDNS's `forward` takes it (`IP`, `IP:port`, `[IPv6]:port`), or a problem. A bare
 * IPv6 address gets port 53 in brackets, so its colons are never read as a port.
 */
export function forwardAddress(value: string): { to: string } | { problem: string } {
  const problem = `must be ${AUTO_HOST_DNS}, an IP address or IP:port (IPv6 as [address]:port), got ${JSON.stringify(value)}`;
  if (isIPv4(value)) return { to: value };
  if (isIPv6(value)) return { to: `[${value}]:53` };
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) return isIPv6(bracketed[1]!) && validPort(bracketed[2]!) ? { to: value } : { problem };
  const hostPort = /^([^:]+):(\d+)$/.exec(value);
  if (hostPort && isIPv4(hostPort[1]!) && validPort(hostPort[2]!)) return { to: value };
  return { problem };
}

/** The flag's value checked as given: empty (off), `auto`, or an address forwardAddress takes. */
export function invalidFallbackHostDns(value: string): string | undefined {
  if (value === '' || value === AUTO_HOST_DNS) return undefined;
  const parsed = forwardAddress(value);
  return 'problem' in parsed ? parsed.problem : undefined;
}

/** The first `nameserver` of a resolv.conf's text, or undefined. */
export function firstNameserver(resolvConf: string): string | undefined {
  for (const line of resolvConf.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * The CoreDNS forward address of `--fallback-host-dns` (undefined when off), `auto` read from
 * resolvConfPath. Throws an Error naming the file when it has no usable nameserver.
 */
export function resolveHostDns(value: string, resolvConfPath = '/etc/resolv.conf'): string | undefined {
  if (!value) return undefined;
  if (value !== AUTO_HOST_DNS) {
    const parsed = forwardAddress(value);
    if ('problem' in parsed) throw new Error(parsed.problem);
    return parsed.to;
  }
  let text: string;
  try {
    text = readFileSync(resolvConfPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${resolvConfPath} for the host's DNS: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const nameserver = firstNameserver(text);
  if (!nameserver) throw new Error(`${resolvConfPath} names no nameserver for the host's DNS`);
  const parsed = forwardAddress(nameserver);
  if ('problem' in parsed)
    throw new Error(
      `the first nameserver of ${resolvConfPath}, ${JSON.stringify(nameserver)}, is not an IP address`,
    );
  // systemd-resolved's 127.0.0.53, say: the syncer is not in a host pod, and CoreDNS's loopback is its own.
  if (nameserver.startsWith('127.') || nameserver === '::1')
    throw new Error(
      `the first nameserver of ${resolvConfPath}, ${nameserver}, is a loopback address, which CoreDNS cannot reach: give the host DNS's address`,
    );
  return parsed.to;
}
