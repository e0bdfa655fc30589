import { createHash } from 'node:crypto';
import { eventName, hostClusterScopedName, hostName, hostNameShort } from './names.ts';
import { safeConcatGenerateName, safeConcatName } from './safe-concat.ts';
import {
  hostLabelKey,
  hostLabels,
  namespaceLabelKey,
  namespaceLabelsForPod,
  namespaceSelectorAsPodSelector,
  translateLabelSelector,
  virtualLabelsFromHost,
} from './labels.ts';
import { objectAnnotations } from './annotations.ts';

// Expected hashes are computed here independently of the code under test.
const sha10 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);

describe('safeConcatName', () => {
  const of = (n: number) => 'a'.repeat(n);

  it.each([
    ['62 characters stay as they are', of(62)],
    ['63 characters stay as they are', of(63)],
  ])('%s', (_what, name) => {
    expect(safeConcatName(name)).toBe(name);
  });

  it.each([64, 100, 253])('%i characters are cut to 52 + "-" + 10 hex of the whole', (n) => {
    const name = of(n);
    const out = safeConcatName(name);
    expect(out).toBe(`${of(52)}-${sha10(name)}`);
    expect(out).toHaveLength(63);
  });

  it('joins parts with "-" before measuring', () => {
    expect(safeConcatName('web', 'x', 'default', 'x', 'vc1')).toBe('web-x-default-x-vc1');
    const parts = [of(30), 'x', of(30), 'x', 'vc'];
    expect(safeConcatName(...parts)).toBe(`${parts.join('-').slice(0, 52)}-${sha10(parts.join('-'))}`);
  });

  it('collapses ".-" that a cut leaves behind', () => {
    const name = `${of(51)}.b${of(20)}`; // the 52-character cut ends in '.'
    expect(safeConcatName(name)).toBe(`${of(51)}-${sha10(name)}`);
  });

  it('leaves ".-" alone in names that are not cut, like vCluster', () => {
    expect(safeConcatName('a.', 'b')).toBe('a.-b');
  });

  it('uses 53 / 42 for generateName prefixes', () => {
    expect(safeConcatGenerateName(of(53))).toBe(of(53));
    expect(safeConcatGenerateName(of(54))).toBe(`${of(42)}-${sha10(of(54))}`);
  });
});

describe('host names', () => {
  it('follows <name>-x-<namespace>-x-<vc>', () => {
    expect(hostName('nginx-7d9f', 'default', 'my-vc')).toBe('nginx-7d9f-x-default-x-my-vc');
  });

  it('hashes long results', () => {
    const full = `${'p'.repeat(60)}-x-team-x-vc`;
    expect(hostName('p'.repeat(60), 'team', 'vc')).toBe(`${full.slice(0, 52)}-${sha10(full)}`);
  });

  it('prefixes cluster-scoped objects with vcluster- and the host namespace', () => {
    expect(hostClusterScopedName('fast', 'vc-ns', 'vc1')).toBe('vcluster-fast-x-vc-ns-x-vc1');
  });
});

describe("hostNameShort: vCluster's names of ResourceClaims and their templates", () => {
  // Worked out by vCluster's own base-36 encoding of the digest (its pkg/util/base36), run in Go.
  it.each([
    ['shared', 'team', 'vc', 'v5dmz10d3osjbe'],
    ['web-gpu-x7k2q', 'default', 'my-vcluster', 'v25yhqhdxtmr2e'],
    ['a', 'b', 'c', 'v66l4vbokiorek'],
  ])('%s in %s of %s is %s', (name, namespace, vc, expected) => {
    expect(hostNameShort(name, namespace, vc)).toBe(expected);
  });
});

describe('labels', () => {
  const where = { vcName: 'vc1', virtualNamespace: 'team' };

  it('copies labels, hashes reserved keys and adds managed-by and namespace', () => {
    expect(hostLabels({ app: 'web', release: 'r1', 'vcluster.loft.sh/managed-by': 'evil' }, where)).toEqual({
      app: 'web',
      [`vcluster.loft.sh/label-vc1-x-${sha10('release')}`]: 'r1',
      [`vcluster.loft.sh/label-vc1-x-${sha10('vcluster.loft.sh/managed-by')}`]: 'evil',
      'vcluster.loft.sh/managed-by': 'vc1',
      'vcluster.loft.sh/namespace': 'team',
    });
  });

  it("hashes the gateway-name keys a host gateway controller selects a Gateway's proxies by: a tenant pod cannot join another Gateway copy's Service", () => {
    const keys = [
      'gateway.networking.k8s.io/gateway-name',
      'istio.io/gateway-name',
      'gateway.istio.io/managed',
      'gateway.envoyproxy.io/owning-gateway-name',
      'gateway.envoyproxy.io/owning-gateway-namespace',
      'gateway.envoyproxy.io/owning-gatewayclass',
      'projectcontour.io/owning-gateway-name',
    ];
    const virtual = Object.fromEntries(keys.map((k) => [k, 'gw-x-victim-x-vc1']));
    const host = hostLabels(virtual, where);
    for (const key of keys) {
      expect(host[key]).toBeUndefined();
      expect(host[`vcluster.loft.sh/label-vc1-x-${sha10(key)}`]).toBe('gw-x-victim-x-vc1');
    }
    expect(virtualLabelsFromHost(host, 'vc1')).toEqual(virtual);
  });

  it('round-trips through the host', () => {
    const virtual = { app: 'web', release: 'r1', 'vcluster.loft.sh/controlled-by': 'x' };
    const host = { ...hostLabels(virtual, where), ...namespaceLabelsForPod({ env: 'prod' }, 'vc1') };
    expect(virtualLabelsFromHost(host, 'vc1')).toEqual(virtual);
  });

  it('turns namespace labels into pod labels', () => {
    expect(namespaceLabelsForPod({ env: 'prod' }, 'vc1')).toEqual({
      [`vcluster.loft.sh/ns-label-vc1-x-${sha10('env')}`]: 'prod',
    });
  });

  it("keeps the keys valid for a long virtual cluster name, cut as vCluster's SafeConcatName cuts them", () => {
    const long = 'a-virtual-cluster-name-of-forty-six-characters';
    const key = Object.keys(namespaceLabelsForPod({ env: 'prod' }, long))[0]!;
    const whole = `vcluster.loft.sh/ns-label-${long}-x-${sha10('env')}`;
    expect(key).toBe(`${whole.slice(0, 52)}-${sha10(whole)}`);
    expect(key.split('/')[1]!.length).toBeLessThanOrEqual(63);
    const reserved = hostLabelKey('release', long);
    expect(reserved.length).toBe(63);
    // Both stay the syncer's own: never shown to the tenant, and restored where they stand for a key.
    expect(virtualLabelsFromHost({ [key]: 'prod', [reserved]: 'r1', app: 'web' }, long)).toEqual({
      release: 'r1',
      app: 'web',
    });
    // A name up to 24 characters gives the key unchanged, as before.
    expect(namespaceLabelKey('env', 'a-twenty-four-char-name1')).toBe(
      `vcluster.loft.sh/ns-label-a-twenty-four-char-name1-x-${sha10('env')}`,
    );
  });

  it('translates selectors and scopes them to the virtual cluster and namespace', () => {
    expect(
      translateLabelSelector(
        {
          matchLabels: { app: 'web', release: 'r1' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
        },
        where,
      ),
    ).toEqual({
      matchLabels: {
        app: 'web',
        [`vcluster.loft.sh/label-vc1-x-${sha10('release')}`]: 'r1',
        'vcluster.loft.sh/managed-by': 'vc1',
        'vcluster.loft.sh/namespace': 'team',
      },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
    });
    expect(translateLabelSelector(undefined, where)).toEqual({
      matchLabels: { 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/namespace': 'team' },
    });
  });

  it('turns a namespace selector into a selector on ns-label pod labels', () => {
    expect(namespaceSelectorAsPodSelector({ matchLabels: { env: 'prod' } }, 'vc1')).toEqual({
      matchLabels: {
        'vcluster.loft.sh/managed-by': 'vc1',
        [`vcluster.loft.sh/ns-label-vc1-x-${sha10('env')}`]: 'prod',
      },
    });
  });
});

describe('objectAnnotations', () => {
  it('names the virtual object, its kind and the host object', () => {
    expect(
      objectAnnotations({
        name: 'a',
        namespace: 'ns',
        uid: 'u',
        kind: '/v1, Kind=ConfigMap',
        hostName: 'a-x-ns-x-vc',
        hostNamespace: 'h',
      }),
    ).toEqual({
      'vcluster.loft.sh/object-name': 'a',
      'vcluster.loft.sh/object-namespace': 'ns',
      'vcluster.loft.sh/object-uid': 'u',
      'vcluster.loft.sh/object-kind': '/v1, Kind=ConfigMap',
      'vcluster.loft.sh/object-host-name': 'a-x-ns-x-vc',
      'vcluster.loft.sh/object-host-namespace': 'h',
    });
  });
});

describe('eventName', () => {
  it('is `<object>.<suffix>`, the object name cut so the whole is at most 253 characters and ends no label in . or -', () => {
    expect(eventName('web', '18c2f')).toBe('web.18c2f');
    const long = `${'a'.repeat(240)}.b-c-d-e-f-g`;
    const name = eventName(long, '18c2f3d4e5f60a1');
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
    expect(name).not.toMatch(/[.-]\./);
    expect(name.endsWith('.18c2f3d4e5f60a1')).toBe(true);
    expect(eventName('x'.repeat(253), 'abc')).toBe(`${'x'.repeat(249)}.abc`);
  });
});
