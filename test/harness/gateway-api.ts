import { join } from 'node:path';
import { mustKubectl, type Cluster } from './objects.ts';

/** Gateway API v1.6.3, standard channel (see the file's header). */
const CRDS = join(import.meta.dirname, '..', 'fixtures', 'gateway-api-crds.yaml');
const CRD_NAMES = [
  'gatewayclasses',
  'gateways',
  'httproutes',
  'grpcroutes',
  'tlsroutes',
  'referencegrants',
  'backendtlspolicies',
].map((r) => `crd/${r}.gateway.networking.k8s.io`);

/**
 * Installs the Gateway API CRDs (server-side: they are too large for the last-applied annotation)
 * and waits until they are served. Other tests share the clusters: they are left in place.
 */
export async function installGatewayApiCrds(cluster: Cluster): Promise<void> {
  await mustKubectl(cluster, ['apply', '--server-side', '--force-conflicts', '-f', CRDS]);
  await mustKubectl(cluster, ['wait', '--for=condition=Established', '--timeout=60s', ...CRD_NAMES]);
}
