import type { KubeObject } from '../../kube/object.ts';
import { Resources } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type Seed, type StateTable } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PODS = Resources.pods;
const SERVICES = Resources.services;

/** The host Service of the virtual API, and a tenant namespace. */
const virtualApi: Seed = [
  SERVICES,
  { metadata: { name: VC, namespace: HOST_NS }, spec: { clusterIP: '10.96.0.50', ports: [{ port: 443 }] } },
];
const team: Seed = [Resources.namespaces, { metadata: { name: 'team' } }];

/** The tenant's Service `db`, as the virtual API server made it: with an IP of its own choosing. */
const db: Seed = [
  SERVICES,
  {
    metadata: { name: 'db', namespace: 'team' },
    spec: { clusterIP: '10.96.1.7', ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] },
  },
];

/** On the host, 10.96.1.7 (db's virtual IP) belongs to a Service of another virtual cluster. */
const othersService: Seed = [
  SERVICES,
  {
    metadata: {
      name: 'db-x-team-x-other',
      namespace: HOST_NS,
      labels: { 'vcluster.loft.sh/managed-by': 'other' },
    },
    spec: { clusterIP: '10.96.1.7', ports: [{ port: 5432 }] },
  },
];

const pod = (name: string): Seed => [
  PODS,
  {
    metadata: { name, namespace: 'team', uid: `uid-${name}` },
    spec: { containers: [{ name: 'main', image: 'app:1' }] },
    status: { phase: 'Pending' },
  },
];

/** What the host pods' first containers are given for DB_SERVICE_HOST, by pod. */
const dbHostVariable = (t: StateTable) =>
  Object.fromEntries(
    t.host.objects(PODS, HOST_NS).map((p) => {
      const env = (p.spec as { containers: { env?: { name: string; value?: string }[] }[] }).containers[0]!
        .env;
      return [p.metadata?.name, env?.find((e) => e.name === 'DB_SERVICE_HOST')?.value];
    }),
  );

const hostCopyIp = (t: StateTable, name: string) =>
  (
    t.host.objects(SERVICES, HOST_NS).find((s) => s.metadata?.name === name)?.spec as
      { clusterIP?: string } | undefined
  )?.clusterIP;

/** Pods and Services synced, with the tenant's Service `db` and no pod yet. */
const withDb = (host: Seed[] = []) =>
  start({
    kinds: ['pods', 'services'],
    flags: { clusterDnsIp: '10.96.0.10' },
    virtual: [team, db],
    host: [virtualApi, ...host],
  });

describe("pods' service link variables (<NAME>_SERVICE_HOST, ...)", () => {
  it("give a new Service's host copy IP, never the virtual cluster's first choice, which on the host is another tenant's", async () => {
    const t = await start({
      kinds: ['pods', 'services'],
      flags: { clusterDnsIp: '10.96.0.10' },
      virtual: [team, db, pod('web')],
      host: [virtualApi, othersService],
    });
    for (let i = 0; i < 4; i++) {
      t.clock.advance(1_000);
      await t.settle();
    }
    const copyIp = hostCopyIp(t, `db-x-team-x-${VC}`);
    expect(copyIp).toMatch(/^10\.96\.2\./);
    expect(dbHostVariable(t)).toEqual({ [`web-x-team-x-${VC}`]: copyIp });
  });

  it("hold a new pod while its Service is re-created with the host's IP, not start it without that Service's variables", async () => {
    const t = await withDb([othersService]);
    // The services kind deletes the virtual Service and makes it again with its copy's IP; the pod
    // comes between the two, while only the delete has reached the caches.
    t.virtual.actOnNext('create', 'services', () => t.virtual.holdWatchEvents('services'));
    await t.settle();
    await t.virtual.create(PODS, 'team', pod('web')[1] as KubeObject);
    await t.settle();
    expect(t.host.objects(PODS, HOST_NS)).toEqual([]);
    t.virtual.releaseWatchEvents();
    await t.settle();
    const copyIp = hostCopyIp(t, `db-x-team-x-${VC}`);
    expect(copyIp).toMatch(/^10\.96\.2\./);
    expect(dbHostVariable(t)).toEqual({ [`web-x-team-x-${VC}`]: copyIp });
  });

  it('start a new pod without a Service the tenant deleted once its host copy is gone too', async () => {
    const t = await withDb();
    await t.settle();
    expect(hostCopyIp(t, `db-x-team-x-${VC}`)).toBe('10.96.1.7');
    // The copy's delete reaches the cache late: until it does, the pod cannot tell a delete from a re-create.
    t.host.holdWatchEvents('services');
    await t.virtual.delete(SERVICES, 'team', 'db');
    await t.virtual.create(PODS, 'team', pod('web')[1] as KubeObject);
    await t.settle();
    expect(t.host.objects(SERVICES, HOST_NS).map((s) => s.metadata?.name)).toEqual([VC]);
    expect(t.host.objects(PODS, HOST_NS)).toEqual([]);
    t.host.releaseWatchEvents();
    await t.settle();
    expect(dbHostVariable(t)).toStrictEqual({ [`web-x-team-x-${VC}`]: undefined });
  });

  it("do not wait for a deleted Service whose host copy a host controller's finalizer holds", async () => {
    const t = await withDb();
    await t.settle();
    // A cloud controller's load-balancer cleanup holds the copy for minutes once it is deleted.
    const copy = t.host.objects(SERVICES, HOST_NS).find((s) => s.metadata?.name === `db-x-team-x-${VC}`)!;
    await t.host.update(SERVICES, HOST_NS, {
      ...copy,
      metadata: { ...copy.metadata, finalizers: ['service.kubernetes.io/load-balancer-cleanup'] },
    });
    await t.virtual.delete(SERVICES, 'team', 'db');
    await t.settle();
    const held = t.host.objects(SERVICES, HOST_NS).find((s) => s.metadata?.name === `db-x-team-x-${VC}`);
    expect(held?.metadata?.deletionTimestamp).toBeDefined();
    await t.virtual.create(PODS, 'team', pod('web')[1] as KubeObject);
    await t.settle();
    expect(dbHostVariable(t)).toStrictEqual({ [`web-x-team-x-${VC}`]: undefined });
  });

  it('leave out a Service whose host copy does not come, once a new pod has waited for it a while', async () => {
    // The host name of `db`'s copy is held by an object that is not its copy: the copy is refused.
    const squatter: Seed = [
      SERVICES,
      {
        metadata: { name: `db-x-team-x-${VC}`, namespace: HOST_NS },
        spec: { clusterIP: '10.96.3.3', ports: [{ port: 5432 }] },
      },
    ];
    const t = await start({
      kinds: ['pods', 'services'],
      flags: { clusterDnsIp: '10.96.0.10' },
      virtual: [team, db, pod('web')],
      host: [virtualApi, squatter],
    });
    await t.settle();
    expect(t.host.objects(PODS, HOST_NS)).toEqual([]);
    for (let i = 0; i < 4; i++) {
      t.clock.advance(10_000);
      await t.delivered();
      await t.settle();
    }
    // Neither the squatter's IP nor the virtual one: none, as for a Service made after the pod.
    expect(dbHostVariable(t)).toStrictEqual({ [`web-x-team-x-${VC}`]: undefined });
  });

  it("waits for no Service the services kind does not copy: a new cluster's default/kubernetes holds no pod", async () => {
    const kubernetes: Seed = [
      SERVICES,
      {
        metadata: { name: 'kubernetes', namespace: 'default' },
        spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] },
      },
    ];
    const t = await start({
      kinds: ['pods', 'services'],
      flags: { clusterDnsIp: '10.96.0.10' },
      virtual: [
        [Resources.namespaces, { metadata: { name: 'default' } }],
        kubernetes,
        [
          PODS,
          {
            ...(pod('web')[1] as KubeObject),
            metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
          },
        ],
      ],
      host: [virtualApi],
    });
    await t.settle();
    expect(t.host.objects(PODS, HOST_NS).map((p) => p.metadata?.name)).toEqual([`web-x-default-x-${VC}`]);
  });

  it('waits for no Service another tool controls (vcluster.loft.sh/controlled-by): the syncer never copies it', async () => {
    const controlled = db[1] as KubeObject;
    const t = await start({
      kinds: ['pods', 'services'],
      flags: { clusterDnsIp: '10.96.0.10' },
      virtual: [
        team,
        [
          SERVICES,
          {
            ...controlled,
            metadata: { ...controlled.metadata, labels: { 'vcluster.loft.sh/controlled-by': 'other-tool' } },
          },
        ],
        pod('web'),
      ],
      host: [virtualApi],
    });
    await t.settle();
    expect(dbHostVariable(t)).toStrictEqual({ [`web-x-team-x-${VC}`]: undefined });
  });

  it('holds no pod past 30 s from its own creation, whatever Services keep appearing', async () => {
    // The pod waits for its Secret first; the host name of db's copy is held by another's object.
    const squatter: Seed = [
      SERVICES,
      { metadata: { name: `db-x-team-x-${VC}`, namespace: HOST_NS }, spec: { clusterIP: '10.96.3.3' } },
    ];
    const webNeedingSecret: Seed = [
      PODS,
      {
        ...(pod('web')[1] as KubeObject),
        spec: {
          containers: [
            {
              name: 'main',
              image: 'app:1',
              env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }],
            },
          ],
        },
      },
    ];
    const t = await start({
      kinds: ['pods', 'services', 'secrets'],
      flags: { clusterDnsIp: '10.96.0.10' },
      virtual: [team, webNeedingSecret],
      host: [virtualApi, squatter],
    });
    await t.settle();
    // 29 s on, the Secret comes, and a Service whose copy is refused.
    for (let i = 0; i < 29; i++) {
      t.clock.advance(1_000);
      await t.delivered();
    }
    await t.virtual.create(SERVICES, 'team', db[1] as KubeObject);
    await t.virtual.create(Resources.secrets, 'team', {
      metadata: { name: 'creds', namespace: 'team' },
      data: { password: 'eA==' },
    } as KubeObject);
    await t.settle();
    expect(t.host.objects(PODS, HOST_NS)).toEqual([]);
    t.clock.advance(1_000);
    await t.delivered();
    await t.settle();
    expect(dbHostVariable(t)).toStrictEqual({ [`web-x-team-x-${VC}`]: undefined });
  });

  it('a pod with enableServiceLinks: false does not wait for a new Service', async () => {
    const t = await start({
      kinds: ['pods', 'services'],
      flags: { clusterDnsIp: '10.96.0.10' },
      virtual: [
        team,
        db,
        [
          PODS,
          {
            ...(pod('web')[1] as KubeObject),
            spec: { containers: [{ name: 'main', image: 'app:1' }], enableServiceLinks: false },
          },
        ],
      ],
      host: [
        virtualApi,
        [
          SERVICES,
          { metadata: { name: `db-x-team-x-${VC}`, namespace: HOST_NS }, spec: { clusterIP: '10.96.3.3' } },
        ],
      ],
    });
    await t.settle();
    expect(dbHostVariable(t)).toStrictEqual({ [`web-x-team-x-${VC}`]: undefined });
  });

  it("leave a name the container's envFrom gives to it, as a kubelet ranks envFrom above the links: a ConfigMap's DB_PORT=5432 beside a Service db", async () => {
    const cfg: Seed = [
      Resources.configMaps,
      {
        metadata: { name: 'cfg', namespace: 'team' },
        data: { DB_PORT: '5432', KUBERNETES_SERVICE_HOST: 'proxy.local' },
      },
    ];
    const secret: Seed = [
      Resources.secrets,
      { metadata: { name: 'creds', namespace: 'team' }, data: { PORT: 'MQ==' } },
    ];
    const withEnvFrom: Seed = [
      PODS,
      {
        metadata: { name: 'web', namespace: 'team', uid: 'uid-web' },
        spec: {
          containers: [
            {
              name: 'main',
              image: 'app:1',
              envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'creds' }, prefix: 'DB_' }],
            },
          ],
        },
        status: { phase: 'Pending' },
      },
    ];
    const t = await start({
      kinds: ['pods', 'services', 'configmaps', 'secrets'],
      flags: { clusterDnsIp: '10.96.0.10' },
      virtual: [team, db, cfg, secret, withEnvFrom],
      host: [virtualApi],
    });
    await t.settle();
    const host = t.host.objects(PODS, HOST_NS)[0]!;
    const env = (host.spec as { containers: { env?: { name: string; value?: string }[] }[] }).containers[0]!
      .env!;
    const names = env.map((e) => e.name);
    // What envFrom gives (DB_PORT from the ConfigMap, DB_PORT from the Secret's PORT too, a
    // KUBERNETES_ variable) is the container's; the other links are still there.
    expect(names).not.toContain('DB_PORT');
    expect(names).not.toContain('KUBERNETES_SERVICE_HOST');
    expect(names).toContain('DB_SERVICE_HOST');
    expect(names).toContain('DB_PORT_5432_TCP');
    expect(names).toContain('KUBERNETES_SERVICE_PORT');
  });
});
