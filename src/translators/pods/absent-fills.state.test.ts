import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';
import { ABSENT_FILL_POD_ANNOTATION } from './absent-fills.ts';
import { ABSENT_REFERENCE_PREFIX } from './reference-safety.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();

const PODS = Resources.pods;
const SECRETS = Resources.secrets;
const CONFIGMAPS = Resources.configMaps;
const hostName = (name: string, ns: string) => `${name}-x-${ns}-x-${VC}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function table(): Promise<StateTable> {
  return start({
    kinds: ['secrets', 'configmaps', 'pods'],
    virtual: [
      [
        Resources.services,
        { metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10' } },
      ],
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
  });
}

/** A pod that mounts the optional Secret `certs` and ConfigMap `settings`, and reads the Secret's env. */
const operatorPod = (name: string, ns: string): KubeObject => ({
  metadata: { name, namespace: ns },
  spec: {
    containers: [
      {
        name: 'c',
        image: 'i',
        env: [{ name: 'CA', valueFrom: { secretKeyRef: { name: 'certs', key: 'ca.crt', optional: true } } }],
      },
    ],
    volumes: [
      { name: 'certs', secret: { secretName: 'certs', optional: true } },
      { name: 'settings', configMap: { name: 'settings', optional: true } },
    ],
  },
});
const certs = (ns: string, ca: string, type = 'Opaque'): KubeObject => ({
  metadata: { name: 'certs', namespace: ns },
  type,
  data: { 'ca.crt': b64(ca) },
});

const hostPod = (t: StateTable, name: string, ns: string) =>
  t.host.objects(PODS, HOST_NS).find((p) => p.metadata?.name === hostName(name, ns))!;
/** The names the host pod's volumes read. */
const volumeNames = (pod: KubeObject) => {
  const volumes = (
    pod.spec as { volumes: { secret?: { secretName: string }; configMap?: { name: string } }[] }
  ).volumes;
  return {
    secret: volumes.find((v) => v.secret)!.secret!.secretName,
    configMap: volumes.find((v) => v.configMap)!.configMap!.name,
  };
};
const hostObject = (t: StateTable, type: ResourceType, name: string) =>
  t.host.objects(type, HOST_NS).find((o) => o.metadata?.name === name);

describe('optional Secrets and ConfigMaps made after their pod reach it where it looks for them', () => {
  it('a Secret made later is written under the pod’s absent name, owned by the host pod; kept current; removed with the Secret', async () => {
    const t = await table();
    await t.virtual.create(PODS, 'ops', operatorPod('op', 'ops'));
    await t.settle();
    const pod = hostPod(t, 'op', 'ops');
    const names = volumeNames(pod);
    expect(names.secret.startsWith(ABSENT_REFERENCE_PREFIX)).toBe(true);
    expect(hostObject(t, SECRETS, names.secret)).toBeUndefined();

    // The operator writes its certificate at start.
    await t.virtual.create(SECRETS, 'ops', certs('ops', 'first'));
    await t.settle();
    const fill = hostObject(t, SECRETS, names.secret);
    expect(fill).toMatchObject({
      type: 'Opaque',
      data: { 'ca.crt': b64('first') },
      metadata: {
        labels: { 'vcluster.loft.sh/managed-by': VC },
        annotations: { [ABSENT_FILL_POD_ANNOTATION]: 'ops/op' },
        ownerReferences: [{ kind: 'Pod', name: hostName('op', 'ops'), uid: pod.metadata!.uid }],
      },
    });
    // No kind takes it for a copy: nothing of the Secret's identity is on it.
    expect(Object.keys(fill!.metadata!.annotations!)).toEqual([ABSENT_FILL_POD_ANNOTATION]);
    // The host pod itself is not rewritten (its volumes cannot change).
    expect(volumeNames(hostPod(t, 'op', 'ops'))).toEqual(names);

    // Renewed: the fill follows.
    const current = t.virtual.objects(SECRETS, 'ops').find((s) => s.metadata?.name === 'certs')!;
    await t.virtual.update(SECRETS, 'ops', { ...current, data: { 'ca.crt': b64('second') } });
    await t.settle();
    expect(hostObject(t, SECRETS, names.secret)?.data).toEqual({ 'ca.crt': b64('second') });

    // Deleted: the pod reads nothing again, as the kubelet would find nothing.
    await t.virtual.delete(SECRETS, 'ops', 'certs');
    await t.settle();
    expect(hostObject(t, SECRETS, names.secret)).toBeUndefined();
  });

  it('a ConfigMap made later is filled in the same way', async () => {
    const t = await table();
    await t.virtual.create(PODS, 'ops', operatorPod('op', 'ops'));
    await t.settle();
    const names = volumeNames(hostPod(t, 'op', 'ops'));
    expect(names.configMap.startsWith(ABSENT_REFERENCE_PREFIX)).toBe(true);
    await t.virtual.create(CONFIGMAPS, 'ops', {
      metadata: { name: 'settings', namespace: 'ops' },
      data: { mode: 'fast' },
      binaryData: { blob: b64('\x00\x01') },
    });
    await t.settle();
    expect(hostObject(t, CONFIGMAPS, names.configMap)).toMatchObject({
      data: { mode: 'fast' },
      binaryData: { blob: b64('\x00\x01') },
      metadata: { annotations: { [ABSENT_FILL_POD_ANNOTATION]: 'ops/op' } },
    });
    // The Secret is still missing: no fill for it.
    expect(hostObject(t, SECRETS, names.secret)).toBeUndefined();
  });

  it('a fill deleted on the host is made again; a Secret made again with another type gets a fill of that type', async () => {
    const t = await table();
    await t.virtual.create(PODS, 'ops', operatorPod('op', 'ops'));
    await t.settle();
    const { secret } = volumeNames(hostPod(t, 'op', 'ops'));
    await t.virtual.create(SECRETS, 'ops', certs('ops', 'first'));
    await t.settle();
    await t.host.delete(SECRETS, HOST_NS, secret);
    await t.settle();
    expect(hostObject(t, SECRETS, secret)?.data).toEqual({ 'ca.crt': b64('first') });

    // Replaced at once by a Secret of another type (a type cannot change in place).
    await t.virtual.delete(SECRETS, 'ops', 'certs');
    await t.virtual.create(SECRETS, 'ops', {
      ...certs('ops', 'tls', 'kubernetes.io/tls'),
      data: { 'tls.crt': b64('crt'), 'tls.key': b64('key') },
    });
    await t.settle();
    expect(hostObject(t, SECRETS, secret)).toMatchObject({
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64('crt'), 'tls.key': b64('key') },
    });
  });

  it('an object under the absent name that is not the pod’s fill is never touched', async () => {
    const t = await table();
    await t.virtual.create(PODS, 'ops', operatorPod('op', 'ops'));
    await t.settle();
    const { secret } = volumeNames(hostPod(t, 'op', 'ops'));
    // A host controller's object, and one claiming to be the fill but not owned by the host pod.
    await t.host.create(SECRETS, HOST_NS, { metadata: { name: secret }, data: { theirs: b64('x') } });
    const { configMap } = volumeNames(hostPod(t, 'op', 'ops'));
    await t.host.create(CONFIGMAPS, HOST_NS, {
      metadata: {
        name: configMap,
        labels: { 'vcluster.loft.sh/managed-by': VC },
        annotations: { [ABSENT_FILL_POD_ANNOTATION]: 'ops/op' },
      },
      data: { theirs: 'y' },
    });
    await t.virtual.create(SECRETS, 'ops', certs('ops', 'mine'));
    await t.virtual.create(CONFIGMAPS, 'ops', {
      metadata: { name: 'settings', namespace: 'ops' },
      data: { a: 'b' },
    });
    await t.settle();
    expect(hostObject(t, SECRETS, secret)?.data).toEqual({ theirs: b64('x') });
    expect(hostObject(t, CONFIGMAPS, configMap)?.data).toEqual({ theirs: 'y' });
    // The copies themselves are made as for any pod's object.
    expect(hostObject(t, SECRETS, hostName('certs', 'ops'))).toBeDefined();
    await t.virtual.delete(SECRETS, 'ops', 'certs');
    await t.settle();
    expect(hostObject(t, SECRETS, secret)?.data).toEqual({ theirs: b64('x') });
  });

  it('-x- ambiguity: a Secret whose copy another namespace’s holds the name of is never filled in', async () => {
    const t = await table();
    // `s` in `b-x-a` and `s-x-b` in `a` share the host name `s-x-b-x-a-x-vc`; the victim's comes first.
    await t.virtual.create(SECRETS, 'b-x-a', {
      metadata: { name: 's', namespace: 'b-x-a' },
      data: { 'ca.crt': b64('victim') },
    });
    await t.virtual.create(PODS, 'b-x-a', {
      metadata: { name: 'owner', namespace: 'b-x-a' },
      spec: {
        containers: [{ name: 'c', image: 'i' }],
        volumes: [{ name: 'v', secret: { secretName: 's' } }],
      },
    });
    await t.settle();
    const thief: KubeObject = {
      metadata: { name: 'thief', namespace: 'a' },
      spec: {
        containers: [{ name: 'c', image: 'i' }],
        volumes: [{ name: 'v', secret: { secretName: 's-x-b', optional: true } }],
      },
    };
    await t.virtual.create(PODS, 'a', thief);
    await t.settle();
    const read = (hostPod(t, 'thief', 'a').spec as { volumes: { secret: { secretName: string } }[] })
      .volumes[0]!.secret.secretName;
    expect(read.startsWith(ABSENT_REFERENCE_PREFIX)).toBe(true);
    await t.virtual.create(SECRETS, 'a', {
      metadata: { name: 's-x-b', namespace: 'a' },
      data: { 'ca.crt': b64('thief') },
    });
    await t.settle();
    expect(hostObject(t, SECRETS, read)).toBeUndefined();
    const shared = hostObject(t, SECRETS, hostName('s-x-b', 'a'));
    expect(shared?.data).toEqual({ 'ca.crt': b64('victim') });
  });
});
