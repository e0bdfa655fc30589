import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { KubeObject } from '../../kube/object.ts';
import { isJsonObject } from '../../util/json.ts';

/**
 * The ACME account key of a tenant's cert-manager Issuer (the certManager integration).
 *
 * cert-manager makes the key when the Secret `spec.acme.privateKeySecretRef` names is missing: it
 * creates that Secret itself, by that name, in the Issuer's namespace. On the host that is the shared
 * host namespace, under whatever name the copy gives (the copy of the tenant's Secret, or, for a
 * Secret gone since, a name nobody holds): an object the syncer cannot tell from anyone else's, and
 * one that no one removes. So the key is made where cert-manager would have made it for the tenant,
 * in the virtual namespace, as cert-manager makes it (RSA 2048, PKCS#1 PEM, under the selector's key),
 * is copied down as any Secret an Issuer names, and the host copy of the Issuer turns key generation
 * off: the host's cert-manager only ever reads a key, and never writes a Secret of its own.
 */

/** cert-manager's default key in the account key Secret. */
export const ACCOUNT_KEY_DEFAULT = 'tls.key';

/** The account key Secret an Issuer would have cert-manager make (name and data key), if any. */
export function accountKeyToMake(issuer: KubeObject): { name: string; key: string } | undefined {
  const acme = (issuer.spec as { acme?: unknown } | undefined)?.acme;
  if (!isJsonObject(acme) || acme.disableAccountKeyGeneration === true) return undefined;
  const ref = acme.privateKeySecretRef;
  if (!isJsonObject(ref) || typeof ref.name !== 'string' || ref.name === '') return undefined;
  const key = typeof ref.key === 'string' && ref.key !== '' ? ref.key : ACCOUNT_KEY_DEFAULT;
  return { name: ref.name, key };
}

const generateRsa = promisify(generateKeyPair);

/**
 * A new account key Secret, as cert-manager would create it (its data only: no type, no labels). The
 * key is made on libuv's thread pool: a 2048-bit RSA key takes 0.1 to 0.3 s of CPU, which on the main
 * thread would hold up every kind (and the lease's renewal).
 */
export async function newAccountKeySecret(name: string, key: string): Promise<KubeObject> {
  const { privateKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    data: { [key]: Buffer.from(privateKey).toString('base64') },
  };
}

/** The host copy's body with cert-manager's own key generation off, where the Issuer is an ACME one. */
export function withKeyGenerationOff(body: Record<string, unknown>): Record<string, unknown> {
  const spec = body.spec;
  if (!isJsonObject(spec) || !isJsonObject(spec.acme)) return body;
  return { ...body, spec: { ...spec, acme: { ...spec.acme, disableAccountKeyGeneration: true } } };
}
