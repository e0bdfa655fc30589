// Startup time of a virtual cluster installed with the Helm chart, on the local host cluster's real
// node: from `helm install` to the control-plane pod Ready, to the virtual API server answering, and to
// the first tenant pod Running (created as soon as the API answers), the figure vCluster is known for.
// Each round installs a fresh release into a fresh namespace and uninstalls it.
//
//   node bench/chart-startup.ts [--rounds 3] [--state-dir DIR] [--out bench/results]
//
// --state-dir reuses running clusters with a real node (VSYNC_REAL_NODE=1 make up, or the tests');
// without it the script starts its own (VSYNC_REAL_NODE=1) and stops them at the end. Building and
// importing the images happens first and is not timed. Results: bench/results/<date>-<commit>-chart-startup.{json,md}.
// It reports; it never passes or fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  readClusterInfo,
  REPO_ROOT,
  SERVICE_CIDR,
  startClusters,
  stopClusters,
} from '../hack/cluster/launcher.ts';
import { readRealNodeInfo, realNodePlacement } from '../hack/realnode/realnode.ts';
import {
  buildAndImportImages,
  CHART_DIR,
  createDataVolume,
  helm,
  localValues,
  portForward,
  run,
  tenantKubeconfig,
  type HostAccess,
} from '../test/harness/chart.ts';
import { runLabel } from './lib/run-label.ts';
import { secs, summarize } from './lib/stats.ts';
import { waitFor } from '../test/harness/clusters.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'state-dir': { type: 'string' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench/results') },
  },
});

interface Round {
  helmInstallSeconds: number;
  podReadySeconds: number;
  apiAnsweringSeconds: number;
  firstPodRunningSeconds: number;
  uninstallSeconds: number;
}

const log = (line: string) => process.stderr.write(line + '\n');
/** The harness's wait, polled every 100 ms: the times it ends at are what this measures. */
const until = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number) =>
  waitFor(what, fn, timeoutMs, 100);

async function main(): Promise<void> {
  const ownClusters = !args['state-dir'];
  const stateDir = args['state-dir'] ?? mkdtempSync(join(tmpdir(), 'vsyncer-bench-chart-'));
  if (ownClusters) {
    process.env.VSYNC_REAL_NODE = '1';
    await startClusters({ stateDir, ownerPid: process.pid, log });
  }
  try {
    const clusters = readClusterInfo(stateDir);
    const node = readRealNodeInfo(stateDir);
    if (!node) throw new Error(`${stateDir} has no real node (start the clusters with VSYNC_REAL_NODE=1)`);
    const host: HostAccess = { kubectl: clusters.kubectl, kubeconfig: clusters.host.kubeconfig, stateDir };
    log('building and importing the images (not timed)');
    const images = buildAndImportImages();
    const values = localValues(node, images, SERVICE_CIDR);
    const rounds: Round[] = [];
    for (let i = 0; i < Number(args.rounds); i++) {
      rounds.push(await oneRound(host, node, values, `bench-start-${process.pid}-${i}`));
      log(`round ${i + 1}: ${JSON.stringify(rounds.at(-1))}`);
    }
    writeResults(rounds, images);
  } finally {
    if (ownClusters) {
      await stopClusters(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    }
  }
}

async function oneRound(
  host: HostAccess,
  node: NonNullable<ReturnType<typeof readRealNodeInfo>>,
  values: Record<string, unknown>,
  release: string,
): Promise<Round> {
  const ns = release;
  const ctl = (a: string[], input?: string) =>
    run(host.kubectl, ['--kubeconfig', host.kubeconfig, ...a], input);
  await ctl(['create', 'namespace', ns]);
  await createDataVolume(host, node, `data-${release}`);
  const t0 = Date.now();
  const since = () => (Date.now() - t0) / 1000;
  const installed = await helm(host, ['install', release, CHART_DIR, '-n', ns], values);
  if (installed.code !== 0) throw new Error(`helm install: ${installed.stderr}`);
  const helmInstallSeconds = since();
  // The virtual API server answering: its /readyz through the host API's pod proxy (no credentials,
  // no port-forward needed, and independent of the pod's readiness, which waits for the syncer too).
  await until(
    'virtual API server /readyz',
    async () =>
      (
        await ctl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/https:${release}-0:6443/proxy/readyz`])
      ).stdout.trim() === 'ok',
    300_000,
  );
  const apiAnsweringSeconds = since();
  const podReadySeconds = await until(
    'control-plane pod Ready',
    async () => {
      const res = await ctl([
        'get',
        'pod',
        `${release}-0`,
        '-n',
        ns,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      return res.stdout === 'True' && since();
    },
    300_000,
  );
  // The tenant: the exported kubeconfig through a port-forward, then one pod on the real node.
  const forward = await portForward(host, ns, release);
  try {
    const kubeconfig = await until(
      'tenant kubeconfig',
      () => tenantKubeconfig(host, ns, `vc-${release}`, forward.url),
      120_000,
    );
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'first', namespace: 'default' },
      spec: {
        ...realNodePlacement(node),
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: node.images.httpserver, imagePullPolicy: 'Never' }],
      },
    };
    const tenant = (a: string[], input?: string) =>
      run(host.kubectl, ['--kubeconfig', kubeconfig, ...a], input);
    // The default service account appears a moment after the API answers; creation retries until it does.
    await until(
      'the first pod created',
      async () => (await tenant(['create', '-f', '-'], JSON.stringify(pod))).code === 0,
      120_000,
    );
    const firstPodRunningSeconds = await until(
      'the first pod Running',
      async () =>
        (await tenant(['get', 'pod', 'first', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' &&
        since(),
      300_000,
    );
    const u0 = Date.now();
    await helm(host, ['uninstall', release, '-n', ns, '--wait']);
    const uninstallSeconds = (Date.now() - u0) / 1000;
    return {
      helmInstallSeconds,
      podReadySeconds,
      apiAnsweringSeconds,
      firstPodRunningSeconds,
      uninstallSeconds,
    };
  } finally {
    forward.stop();
    await ctl(['delete', 'namespace', ns, '--wait=false']);
    await ctl(['delete', 'pv', `data-${release}`, '--wait=false']);
  }
}

function writeResults(rounds: Round[], images: { syncer: string; controlPlane: string }): void {
  const run = runLabel();
  const { date } = run;
  const meta = { ...run, images, distro: 'vanilla (kube-apiserver, kube-controller-manager, etcd)' };
  const keys: (keyof Round)[] = [
    'helmInstallSeconds',
    'apiAnsweringSeconds',
    'podReadySeconds',
    'firstPodRunningSeconds',
    'uninstallSeconds',
  ];
  const label: Record<keyof Round, string> = {
    helmInstallSeconds: '`helm install` returned',
    apiAnsweringSeconds: 'virtual API server answers (/readyz)',
    podReadySeconds: 'control-plane pod Ready',
    firstPodRunningSeconds: 'first tenant pod Running',
    uninstallSeconds: '`helm uninstall --wait` (from its start)',
  };
  const md = [
    `# Chart startup, ${date} (${meta.commit})`,
    '',
    `${rounds.length} rounds on ${meta.cores} cores (load ${meta.loadavg.map((l) => l.toFixed(2)).join(' ')}); ${meta.distro}; seconds from \`helm install\` unless noted.`,
    '',
    '| step | min | median | max |',
    '| --- | --- | --- | --- |',
    ...keys.map((k) => {
      const samples = rounds.map((r) => r[k]);
      const s = summarize(samples);
      return `| ${label[k]} | ${secs(Math.min(...samples))} | ${secs(s.p50)} | ${secs(s.max)} |`;
    }),
    '',
  ].join('\n');
  const base = join(args.out!, `${date}-${meta.commit}-chart-startup`);
  writeFileSync(`${base}.json`, JSON.stringify({ meta, rounds }, null, 2) + '\n');
  writeFileSync(`${base}.md`, md);
  console.log(md);
}

await main();
