import { WaitingError } from '../../controller/errors.ts';
import type { InformerView, ObjectScope } from '../../informer/namespaces-informer.ts';
import { splitKey, type KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { CONTROLLED_BY_LABEL } from '../../naming/labels.ts';
import { objectScope, scopesOf } from '../../sync/host-watch.ts';
import type { Relation, SyncEnvironment } from '../../sync/kind.ts';
import { neverShown } from '../mapped-host-data/kind.ts';
import { hostKeysOf, mappedHostScopes, virtualKeyOf } from '../mapped-host-data/mappings.ts';
import { sameJson } from '../shared/host-metadata.ts';
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

/** What the mappings watch: each host namespace mapped whole, and each Gateway mapped alone. */
const scopesOfConfig = (config: HostGatewaysConfig): ObjectScope[] =>
  scopesOf(mappedHostScopes(config.mappings));

/**
 * What the Gateway API kinds know of the host Gateways the host-gateways kind shows: where they are
 * shown (places no tenant Gateway may take), which host Gateway a route's parent names, on what terms
 * it may attach, and which virtual Gateway a host one in a route's status stands for. Read from the
 * same watches as the host-gateways kind, but as optional ones: a mapped namespace the syncer may not
 * read holds up no kind but host-gateways, and routes naming a Gateway of it wait (never taken for
 * "not shown", which would remove their copies).
 */
export class ImportedGateways {
  private readonly config: HostGatewaysConfig;
  /** The watch of each scope, by `namespace/name` for one Gateway and `namespace/*` for a namespace. */
  private readonly parts = new Map<string, InformerView<KubeObject>>();

  constructor(config: HostGatewaysConfig, env: SyncEnvironment) {
    this.config = config;
    for (const scope of scopesOfConfig(config))
      this.parts.set(
        `${scope.namespace}/${scope.name ?? '*'}`,
        env.informers.get(env.host, Resources.gateways, objectScope(scope), { optional: true }),
      );
  }

  /** Whether a virtual Gateway place (`ns/name`) is an imported Gateway's, shown now or not. */
  reserves(virtualKey: string): boolean {
    return hostKeysOf(this.config.mappings, virtualKey).length > 0;
  }

  /**
   * The host Gateway shown at a virtual place now, or undefined (not there, not selected, going).
   * Throws WaitingError while the watch that would show it has not read the host yet.
   */
  at(virtualKey: string): ImportedGateway | undefined {
    for (const hostKey of hostKeysOf(this.config.mappings, virtualKey)) {
      const part = this.partOf(hostKey);
      if (part && !part.hasSynced())
        throw new WaitingError(
          `the host Gateways shown at ${virtualKey} are not read yet (${part.description})`,
        );
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

  private partOf(hostKey: string): InformerView<KubeObject> | undefined {
    return this.parts.get(hostKey) ?? this.parts.get(`${splitKey(hostKey).namespace}/*`);
  }

  private shown(hostKey: string): KubeObject | undefined {
    const host = this.partOf(hostKey)?.store.get(hostKey);
    if (!host || host.metadata?.deletionTimestamp) return undefined;
    // Left alone by every syncer (the engine shows no copy of it either).
    if (host.metadata?.labels?.[CONTROLLED_BY_LABEL] !== undefined) return undefined;
    if (!isImported(this.config, host) || neverShown(host, Resources.gateways) !== undefined)
      return undefined;
    return host;
  }
}

/**
 * Relations on the host Gateways a config shows, one per watched scope (optional, as above): a host
 * Gateway that comes, goes, or changes what routes are judged by (labels, spec) enqueues what
 * `keysOf` says names its virtual place. Its status changes every time any route attaches (of every
 * virtual cluster sharing it), and enqueues nothing.
 */
export function importedGatewayRelations(
  config: HostGatewaysConfig | undefined,
  keysOf: (virtualKey: string) => string[],
): Relation[] {
  if (!config) return [];
  return scopesOfConfig(config).map((scope, i) => ({
    name: `imported-gateways-${i}`,
    cluster: 'host' as const,
    type: Resources.gateways,
    scope: objectScope(scope),
    whenKind: HOST_GATEWAYS_KIND,
    optional: true,
    // Only which routes name the place is read, never the host Gateway through this index.
    unindexed: true,
    changed: (old: KubeObject, current: KubeObject) =>
      !sameJson(old.metadata?.labels ?? {}, current.metadata?.labels ?? {}) ||
      !sameJson(old.spec, current.spec) ||
      old.metadata?.deletionTimestamp !== current.metadata?.deletionTimestamp,
    keys: (host: KubeObject) => {
      const virtualKey = virtualKeyOf(
        config.mappings,
        `${host.metadata?.namespace ?? ''}/${host.metadata?.name ?? ''}`,
      );
      return virtualKey ? keysOf(virtualKey) : [];
    },
  }));
}
