import { field } from '../../config/fields.ts';

/**
 * Servers a host controller calls for a tenant's custom resource and whose answers come back to the
 * tenant (an Issuer's or Certificate's status: cert-manager's ACME, Vault and Venafi clients put a
 * failed response's whole body in their errors). A check of the name cannot hold them: the clients
 * follow redirects, and a name of the tenant's may resolve to a private address. So a tenant may
 * name only servers the admin trusts: a configured resource's `servers` defaults, and these.
 */
export const ALLOWED_SERVER_FIELD = field({
  flag: 'allowed-server-url',
  key: 'allowedServerUrls',
  kind: 'list',
  default: [],
  repeatable: true,
  valueName: 'url',
  description:
    "server URL a tenant's custom resource may name for a host controller to call: a cert-manager Issuer's ACME directory beyond the public CAs', its Vault server, Venafi TPP, acme-dns or Akamai API host (https://akab-...), an external-secrets Vault SecretStore's server (refused until listed); one list for every such field, each URL as tenants write it (surrounding spaces and one trailing slash aside). The controller calls it from inside the host cluster, following its redirects, and its answers may come back to the tenant",
  validate: (urls) => invalidServerUrls(urls as string[]),
});

/** Why a server URL (--allowed-server-url, a `servers` default) is not an absolute http(s) URL, or undefined. */
export function invalidServerUrls(urls: readonly unknown[]): string | undefined {
  for (const url of urls) {
    if (typeof url !== 'string') return `${JSON.stringify(url)} is not a URL`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `${JSON.stringify(url)} is not a URL`;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      return `${JSON.stringify(url)} is not an http or https URL`;
  }
  return undefined;
}

/**
 * The public ACME directories of well-known CAs: a tenant's ACME Issuer may name these without the
 * admin's say. Their directories name their own endpoints, which cert-manager then calls.
 */
export const PUBLIC_ACME_DIRECTORIES = [
  'https://acme-v02.api.letsencrypt.org/directory',
  'https://acme-staging-v02.api.letsencrypt.org/directory',
  'https://acme.zerossl.com/v2/DV90',
  'https://dv.acme-v02.api.pki.goog/directory',
  'https://dv.acme-v02.test-api.pki.goog/directory',
  'https://api.buypass.com/acme/directory',
  'https://api.test4.buypass.no/acme/directory',
  'https://acme.ssl.com/sslcom-dv-rsa',
  'https://acme.ssl.com/sslcom-dv-ecc',
];

/** Venafi Cloud's own API (cert-manager's default when `url` is not set). */
export const VENAFI_CLOUD_URLS = [
  'https://api.venafi.cloud',
  'https://api.venafi.cloud/v1',
  'https://api.venafi.eu',
];

/**
 * Why a server URL may not be named here, or undefined: allowed are the field's defaults and the
 * admin's --allowed-server-url values, each exactly (one trailing slash aside).
 */
export function serverRefusal(
  location: string,
  value: string,
  defaults: readonly string[],
  allowed: readonly string[],
): string | undefined {
  const normal = (url: string) => url.trim().replace(/\/$/, '');
  const trusted = [...defaults, ...allowed];
  if (trusted.some((url) => normal(url) === normal(value))) return undefined;
  return `${location} is ${JSON.stringify(value)}: the host's controller would call it from inside the host cluster, following its redirects, and its answers may come back to the tenant; only servers the admin trusts may be named here (${trusted.length ? trusted.join(', ') : 'none'}; an admin adds one with --allowed-server-url)`;
}
