import type { Clock } from '../util/clock.ts';
import type { ClusterClient } from './client.ts';
import { isApiError, isNamespaceTerminating, isNotFoundNaming } from './errors.ts';
import { Resources } from './resources.ts';

/**
 * Whether the host namespace is there to run pods in: a namespace being deleted has its pods removed
 * by the namespace controller before its Services, so every pod that ran would read as gone (and
 * the tenant's pods be deleted) before the check for the virtual API's Service holds anything up.
 * The syncer may not read namespaces (its host rights are the namespace's own), so it asks by a
 * create made as a dry run, which the namespace's lifecycle admission answers: refused while the
 * namespace terminates, NotFound when it is gone. Asked at start (the syncer waits while it is gone)
 * and when a pod's host copy is found gone, at most once per interval, whatever the number of pods.
 */
export type HostNamespaceState = 'active' | 'terminating' | 'missing' | 'unknown';

/** How long one answer stands. */
const PROBE_TTL_MS = 5_000;
/** The config map the dry run would create (never stored). */
const PROBE_NAME = 'vsyncer-namespace-probe';

export class HostNamespaceProbe {
  private readonly host: ClusterClient;
  private readonly namespace: string;
  private readonly clock: Clock;
  private last: { atMs: number; state: Promise<HostNamespaceState> } | undefined;

  constructor(host: ClusterClient, namespace: string, clock: Clock) {
    this.host = host;
    this.namespace = namespace;
    this.clock = clock;
  }

  /** The namespace's state, asked of the host at most once per PROBE_TTL_MS. */
  state(): Promise<HostNamespaceState> {
    const now = this.clock.monotonicNow();
    if (!this.last || now - this.last.atMs >= PROBE_TTL_MS) this.last = { atMs: now, state: this.ask() };
    return this.last.state;
  }

  private async ask(): Promise<HostNamespaceState> {
    try {
      await this.host.create(
        Resources.configMaps,
        this.namespace,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: PROBE_NAME } },
        { dryRun: true },
      );
      return 'active';
    } catch (err) {
      if (isNamespaceTerminating(err)) return 'terminating';
      if (isNotFoundNaming(err, this.namespace)) return 'missing';
      // Taken (a dry run meets an object of that name), or a webhook that refuses dry runs: the
      // namespace is there. Anything else cannot tell, and changes nothing.
      if (isApiError(err, 'alreadyExists') || isApiError(err, 'invalid') || isApiError(err, 'forbidden'))
        return 'active';
      return 'unknown';
    }
  }
}
