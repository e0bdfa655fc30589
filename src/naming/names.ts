import { createHash } from 'node:crypto';
import { safeConcatName } from './safe-concat.ts';

export { hash10 } from './safe-concat.ts';

/** Host name of a namespaced virtual object: `<name>-x-<namespace>-x-<vc>`, hashed past 63 characters. */
export function hostName(virtualName: string, virtualNamespace: string, vcName: string): string {
  return safeConcatName(virtualName, 'x', virtualNamespace, 'x', vcName);
}

/**
 * vCluster's short host name of a namespaced virtual object (its DRA kinds, ResourceClaims and
 * ResourceClaimTemplates, use it): `v` and the first 13 base-36 digits of the SHA-256 of
 * `<name>-x-<namespace>-x-<vc>`, read as one big-endian number (a leading zero byte a `0` digit).
 * As ambiguous as the long form in principle: ownership is read from a copy's annotations.
 */
export function hostNameShort(virtualName: string, virtualNamespace: string, vcName: string): string {
  const digest = createHash('sha256').update(`${virtualName}-x-${virtualNamespace}-x-${vcName}`).digest();
  const zeros = digest.findIndex((byte) => byte !== 0);
  const digits = BigInt(`0x${digest.toString('hex')}`).toString(36);
  return `v${'0'.repeat(zeros < 0 ? digest.length : zeros)}${digits}`.slice(0, 14);
}

/** Host name of a cluster-scoped virtual object: `vcluster-<name>-x-<hostNamespace>-x-<vc>`. */
export function hostClusterScopedName(name: string, hostNamespace: string, vcName: string): string {
  return safeConcatName('vcluster', name, 'x', hostNamespace, 'x', vcName);
}

/** The longest name an object may have (a DNS subdomain), an Event's included. */
const MAX_NAME_LENGTH = 253;

/**
 * An Event's name about an object: `<object name>.<suffix>`, the object's name cut so that the whole
 * stays a valid name (objects may have names of 253 characters, Events may not be longer), and what
 * is left ending in no `.` or `-` (an empty or dash-ended part is no DNS label).
 */
export function eventName(objectName: string, suffix: string): string {
  const room = MAX_NAME_LENGTH - suffix.length - 1;
  const prefix = objectName.length > room ? objectName.slice(0, room).replace(/[.-]+$/, '') : objectName;
  return `${prefix || 'object'}.${suffix}`;
}
