// The opt-in real node of the host cluster (hack/realnode): real processes, real pod IPs, and a
// ClusterIP Service that carries an HTTP request from one pod on the node to another.
import { readRealNodeInfo, type RealNodeInfo } from '../../hack/realnode/realnode.ts';
import { testClusters, waitFor } from '../harness/clusters.ts';
import { apply, getObject, mustKubectl } from '../harness/objects.ts';
import { uniqueName } from '../harness/syncer.ts';

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    containerStatuses?: { state?: { terminated?: { exitCode: number; message?: string } } }[];
  };
}

const enabled = process.env.VSYNC_REAL_NODE === '1';
const ns = uniqueName('realnode');
let node: RealNodeInfo;

/** A pod pinned to the real node: it tolerates the node's taint and selects its label. */
function realNodePod(name: string, labels: Record<string, string>, container: Record<string, unknown>) {
  const [labelKey, labelValue] = node.label.split('=') as [string, string];
  const taintKey = node.taint.split('=')[0]!;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeSelector: { [labelKey]: labelValue },
      tolerations: [{ key: taintKey, operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      restartPolicy: 'Never',
      containers: [{ name: 'main', imagePullPolicy: 'Never', ...container }],
    },
  };
}

const pod = (name: string) => getObject<Pod>('host', ['pod', name, '-n', ns]);

// Starting a kubelet, containerd and kube-proxy needs root and changes the machine's iptables, so
// it is opt-in: `VSYNC_REAL_NODE=1 make test` (or cli.ts up) starts it beside the kwok nodes.
(enabled ? describe : describe.skip)(
  enabled ? 'real node' : 'real node (skipped: set VSYNC_REAL_NODE=1 to start the real kubelet node)',
  () => {
    beforeAll(async () => {
      const info = readRealNodeInfo(testClusters().stateDir);
      if (!info) throw new Error('VSYNC_REAL_NODE=1 but the test clusters have no real node (realnode.json)');
      node = info;
      await mustKubectl('host', ['create', 'namespace', ns]);
    });

    afterAll(async () => {
      await mustKubectl('host', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    });

    it('runs a pod with a real IP that answers HTTP, and a Service carries a request from another pod', async () => {
      await apply('host', realNodePod('web', { app: 'web' }, { image: node.images.httpserver }));
      const web = await waitFor(
        'web pod Running on the real node',
        async () => {
          const p = await pod('web');
          return p?.status?.phase === 'Running' && !!p.status.podIP && p;
        },
        60_000,
      );
      expect(web.spec.nodeName).toBe(node.node);
      const [net, bits] = node.podCIDR.split('/') as [string, string];
      expect(bits).toBe('24');
      expect(web.status!.podIP!.startsWith(net.replace(/\.0$/, '.'))).toBe(true);

      // From this machine straight to the pod IP, over the node's bridge.
      const direct = await waitFor(
        'an answer from the pod IP',
        async () => {
          const res = await fetch(`http://${web.status!.podIP}:8080/direct`, {
            signal: AbortSignal.timeout(3000),
          });
          return res.ok && res.text();
        },
        30_000,
      );
      expect(direct).toContain('hostname=web\n');
      expect(direct).toContain('path=/direct');

      await apply('host', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      });
      const svc = (await getObject<{ spec: { clusterIP: string } }>('host', ['service', 'web', '-n', ns]))!;
      // Another pod on the node fetches through the ClusterIP (kube-proxy's iptables rules); kube-proxy
      // may need a moment for the new endpoints, so the client retries for a while.
      await apply(
        'host',
        realNodePod(
          'client',
          {},
          {
            image: node.images.busybox,
            command: [
              'sh',
              '-c',
              `for i in $(seq 1 20); do if printf 'GET /via-service HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${svc.spec.clusterIP} 80 > /tmp/out && grep -q hostname= /tmp/out; then break; fi; sleep 1; done; (cat /tmp/out; echo "self=$(hostname -i)") > /dev/termination-log`,
            ],
          },
        ),
      );
      const done = await waitFor(
        'client pod finished',
        async () => {
          const p = await pod('client');
          return p?.status?.containerStatuses?.[0]?.state?.terminated && p;
        },
        90_000,
      );
      const message = done.status!.containerStatuses![0]!.state!.terminated!.message ?? '';
      expect(message).toContain('HTTP/1.0 200 OK');
      expect(message).toContain('hostname=web\n');
      expect(message).toContain('path=/via-service');
      // The request arrived from the client pod's own IP: real pod-to-pod traffic, not the node's.
      const self = /self=(\S+)/.exec(message)?.[1];
      expect(self).toBe(done.status!.podIP);
      expect(message).toContain(`client=${self}:`);
    }, 180_000);
  },
);
