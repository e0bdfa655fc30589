// The chart rendered with its lookups answered by the test host API server (`helm template
// --dry-run=server`), and the host objects that stand for what earlier releases left there: for
// the checks the chart makes at install and upgrade, with nothing installed.
import type { KubeObject } from '../../src/kube/object.ts';
import { CHART_DIR, helmBinary, run } from './chart.ts';
import { testClusters } from './clusters.ts';

/** Renders the chart for `release` in `namespace`, lookups against the host API server. */
export async function renderAgainstHost(release: string, namespace: string, set: readonly string[] = []) {
  const { host } = testClusters();
  return run(helmBinary(), [
    'template',
    release,
    CHART_DIR,
    '--kubeconfig',
    host.kubeconfig,
    '--namespace',
    namespace,
    '--dry-run=server',
    '--kube-version',
    '1.37.2',
    ...set.flatMap((s) => ['--set', s]),
  ]);
}

/** A StatefulSet of no replicas under `name`, with the labels and annotations a release gave it (and the chart's default pod management). */
export function standInStatefulSet(
  name: string,
  namespace: string,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, ...meta },
    spec: {
      serviceName: `${name}-headless`,
      replicas: 0,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'k3s', image: 'rancher/k3s:v1.34.1-k3s1' }] },
      },
      // The data claim the chart's defaults make (persistence.*).
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
        },
      ],
    },
  };
}
