import type { KubeObject } from '../../kube/object.ts';
import {
  givenOtherNameservers,
  invalidNameserverSources,
  parseNameserverSource,
  resolveNameservers,
  waitingForNameservers,
  type NameserverSource,
} from './dns-nameservers.ts';

const service = (name: string, ip: string, labels: Record<string, string>): KubeObject => ({
  metadata: { name, namespace: 'dns', labels },
  spec: { clusterIP: ip },
});

describe('parseNameserverSource', () => {
  it("reads <scope>:<namespace>:<selector>, with vCluster's scope names too", () => {
    expect(parseNameserverSource('control-plane-host:dns:app=dns,tier in (a)')).toMatchObject({
      scope: 'host',
      namespace: 'dns',
      selector: {
        matchLabels: { app: 'dns' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
      },
    });
    expect(parseNameserverSource('tenant-cluster:kube-system:k8s-app=kube-dns').scope).toBe('virtual');
  });

  it.each([
    ['dns:app=dns', 'must be <scope>:<namespace>:<label selector>'],
    ['cluster:dns:app=dns', 'must be <scope>'],
    ['host:Bad_NS:app=dns', 'is not a namespace name'],
    ['host:dns:', 'the label selector is empty'],
    ['host:dns:a b', 'cannot read'],
  ])('%j is refused, naming the problem', (entry, message) => {
    expect(invalidNameserverSources([entry])).toContain(message);
  });

  it('more than three entries are refused (a pod may have no more nameservers)', () => {
    expect(invalidNameserverSources(Array(4).fill('host:dns:a=b'))).toContain('at most 3');
  });
});

describe('resolveNameservers', () => {
  const sources = ['host:dns:role=primary', 'host:dns:role=secondary'].map(parseNameserverSource);
  const all = [
    service('b-primary', '10.0.0.2', { role: 'primary' }),
    service('a-primary', '10.0.0.1', { role: 'primary' }),
    service('headless', 'None', { role: 'secondary' }),
    service('secondary', '10.0.0.3', { role: 'secondary' }),
  ];

  it('one per source, the first of its Services by name that has an IP; headless Services left out', () => {
    expect(
      resolveNameservers(
        sources,
        () => all,
        () => true,
      ),
    ).toEqual({ ips: ['10.0.0.1', '10.0.0.3'] });
  });

  it('on the host, a Service some virtual cluster synced there (labels a tenant chose) is never one', () => {
    const copy = service('0-tenant-copy', '10.0.0.66', {
      role: 'primary',
      'vcluster.loft.sh/managed-by': 'any-vc',
    });
    expect(
      resolveNameservers(
        sources,
        () => [copy, ...all],
        () => true,
      ),
    ).toEqual({ ips: ['10.0.0.1', '10.0.0.3'] });
  });

  it('a source with nothing usable holds everything up, and says which', () => {
    const resolved = resolveNameservers(
      sources,
      () => all,
      (_s, svc) => svc.metadata?.name !== 'secondary',
    );
    expect(resolved).toEqual({ missing: sources[1] });
  });

  it('a source whose Services cannot be read yet is not taken for one with none: the wait says so', () => {
    const resolved = resolveNameservers(
      sources,
      (s) => (s === sources[0] ? all : undefined),
      () => true,
    );
    expect(resolved).toEqual({ missing: sources[1], unread: true });
    expect(waitingForNameservers(resolved as { missing: NameserverSource })).toContain(
      'the syncer cannot read the Services of a namespace of the host cluster yet',
    );
    expect(waitingForNameservers({ missing: sources[1]! })).toContain(
      'none in a namespace of the host cluster',
    );
  });
});

describe('givenOtherNameservers', () => {
  const pod = (annotations: Record<string, string>, nameservers: string[]): KubeObject => ({
    metadata: { name: 'p', annotations },
    spec: { dnsPolicy: 'None', dnsConfig: { nameservers } },
  });
  it('judges by the record the pod was made with, not its live spec; a pod without one is not judged', () => {
    const record = { 'vsyncer.dev/cluster-nameservers': '["10.0.0.1"]' };
    // A host webhook added a resolver: still the nameservers it was given.
    expect(givenOtherNameservers(pod(record, ['10.0.0.1', '169.254.20.10']), ['10.0.0.1'])).toBe(false);
    expect(givenOtherNameservers(pod(record, ['10.0.0.1']), ['10.0.0.9'])).toBe(true);
    expect(givenOtherNameservers(pod({}, ['10.96.0.10']), ['10.0.0.9'])).toBe(false);
  });
});
