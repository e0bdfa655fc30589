import { kubectl } from './clusters.ts';

/** One thing the generator did, for the record the fault suite writes. */
export interface WorkloadOp {
  at: string;
  op: string;
  ok: boolean;
}

export interface WorkloadOptions {
  namespaces: string[];
  opsPerSecond: number;
  seed?: number;
  /**
   * A StorageClass the host has, named by the claims the generator makes. Without one it makes no
   * claims (a claim naming a class the host lacks is refused by the syncer, not synced).
   */
  storageClass?: string;
  /** Starts every name the generator gives (default `g<seed>`); generators that share namespaces need their own. */
  namePrefix?: string;
}

/** An object as the generator applies it. */
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

type Kind = 'cm' | 'secret' | 'pod' | 'svc' | 'deploy' | 'pvc';

/**
 * Keeps creating, updating and deleting tenant objects in a few virtual namespaces: config maps and
 * secrets (updated in place, and deleted, sometimes while a pod still reads them), bare pods that read
 * them, Services, Deployments (scaled and rolled) and PersistentVolumeClaims. Every operation is a
 * kubectl call against the virtual cluster; failures are recorded, not thrown (a fault may be under
 * way). Deterministic for a seed.
 */
export class WorkloadGenerator {
  readonly ops: WorkloadOp[] = [];
  private readonly namespaces: string[];
  private readonly intervalMs: number;
  private readonly storageClass: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private seed: number;
  private serial = 0;
  private readonly live = new Map<string, string[]>();
  private readonly prefix: string;

  constructor(opts: WorkloadOptions) {
    this.namespaces = opts.namespaces;
    this.intervalMs = 1000 / opts.opsPerSecond;
    this.seed = opts.seed ?? 1;
    this.prefix = opts.namePrefix ?? `g${this.seed}`;
    this.storageClass = opts.storageClass;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        await this.step();
        await new Promise((r) => setTimeout(r, Math.max(0, this.intervalMs - (Date.now() - started))));
      }
    })();
  }

  async stop(): Promise<WorkloadOp[]> {
    this.running = false;
    await this.loop;
    return this.ops;
  }

  private random(): number {
    // xorshift: repeatable for a seed.
    this.seed ^= this.seed << 13;
    this.seed ^= this.seed >>> 17;
    this.seed ^= this.seed << 5;
    return (this.seed >>> 0) / 0x100000000;
  }

  private pick<T>(list: T[]): T | undefined {
    return list.length ? list[Math.floor(this.random() * list.length)] : undefined;
  }

  private names(kind: Kind, ns: string): string[] {
    const key = `${kind}/${ns}`;
    if (!this.live.has(key)) this.live.set(key, []);
    return this.live.get(key)!;
  }

  private async run(op: string, args: string[], input?: string): Promise<boolean> {
    const res = await kubectl('virtual', args, input).catch(() => ({ code: 1 }));
    const ok = res.code === 0;
    this.ops.push({ at: new Date().toISOString(), op, ok });
    return ok;
  }

  private async create(kind: Kind, ns: string, manifest: Manifest) {
    const name = manifest.metadata.name;
    const ok = await this.run(
      `create ${manifest.kind.toLowerCase()} ${ns}/${name}`,
      ['apply', '-f', '-'],
      JSON.stringify(manifest),
    );
    if (ok) this.names(kind, ns).push(name);
    return ok;
  }

  private async patch(kind: Kind, resource: string, ns: string, patch: object): Promise<void> {
    const name = this.pick(this.names(kind, ns));
    if (!name) return;
    await this.run(`update ${resource} ${ns}/${name}`, [
      'patch',
      resource,
      name,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify(patch),
    ]);
  }

  /**
   * Deletes one live object of the kind. A config map or secret is deleted while pods already on the
   * host read it (their copies stay for them), but not while a pod not yet there needs it: the syncer
   * holds such a pod until it exists (as a kubelet would never start it), for good.
   */
  private async remove(kind: Kind, resource: string, ns: string) {
    const names = this.names(kind, ns);
    const name = this.pick(names);
    if (!name) return;
    if ((kind === 'cm' || kind === 'secret') && (await this.neededByPodNotStarted(ns, name))) return;
    const ok = await this.run(`delete ${resource} ${ns}/${name}`, [
      'delete',
      resource,
      name,
      '-n',
      ns,
      '--wait=false',
    ]);
    if (ok) names.splice(names.indexOf(name), 1);
  }

  /** Whether a pod that has no node yet names this object (names are unique per kind); true when unknown. */
  private async neededByPodNotStarted(ns: string, name: string): Promise<boolean> {
    const res = await kubectl('virtual', ['get', 'pods', '-n', ns, '-o', 'json']).catch(() => undefined);
    if (res?.code !== 0) return true;
    const pods = (JSON.parse(res.stdout) as { items: { spec: { nodeName?: string } }[] }).items;
    return pods.some((pod) => !pod.spec.nodeName && JSON.stringify(pod.spec).includes(`"${name}"`));
  }

  private async step(): Promise<void> {
    const ns = this.pick(this.namespaces)!;
    const n = ++this.serial;
    const roll = this.random();
    // Cumulative shares of each operation; claims only with a StorageClass.
    const ops: [number, () => Promise<unknown>][] = [
      [0.14, () => this.createConfigMap(ns, n)],
      [0.08, () => this.patch('cm', 'configmap', ns, { data: { v: String(n) } })],
      [0.04, () => this.remove('cm', 'configmap', ns)],
      [0.07, () => this.createSecret(ns, n)],
      [0.04, () => this.patch('secret', 'secret', ns, { stringData: { v: String(n) } })],
      [0.03, () => this.remove('secret', 'secret', ns)],
      [0.15, () => this.createPod(ns, n)],
      [0.1, () => this.remove('pod', 'pod', ns)],
      [0.06, () => this.createService(ns, n)],
      [0.04, () => this.remove('svc', 'service', ns)],
      [0.04, () => this.createDeployment(ns, n)],
      [0.03, () => this.patch('deploy', 'deployment', ns, { spec: { replicas: 1 + (n % 3) } })],
      [
        0.03,
        () =>
          this.patch('deploy', 'deployment', ns, {
            spec: { template: { metadata: { annotations: { rev: String(n) } } } },
          }),
      ],
      [0.03, () => this.remove('deploy', 'deployment', ns)],
      ...(this.storageClass
        ? ([
            [0.05, () => this.createClaim(ns, n)],
            [0.03, () => this.patch('pvc', 'pvc', ns, { metadata: { labels: { rev: String(n) } } })],
            [0.04, () => this.remove('pvc', 'pvc', ns)],
          ] satisfies [number, () => Promise<unknown>][])
        : []),
    ];
    const total = ops.reduce((sum, [share]) => sum + share, 0);
    let at = roll * total;
    for (const [share, op] of ops) {
      if (at < share) {
        await op();
        return;
      }
      at -= share;
    }
  }

  private createConfigMap(ns: string, n: number) {
    return this.create('cm', ns, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${this.prefix}-cm-${n}`, namespace: ns },
      data: { v: String(n) },
    });
  }

  private createSecret(ns: string, n: number) {
    return this.create('secret', ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${this.prefix}-secret-${n}`, namespace: ns },
      type: 'Opaque',
      stringData: { v: String(n) },
    });
  }

  private async createPod(ns: string, n: number) {
    const name = `${this.prefix}-pod-${n}`;
    const refs = {
      cm: this.pick(this.names('cm', ns)),
      secret: this.pick(this.names('secret', ns)),
    };
    const envFrom = [
      ...(refs.cm ? [{ configMapRef: { name: refs.cm } }] : []),
      ...(refs.secret ? [{ secretRef: { name: refs.secret } }] : []),
    ];
    await this.create('pod', ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app: 'load' } },
      spec: { containers: [{ name: 'main', image: 'busybox', ...(envFrom.length ? { envFrom } : {}) }] },
    });
  }

  private createService(ns: string, n: number) {
    return this.create('svc', ns, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${this.prefix}-svc-${n}`, namespace: ns },
      spec: { selector: { app: 'load' }, ports: [{ port: 80 }] },
    });
  }

  private createDeployment(ns: string, n: number) {
    const name = `${this.prefix}-deploy-${n}`;
    return this.create('deploy', ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        replicas: 1 + (n % 2),
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'main', image: 'busybox' }] },
        },
      },
    });
  }

  private createClaim(ns: string, n: number) {
    return this.create('pvc', ns, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${this.prefix}-claim-${n}`, namespace: ns },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        storageClassName: this.storageClass,
      },
    });
  }
}
