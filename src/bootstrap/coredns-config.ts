import type { ClusterClient } from '../kube/client.ts';
import { getIfExists } from '../kube/get-if-exists.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import type { Informer } from '../informer/informer.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import {
  BOOTSTRAP_LABEL,
  COREDNS_BOOTSTRAP,
  COREDNS_CONFIG_MAP,
  corefile,
  DNS_NAMESPACE,
  isSyncerCorefile,
  NODE_HOSTS_KEY,
} from './coredns.ts';

interface Address {
  type?: unknown;
  address?: unknown;
}

/** A node's InternalIP and host name, as k3s lists it for CoreDNS; undefined without an InternalIP. */
function hostsLineOf(node: KubeObject): string | undefined {
  const addresses = (node.status as { addresses?: unknown } | undefined)?.addresses;
  if (!Array.isArray(addresses)) return undefined;
  let ip: string | undefined;
  let hostname = node.metadata?.name;
  for (const a of addresses as Address[]) {
    if (typeof a?.address !== 'string' || !a.address) continue;
    if (a.type === 'InternalIP') ip ??= a.address;
    else if (a.type === 'Hostname') hostname = a.address;
  }
  // Only what a hosts file can hold: an address and a name, no whitespace to break the line.
  if (!ip || !hostname || /\s/.test(ip) || /\s/.test(hostname)) return undefined;
  return `${ip} ${hostname}`;
}

/**
 * The NodeHosts file of the virtual cluster's CoreDNS: one `<InternalIP> <host name>` line per node,
 * sorted, so pods resolve node names as on a k3s control plane (whose server keeps this file).
 */
export function nodeHostsOf(nodes: readonly KubeObject[]): string {
  return nodes
    .map(hostsLineOf)
    .filter((l): l is string => l !== undefined)
    .sort()
    .join('\n');
}

const addressesOf = (node: KubeObject) =>
  JSON.stringify((node.status as { addresses?: unknown } | undefined)?.addresses ?? null);

/** How soon after a node change the file is written (changes in a burst make one write). */
const SETTLE_MS = 500;
/** How soon a failed write, or a ConfigMap not there yet, is tried again. */
const RETRY_MS = 10_000;
/**
 * How often a ConfigMap in step is read again (one GET): nothing else tells this keeper that it was
 * deleted (k3s deletes its own CoreDNS objects when turned off) or its Corefile edited back.
 */
const RECHECK_MS = 30_000;

export interface CorednsConfigOptions {
  /** The virtual client (leader-guarded: only the leader runs this). */
  client: ClusterClient;
  /** The virtual cluster's nodes. */
  nodes: Informer<KubeObject>;
  /** The cluster domain the Corefile serves (`--cluster-domain`). */
  clusterDomain: string;
  /** The host DNS the Corefile falls back to (`--fallback-host-dns`, resolved), or none. */
  hostDns?: string;
  /**
   * Called at each check (every RECHECK_MS, and while the ConfigMap is missing): the CoreDNS bootstrap
   * creates again whatever is missing (deleted by an admin, or by k3s when its own CoreDNS is turned
   * off, possibly while the bootstrap ran), and leaves the rest as it is.
   */
  recreateMissing?: () => void;
  clock: Clock;
  logger: Logger;
}

/**
 * Keeps the CoreDNS ConfigMap the syncer made (for a control plane without DNS of its own, such as
 * the chart's vanilla one): its NodeHosts key lists the virtual nodes, as k3s's server does for its
 * CoreDNS and vCluster does for every distro, and its Corefile follows `--fallback-host-dns` while it
 * is one the syncer wrote (an edited Corefile is the admin's). A ConfigMap without the syncer's
 * bootstrap label is an admin's (or k3s's), and left alone.
 */
export class CorednsConfigKeeper {
  private readonly o: CorednsConfigOptions;
  /** The Corefile was found not the syncer's while a fallback is asked for: said once. */
  private warnedForeignCorefile = false;
  private cancelTimer: (() => void) | undefined;
  private syncing = false;
  private dirty = false;
  private stopped = false;

  constructor(options: CorednsConfigOptions) {
    this.o = options;
  }

  start(): void {
    this.o.nodes.addHandlers({
      onAdd: () => this.schedule(SETTLE_MS),
      onUpdate: (old, node) => {
        if (addressesOf(old) !== addressesOf(node) || old.metadata?.name !== node.metadata?.name)
          this.schedule(SETTLE_MS);
      },
      onDelete: () => this.schedule(SETTLE_MS),
    });
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    this.cancelTimer?.();
    this.cancelTimer = this.o.clock.setTimer(() => void this.sync(), ms);
  }

  private async sync(): Promise<void> {
    this.cancelTimer = undefined;
    this.syncing = true;
    this.dirty = false;
    // The bootstrap's check of the other CoreDNS objects, on the same beat (it runs on its own).
    this.o.recreateMissing?.();
    let retry: boolean;
    try {
      retry = !(await this.write());
    } catch (err) {
      this.o.logger.warn('writing the CoreDNS ConfigMap failed, retrying', { err });
      retry = true;
    } finally {
      this.syncing = false;
    }
    if (this.dirty) this.schedule(SETTLE_MS);
    else this.schedule(retry ? RETRY_MS : RECHECK_MS);
  }

  /** Writes what differs; false when the ConfigMap is not there yet. */
  private async write(): Promise<boolean> {
    const configMap = await getIfExists(
      this.o.client,
      Resources.configMaps,
      DNS_NAMESPACE,
      COREDNS_CONFIG_MAP,
    );
    if (!configMap) return false;
    const ours = configMap.metadata?.labels?.[BOOTSTRAP_LABEL] === COREDNS_BOOTSTRAP;
    const data = (configMap as { data?: Record<string, unknown> }).data;
    const patch: Record<string, string> = {};
    const corefileNow = data?.Corefile;
    const corefileWanted = corefile(this.o.clusterDomain, this.o.hostDns);
    if (corefileNow !== corefileWanted) {
      if (ours && isSyncerCorefile(corefileNow, this.o.clusterDomain)) patch.Corefile = corefileWanted;
      else this.warnForeignCorefile(ours);
    }
    if (!ours) return true;
    const wanted = nodeHostsOf(this.o.nodes.store.list());
    if (data?.[NODE_HOSTS_KEY] !== wanted) patch[NODE_HOSTS_KEY] = wanted;
    if (Object.keys(patch).length === 0) return true;
    await this.o.client.patch(
      Resources.configMaps,
      DNS_NAMESPACE,
      COREDNS_CONFIG_MAP,
      // With the version read, so an edit made meanwhile (an admin's Corefile) is never overwritten:
      // a conflict is retried from a fresh read.
      { metadata: { resourceVersion: configMap.metadata?.resourceVersion }, data: patch },
      'merge',
    );
    if (patch.Corefile)
      this.o.logger.info('updated the CoreDNS Corefile', {
        fallbackHostDns: this.o.hostDns ?? 'none',
      });
    return true;
  }

  /** A fallback the Corefile does not have, since it is not the syncer's to change: said once. */
  private warnForeignCorefile(ours: boolean): void {
    if (!this.o.hostDns || this.warnedForeignCorefile) return;
    this.warnedForeignCorefile = true;
    this.o.logger.warn(
      `${DNS_NAMESPACE}/${COREDNS_CONFIG_MAP} ${ours ? 'has an edited Corefile' : "is not the one the syncer made (k3s's or an admin's)"}: --fallback-host-dns is not applied to it; delete the ConfigMap to have the syncer make it again`,
    );
  }
}
