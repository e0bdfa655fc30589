import { kubectl } from './clusters.ts';

/** One thing the generator did, for the record the fault suite writes. */
export interface WorkloadOp {
  at: string;
  op: string;
  ok: boolean;
}

/**
 * Keeps creating, updating and deleting tenant objects in a few virtual namespaces: config maps
 * (updated in place), secrets, bare pods that mount them, Services and Deployments. Every operation
 * is a kubectl call against the virtual cluster; failures are recorded, not thrown (a fault may be
 * under way). Deterministic for a seed.
 */
export class WorkloadGenerator {
  readonly ops: WorkloadOp[] = [];
  private readonly namespaces: string[];
  private readonly intervalMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private seed: number;
  private serial = 0;
  private readonly live = new Map<string, string[]>();

  constructor(opts: { namespaces: string[]; opsPerSecond: number; seed?: number }) {
    this.namespaces = opts.namespaces;
    this.intervalMs = 1000 / opts.opsPerSecond;
    this.seed = opts.seed ?? 1;
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

  private names(kind: string, ns: string): string[] {
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

  private async step(): Promise<void> {
    const ns = this.pick(this.namespaces)!;
    const n = ++this.serial;
    const roll = this.random();
    if (roll < 0.25) {
      const name = `cm-${n}`;
      const manifest = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: ns },
        data: { v: String(n) },
      };
      if (await this.run(`create configmap ${ns}/${name}`, ['apply', '-f', '-'], JSON.stringify(manifest)))
        this.names('cm', ns).push(name);
    } else if (roll < 0.4) {
      const name = this.pick(this.names('cm', ns));
      if (name)
        await this.run(`update configmap ${ns}/${name}`, [
          'patch',
          'configmap',
          name,
          '-n',
          ns,
          '--type=merge',
          '-p',
          JSON.stringify({ data: { v: String(n) } }),
        ]);
    } else if (roll < 0.65) {
      const name = `pod-${n}`;
      const cm = this.pick(this.names('cm', ns));
      const manifest = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns, labels: { app: 'load' } },
        spec: {
          containers: [
            { name: 'main', image: 'busybox', ...(cm ? { envFrom: [{ configMapRef: { name: cm } }] } : {}) },
          ],
        },
      };
      if (await this.run(`create pod ${ns}/${name}`, ['apply', '-f', '-'], JSON.stringify(manifest)))
        this.names('pod', ns).push(name);
    } else if (roll < 0.8) {
      const pods = this.names('pod', ns);
      const name = this.pick(pods);
      if (
        name &&
        (await this.run(`delete pod ${ns}/${name}`, ['delete', 'pod', name, '-n', ns, '--wait=false']))
      )
        pods.splice(pods.indexOf(name), 1);
    } else if (roll < 0.9) {
      const name = `svc-${n}`;
      const manifest = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns },
        spec: { selector: { app: 'load' }, ports: [{ port: 80 }] },
      };
      if (await this.run(`create service ${ns}/${name}`, ['apply', '-f', '-'], JSON.stringify(manifest)))
        this.names('svc', ns).push(name);
    } else {
      const services = this.names('svc', ns);
      const name = this.pick(services);
      if (
        name &&
        (await this.run(`delete service ${ns}/${name}`, [
          'delete',
          'service',
          name,
          '-n',
          ns,
          '--wait=false',
        ]))
      )
        services.splice(services.indexOf(name), 1);
    }
  }
}
