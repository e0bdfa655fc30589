import type { KubeObject } from '../kube/object.ts';
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

/** The secret sources of a host pod's volume `volume` (a projected token volume): where it reads its tokens. */
export function tokenVolumeSecrets(
  pod: KubeObject | undefined,
  volume: string,
): ({ name: string; items: { key: string }[] } | undefined)[] {
  const spec = pod?.spec as
    | {
        volumes?: {
          name: string;
          projected?: { sources?: { secret?: { name: string; items: { key: string }[] } }[] };
        }[];
      }
    | undefined;
  return (spec?.volumes ?? [])
    .filter((v) => v.name === volume)
    .flatMap((v) => v.projected?.sources ?? [])
    .map((s) => s.secret);
}
