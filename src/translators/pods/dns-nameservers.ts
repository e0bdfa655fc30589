import { byName, type KubeObject } from '../../kube/object.ts';
import { CLUSTER_NAMESERVERS_ANNOTATION, MANAGED_BY_LABEL, type LabelSelector } from '../../naming/labels.ts';
import { parseLabelSelector, selectorMatches } from '../../util/label-selector.ts';
import { MAX_NAMESERVERS } from './translate.ts';
import { isDnsLabel } from '../../naming/dns-names.ts';

/**
 * vCluster's `sync.toHost.pods.dns.nameservers`: the nameservers synced pods get instead of the
 * virtual cluster's DNS, each found as the cluster IPs of the Services a label selector picks in a
 * namespace of the host (`control-plane-host`) or of the virtual cluster (`tenant-cluster`).
 */
export interface NameserverSource {
  scope: 'host' | 'virtual';
  namespace: string;
  selector: LabelSelector;
  /** The flag's entry, for messages. */
  text: string;
}

const SCOPES: Record<string, NameserverSource['scope']> = {
  host: 'host',
  'control-plane-host': 'host',
  virtual: 'virtual',
  'tenant-cluster': 'virtual',
};

/** One `--pod-dns-nameserver` entry, `<scope>:<namespace>:<selector>`; throws naming what is wrong. */
export function parseNameserverSource(text: string): NameserverSource {
  const [scopeText, namespace, ...rest] = text.split(':');
  const selectorText = rest.join(':').trim();
  const scope = SCOPES[(scopeText ?? '').trim()];
  if (!scope || namespace === undefined || !rest.length)
    throw new Error(
      `${JSON.stringify(text)}: must be <scope>:<namespace>:<label selector>, scope host (control-plane-host) or virtual (tenant-cluster)`,
    );
  if (!isDnsLabel(namespace.trim()))
    throw new Error(`${JSON.stringify(text)}: ${JSON.stringify(namespace)} is not a namespace name`);
  if (!selectorText) throw new Error(`${JSON.stringify(text)}: the label selector is empty`);
  return { scope, namespace: namespace.trim(), selector: parseLabelSelector(selectorText), text };
}

/** What is wrong with the entries, or undefined: for the flag's validation. */
export function invalidNameserverSources(entries: readonly string[]): string | undefined {
  if (entries.length > MAX_NAMESERVERS)
    return `at most ${MAX_NAMESERVERS} entries (a pod may have no more nameservers), got ${entries.length}`;
  for (const entry of entries) {
    try {
      parseNameserverSource(entry);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

/**
 * The nameservers, or the first source that has none yet; `unread` when its Services could not be
 * read yet (its host namespace may not exist, or the syncer may not list Services there).
 */
export type NameserverResolution = { ips: string[] } | { missing: NameserverSource; unread?: boolean };

/**
 * The sources' nameservers, in order, one per source: the first (by name) of the Services it selects
 * that has a cluster IP the pods can reach (`usable`: a virtual Service only once its host copy has
 * the same IP). One each, so that no source crowds out another within the three a pod may have. On
 * the host, a Service some virtual cluster synced there (a tenant's, labelled managed-by) is never
 * one: tenants choose its labels. A source with none holds everything up: a pod started without one
 * of its resolvers would keep that resolv.conf for life.
 */
export function resolveNameservers(
  sources: readonly NameserverSource[],
  /** The Services a source may pick from; undefined while they cannot be read. */
  servicesOf: (source: NameserverSource) => readonly KubeObject[] | undefined,
  usable: (source: NameserverSource, service: KubeObject, ip: string) => boolean,
): NameserverResolution {
  const ips: string[] = [];
  for (const source of sources) {
    const services = servicesOf(source);
    if (!services) return { missing: source, unread: true };
    const found = services
      .filter((s) => selects(source, s))
      .sort(byName)
      .map((s) => [s, clusterIpOf(s)] as const)
      .find(([s, ip]) => ip !== undefined && usable(source, s, ip));
    if (!found) return { missing: source };
    if (!ips.includes(found[1]!)) ips.push(found[1]!);
  }
  return { ips: ips.slice(0, MAX_NAMESERVERS) };
}

/** Whether a Service (of the source's scope) is one a source may pick. */
export function selects(source: NameserverSource, service: KubeObject): boolean {
  const labels = service.metadata?.labels ?? {};
  if (service.metadata?.namespace !== source.namespace) return false;
  if (source.scope === 'host' && labels[MANAGED_BY_LABEL] !== undefined) return false;
  return selectorMatches(source.selector, labels);
}

/** A Service's cluster IP, or undefined when it has none (or none yet, or is headless). */
export function clusterIpOf(service: KubeObject | undefined): string | undefined {
  const ip = (service?.spec as { clusterIP?: string } | undefined)?.clusterIP;
  return ip && ip !== 'None' ? ip : undefined;
}

/** Why a pod waits for its nameservers (the tenant's event; the host's names stay out of it). */
export function waitingForNameservers(pending: { missing: NameserverSource; unread?: boolean }): string {
  const { missing, unread } = pending;
  const configured = 'waiting for the DNS nameserver Services this virtual cluster is configured with';
  if (unread)
    return `${configured} (the syncer cannot read the Services of a namespace of the host cluster yet; its logs say why): the pod starts once each has an address`;
  const where =
    missing.scope === 'virtual'
      ? `namespace ${missing.namespace} of this virtual cluster`
      : 'a namespace of the host cluster';
  return `${configured} (none in ${where} matches yet): the pod starts once each has an address`;
}

/** The record a host pod carries of the nameservers it was made with: the resolution, as JSON. */
export const nameserverRecord = (ips: readonly string[]): string => JSON.stringify(ips);

/**
 * Whether a host pod was made with other --pod-dns-nameserver nameservers than `ips` (by the record
 * it carries: its live spec may hold what a host webhook added). A pod without a record was made
 * before the flag was set, and is not judged.
 */
export function givenOtherNameservers(hostPod: KubeObject, ips: readonly string[]): boolean {
  const given = hostPod.metadata?.annotations?.[CLUSTER_NAMESERVERS_ANNOTATION];
  return given !== undefined && given !== nameserverRecord(ips);
}

/** The nameservers a host pod records it was made with, for messages ([] when unreadable). */
export function recordedNameservers(hostPod: KubeObject): string[] {
  try {
    const parsed: unknown = JSON.parse(
      hostPod.metadata?.annotations?.[CLUSTER_NAMESERVERS_ANNOTATION] ?? '[]',
    );
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
