// What the informer caches pay per cached pod, in heap and in CPU, for each way of keeping it: as
// JSON.parse leaves it, with its strings interned (StringPool), and with its equal parts shared
// (SubtreePool, what the caches do). 10,000 host pods of one workload, each parsed from its own JSON
// as a watch event would deliver it; every mode runs in its own process, three rounds, the last one
// reported (the first ones warm the JIT up).
//
//   node bench/cache-parts.ts [--pods 10000] [--out bench/results]
//
// Results: bench/results/<date>-<commit>-cache-parts.{json,md}. It reports; it never passes or fails.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { REPO_ROOT } from '../hack/cluster/launcher.ts';
import { StringPool } from '../src/informer/string-pool.ts';
import { SubtreePool } from '../src/informer/subtree-pool.ts';
import { runLabel } from './lib/run-label.ts';

const MODES = ['as parsed', 'strings interned', 'parts shared'] as const;
type Mode = (typeof MODES)[number];

const { values: args } = parseArgs({
  options: {
    pods: { type: 'string', default: '10000' },
    mode: { type: 'string' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench/results') },
  },
});

/** A host pod as the syncer writes it and kwok runs it: what differs between pods is what differs in life. */
function hostPod(i: number): unknown {
  const second = String(i % 60).padStart(2, '0');
  const ip = `10.244.${(i >> 8) & 255}.${i & 255}`;
  const volume = `kube-api-access-${(i * 7919).toString(36).slice(-5)}`;
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: `web-7d4b9c6f5-${i}-x-shop-x-bench`,
      namespace: 'vc-bench',
      uid: `b06e03b7-b21c-4bf0-96fd-${String(i).padStart(12, '0')}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: `2026-12-01T19:29:${second}Z`,
      labels: {
        app: 'web',
        'pod-template-hash': '7d4b9c6f5',
        'vcluster.loft.sh/managed-by': 'bench',
        'vcluster.loft.sh/namespace': 'shop',
      },
      annotations: {
        'vcluster.loft.sh/managed-annotations':
          'vcluster.loft.sh/name\nvcluster.loft.sh/namespace\nvcluster.loft.sh/object-uid',
        'vcluster.loft.sh/name': `web-7d4b9c6f5-${i}`,
        'vcluster.loft.sh/namespace': 'shop',
        'vcluster.loft.sh/object-uid': `0f2a9c1e-77aa-4c3b-9e1d-${String(i).padStart(12, '0')}`,
      },
    },
    spec: {
      volumes: [
        {
          name: volume,
          projected: {
            sources: [
              { secret: { name: 'vsyncer-tokens-1a2b3c4d5e-3', items: [{ key: `k${i}`, path: 'token' }] } },
              {
                configMap: {
                  name: 'kube-root-ca.crt-x-shop-x-bench',
                  items: [{ key: 'ca.crt', path: 'ca.crt' }],
                },
              },
              {
                downwardAPI: {
                  items: [
                    {
                      path: 'namespace',
                      fieldRef: {
                        apiVersion: 'v1',
                        fieldPath: "metadata.annotations['vcluster.loft.sh/namespace']",
                      },
                    },
                  ],
                },
              },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: [
        {
          name: 'web',
          image: 'registry.k8s.io/pause:3.10',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: Array.from({ length: 8 }, (_, j) => ({
            name: `SVC_${j}_SERVICE_HOST`,
            value: `10.96.0.${j}`,
          })),
          resources: {},
          volumeMounts: [
            { name: volume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'None',
      serviceAccountName: 'vc-workload-bench',
      nodeName: `kwok-node-${i % 100}`,
      securityContext: {},
      hostname: `web-7d4b9c6f5-${i}`,
      schedulerName: 'default-scheduler',
      tolerations: ['not-ready', 'unreachable'].map((t) => ({
        key: `node.kubernetes.io/${t}`,
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      })),
      dnsConfig: {
        nameservers: ['10.96.0.10'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
        options: [{ name: 'ndots', value: '5' }],
      },
      enableServiceLinks: false,
      priority: 0,
    },
    status: {
      phase: 'Running',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: `2026-12-01T19:29:${second}Z`,
      })),
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: `2026-12-01T19:29:${second}Z`,
      containerStatuses: [
        {
          name: 'web',
          state: { running: { startedAt: `2026-12-01T19:29:${second}Z` } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: 'registry.k8s.io/pause:3.10',
          imageID: '',
          started: true,
        },
      ],
      qosClass: 'BestEffort',
    },
  };
}

/** Interns every string value, as the caches did before parts were shared. */
function internStrings(value: unknown, pool: StringPool): unknown {
  if (typeof value === 'string') return pool.intern(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = internStrings(value[i], pool);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key in record) record[key] = internStrings(record[key], pool);
  }
  return value;
}

interface ModeResult {
  mode: Mode;
  microsecondsPerPod: number;
  heapBytesPerPod: number;
}

/** One mode in this process: parse and keep every pod, timing the loop and weighing what stays. */
function measure(mode: Mode, pods: number): ModeResult {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const texts = Array.from({ length: pods }, (_, i) => JSON.stringify(hostPod(i)));
  let result: ModeResult | undefined;
  for (let round = 0; round < 3; round++) {
    const strings = new StringPool();
    const parts = new SubtreePool();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const kept: unknown[] = [];
    const start = process.hrtime.bigint();
    for (const text of texts) {
      const pod = JSON.parse(text) as Record<string, unknown>;
      if (mode === 'strings interned') internStrings(pod, strings);
      else if (mode === 'parts shared') parts.shareParts(pod);
      kept.push(pod);
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    if (kept.length !== pods) throw new Error('pods were lost');
    // Let go now: a round's array can otherwise stay reachable from the optimized loop into the next round's baseline.
    kept.length = 0;
    result = {
      mode,
      microsecondsPerPod: Math.round((elapsed / pods) * 10) / 10,
      heapBytesPerPod: Math.round((heapAfter - heapBefore) / pods),
    };
  }
  return result!;
}

function main(): void {
  const pods = Number(args.pods);
  if (!Number.isInteger(pods) || pods <= 0)
    throw new Error(`--pods must be a positive integer, not '${args.pods}'`);
  if (args.mode) {
    if (!MODES.includes(args.mode as Mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
    process.stdout.write(JSON.stringify(measure(args.mode as Mode, pods)));
    return;
  }
  const label = runLabel();
  const self = fileURLToPath(import.meta.url);
  const results = MODES.map(
    (mode) =>
      JSON.parse(
        execFileSync(process.execPath, [self, '--mode', mode, '--pods', String(pods)], { encoding: 'utf8' }),
      ) as ModeResult,
  );
  const jsonBytes = JSON.stringify(hostPod(0)).length;
  const lines = [
    `# Cached pod cost by way of keeping it (${label.date}, ${label.commit})`,
    '',
    `Machine: ${label.cores} cores, load ${label.loadavg[0]!.toFixed(2)}; Node ${process.version}. ${pods} host pods of one workload, ${jsonBytes} bytes of JSON each. Generated by \`node bench/cache-parts.ts\`.`,
    '',
    '| kept | µs per pod (parse included) | heap bytes per pod |',
    '| --- | --- | --- |',
    ...results.map((r) => `| ${r.mode} | ${r.microsecondsPerPod} | ${r.heapBytesPerPod} |`),
    '',
  ];
  const base = join(args.out!, `${label.date}-${label.commit}-cache-parts`);
  writeFileSync(
    `${base}.json`,
    JSON.stringify({ meta: { ...label, pods, jsonBytes }, results }, null, 2) + '\n',
  );
  writeFileSync(`${base}.md`, lines.join('\n'));
  process.stdout.write(lines.join('\n') + `written: ${base}.json, .md\n`);
}

main();
