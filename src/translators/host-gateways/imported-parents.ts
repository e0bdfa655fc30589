import type { InformerView } from '../../informer/namespaces-informer.ts';
import { splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { objectScope } from '../../sync/host-watch.ts';
import type { Relation } from '../../sync/kind.ts';
import { neverShown } from '../mapped-host-data/kind.ts';
import { hostKeysOf, mappedHostScopes, virtualKeyOf } from '../mapped-host-data/mappings.ts';
import type { HostGatewaysConfig } from './config.ts';
import { HOST_GATEWAYS_KIND, hostnameRefusal, isImported, mirroredGateway } from './mirror.ts';

/** A host Gateway shown at a virtual place: which one, and its copy as the admin's config shows it. */
export interface ImportedGateway {
  readonly hostKey: string;
  readonly host: KubeObject;
  /**
   * The copy as computed from the host Gateway and the config, never as the virtual cluster holds it:
   * a tenant may edit that one (the edit is reverted, but not before a route is judged by it).
   */
  readonly mirror: KubeObject;
}

/**
 * What the Gateway API kinds know of the host Gateways the host-gateways kind shows: where they are
 * shown (places no tenant Gateway may take), which host Gateway a route's parent names, on what terms
 * it may attach, and which virtual Gateway a host one in a route's status stands for. Read from the
 * host-gateways kind's own host cache (the same watches).
 */
export class ImportedGateways {
  private readonly config: HostGatewaysConfig;
  private readonly hosts: InformerView<KubeObject>;

  constructor(config: HostGatewaysConfig, hosts: InformerView<KubeObject>) {
    this.config = config;
    this.hosts = hosts;
  }

  /** Whether a virtual Gateway place (`ns/name`) is an imported Gateway's, shown now or not. */
  reserves(virtualKey: string): boolean {
    return hostKeysOf(this.config.mappings, virtualKey).length > 0;
  }

  /** The host Gateway shown at a virtual place now, or undefined (not there, not selected, going). */
  at(virtualKey: string): ImportedGateway | undefined {
    for (const hostKey of hostKeysOf(this.config.mappings, virtualKey)) {
      const host = this.shown(hostKey);
      if (host) return { hostKey, host, mirror: mirroredGateway(this.config, host, virtualKey) };
    }
    return undefined;
  }

  /** The virtual place (`ns/name`) of a host Gateway shown now, or undefined. */
  virtualKeyOf(hostKey: string): string | undefined {
    return this.shown(hostKey) ? virtualKeyOf(this.config.mappings, hostKey) : undefined;
  }

  /** Why a route's hostnames may not attach to this imported Gateway (the admin's allowedHostnames), or undefined. */
  hostnameRefusal(imported: ImportedGateway, kind: string, hostnames: readonly string[]): string | undefined {
    const virtualName = imported.mirror.metadata?.name ?? '';
    return hostnameRefusal(this.config, imported.hostKey, virtualName, kind, hostnames);
  }

  private shown(hostKey: string): KubeObject | undefined {
    const host = this.hosts.store.get(hostKey);
    if (!host || host.metadata?.deletionTimestamp) return undefined;
    if (!isImported(this.config, host) || neverShown(host, Resources.gateways) !== undefined)
      return undefined;
    return host;
  }
}

/**
 * Relations on the host Gateways a config shows, one per watched scope (the host-gateways kind's):
 * a host Gateway that comes, changes or goes enqueues what `keysOf` says names its virtual place.
 */
export function importedGatewayRelations(
  config: HostGatewaysConfig | undefined,
  keysOf: (virtualKey: string) => string[],
): Relation[] {
  if (!config) return [];
  const { namespaces, objects } = mappedHostScopes(config.mappings);
  const scopes = [...namespaces.map((namespace) => ({ namespace })), ...objects.map((key) => splitKey(key))];
  return scopes.map((scope, i) => ({
    name: `imported-gateways-${i}`,
    cluster: 'host' as const,
    type: Resources.gateways,
    scope: objectScope(scope),
    whenKind: HOST_GATEWAYS_KIND,
    // Only which routes name the place is read, never the host Gateway through this index.
    unindexed: true,
    keys: (host: KubeObject) => {
      const virtualKey = virtualKeyOf(
        config.mappings,
        `${host.metadata?.namespace ?? ''}/${host.metadata?.name ?? ''}`,
      );
      return virtualKey ? keysOf(virtualKey) : [];
    },
  }));
}
