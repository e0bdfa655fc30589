import { Resources } from '../kube/resources.ts';
import { HOST_NS, VC, type Seed } from './state-table.ts';

/**
 * What every pod sync in a state table needs: the host Service of the virtual API, the virtual DNS
 * Service and the tenant namespace `team`.
 */
export const podInfrastructure: { virtual: Seed[]; host: Seed[] } = {
  virtual: [
    [
      Resources.services,
      { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
    ],
    [Resources.namespaces, { metadata: { name: 'team', labels: { env: 'prod' } } }],
  ],
  host: [
    [
      Resources.services,
      {
        metadata: { name: VC, namespace: HOST_NS },
        spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] },
      },
    ],
  ],
};
