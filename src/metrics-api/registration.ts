/**
 * Registers the syncer's metrics API (server.ts) with the virtual API server's aggregator: an
 * APIService for `v1beta1.metrics.k8s.io` whose Service, in `kube-system`, names `localhost` (an
 * ExternalName), so the virtual API server, which runs in the same pod, calls the syncer's port
 * there. The Service is marked as the control plane's own, so it is never copied to the host.
 * Kept as it should be while the integration is on (a tenant deleting or changing either gets it
 * back within a minute); when it is off, what an earlier run registered is removed, so that the
 * virtual cluster's discovery does not list an API nobody serves. Leader only: it writes.
 */
import type { ClusterClient } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import { CONTROL_PLANE_LOCAL_LABEL } from '../naming/labels.ts';
import { coversJson } from '../translators/shared/host-metadata.ts';
import type { Logger } from '../util/log.ts';
import { METRICS_GROUP, METRICS_VERSION } from './translate.ts';

export const METRICS_API_SERVICE = { namespace: 'kube-system', name: 'vsyncer-metrics-proxy' };
export const METRICS_APISERVICE_NAME = `${METRICS_VERSION}.${METRICS_GROUP}`;
/** Marks what this registration made: only such objects are removed when the integration is off. */
export const METRICS_PROXY_LABEL = 'vsyncer.dev/metrics-proxy';
const RECHECK_MS = 60_000;
const RETRY_MS = 10_000;

export interface MetricsApiRegistrationOptions {
  virtual: ClusterClient;
  /** The port the metrics API listens on (on localhost); undefined: the integration is off. */
  port: number | undefined;
  /** This virtual cluster's name: the value of METRICS_PROXY_LABEL on what it registers. */
  vcName: string;
  logger: Logger;
}

/** The Service the APIService names: localhost, at the metrics API's port. */
export function metricsProxyService(port: number, vcName: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...METRICS_API_SERVICE,
      labels: { [METRICS_PROXY_LABEL]: vcName, [CONTROL_PLANE_LOCAL_LABEL]: 'true' },
    },
    spec: {
      type: 'ExternalName',
      externalName: 'localhost',
      ports: [{ name: 'https', protocol: 'TCP', port, targetPort: port }],
    },
  };
}

/**
 * The APIService. Its TLS is not verified: the server is on localhost in the same pod, and what
 * matters there is that the syncer knows its caller, which it does by the front proxy's certificate.
 */
export function metricsApiService(port: number, vcName: string): KubeObject {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: METRICS_APISERVICE_NAME, labels: { [METRICS_PROXY_LABEL]: vcName } },
    spec: {
      service: { ...METRICS_API_SERVICE, port },
      group: METRICS_GROUP,
      version: METRICS_VERSION,
      insecureSkipTLSVerify: true,
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  };
}

export class MetricsApiRegistration {
  private readonly o: MetricsApiRegistrationOptions;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: MetricsApiRegistrationOptions) {
    this.o = options;
  }

  /** Registers (or deregisters) now, then keeps it so. */
  start(): void {
    this.stopped = false;
    void this.pass();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One pass; failures are logged and retried at the next. */
  async pass(): Promise<void> {
    const { port, logger } = this.o;
    let done = false;
    try {
      if (port === undefined) {
        await this.removeOwn(Resources.apiServices, '', METRICS_APISERVICE_NAME);
        await this.removeOwn(Resources.services, METRICS_API_SERVICE.namespace, METRICS_API_SERVICE.name);
      } else {
        // The Service first: an APIService naming a missing Service is unavailable until it comes.
        await this.ensure(Resources.services, metricsProxyService(port, this.o.vcName));
        await this.ensure(Resources.apiServices, metricsApiService(port, this.o.vcName));
      }
      done = true;
    } catch (err) {
      logger.warn(
        port === undefined
          ? 'removing the metrics API registration from the virtual cluster failed; retrying'
          : 'registering the metrics API in the virtual cluster failed; retrying',
        {
          error: (err as Error).message,
        },
      );
    }
    if (this.stopped || (port === undefined && done)) return;
    // Registered, it is checked again now and then; off, the removal is tried until it is done (an
    // APIService nobody serves breaks the virtual cluster's discovery and namespace deletion).
    this.timer = setTimeout(() => void this.pass(), port === undefined ? RETRY_MS : RECHECK_MS);
    this.timer.unref();
  }

  /**
   * Creates the object, or puts back its spec (whole: a tenant's caBundle beside insecureSkipTLSVerify
   * would be refused) and its labels when they differ; its other metadata stays.
   */
  private async ensure(type: ResourceType, want: KubeObject): Promise<void> {
    const { virtual, logger } = this.o;
    const namespace = want.metadata?.namespace ?? '';
    const name = want.metadata?.name ?? '';
    let current: KubeObject;
    try {
      current = await virtual.get(type, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await virtual.create(type, namespace, want);
      logger.info('metrics API registered in the virtual cluster', { kind: type.kind, name });
      return;
    }
    const labels = { ...(current.metadata?.labels ?? {}), ...(want.metadata?.labels ?? {}) };
    const sameLabels = JSON.stringify(labels) === JSON.stringify(current.metadata?.labels ?? {});
    if (sameLabels && coversJson(want.spec, current.spec)) return;
    if (current.metadata?.labels?.[METRICS_PROXY_LABEL] !== this.o.vcName)
      logger.warn('the metrics API integration takes over an object it did not make', {
        kind: type.kind,
        name,
      });
    await virtual.update(type, namespace, {
      ...current,
      metadata: { ...current.metadata, labels },
      spec: want.spec,
    });
    logger.info('metrics API registration put back', { kind: type.kind, name });
  }

  /** Deletes the object only when this registration made it (a tenant's own metrics-server keeps its). */
  private async removeOwn(type: ResourceType, namespace: string, name: string): Promise<void> {
    const { virtual, logger } = this.o;
    let current: KubeObject;
    try {
      current = await virtual.get(type, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (current.metadata?.labels?.[METRICS_PROXY_LABEL] !== this.o.vcName) return;
    await virtual.delete(type, namespace, name, { uid: current.metadata?.uid });
    logger.info('metrics API integration off: its registration removed', { kind: type.kind, name });
  }
}
