import type { ClusterClient } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources } from '../kube/resources.ts';
import type { Informer } from '../informer/informer.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import {
  BOOTSTRAP_LABEL,
  COREDNS_BOOTSTRAP,
  COREDNS_CONFIG_MAP,
  DNS_NAMESPACE,
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

export interface NodeHostsOptions {
  /** The virtual client (leader-guarded: only the leader runs this). */
  client: ClusterClient;
  /** The virtual cluster's nodes. */
  nodes: Informer<KubeObject>;
  clock: Clock;
  logger: Logger;
}

/**
 * Keeps the NodeHosts key of the CoreDNS ConfigMap the syncer made (for a control plane without DNS
 * of its own, such as the chart's vanilla one) listing the virtual nodes, as k3s's server does for
 * its CoreDNS and vCluster does for every distro. A ConfigMap without the syncer's bootstrap label is
 * an admin's, and left alone.
 */
export class NodeHostsKeeper {
  private readonly o: NodeHostsOptions;
  private cancelTimer: (() => void) | undefined;
  private syncing = false;
  private dirty = false;
  private stopped = false;

  constructor(options: NodeHostsOptions) {
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
    let retry: boolean;
    try {
      retry = !(await this.write());
    } catch (err) {
      this.o.logger.warn('writing the CoreDNS NodeHosts failed, retrying', { err });
      retry = true;
    } finally {
      this.syncing = false;
    }
    if (this.dirty) this.schedule(SETTLE_MS);
    else if (retry) this.schedule(RETRY_MS);
  }

  /** Writes the file when it differs; false when the ConfigMap is not there yet. */
  private async write(): Promise<boolean> {
    let configMap: KubeObject;
    try {
      configMap = await this.o.client.get(Resources.configMaps, DNS_NAMESPACE, COREDNS_CONFIG_MAP);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (configMap.metadata?.labels?.[BOOTSTRAP_LABEL] !== COREDNS_BOOTSTRAP) return true;
    const wanted = nodeHostsOf(this.o.nodes.store.list());
    const data = (configMap as { data?: Record<string, unknown> }).data;
    if (data?.[NODE_HOSTS_KEY] === wanted) return true;
    await this.o.client.patch(
      Resources.configMaps,
      DNS_NAMESPACE,
      COREDNS_CONFIG_MAP,
      { data: { [NODE_HOSTS_KEY]: wanted } },
      'merge',
    );
    return true;
  }
}
