import { Resources } from '../kube/resources.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';
import { silentLogger } from '../util/log.ts';
import {
  METRICS_API_SERVICE,
  METRICS_APISERVICE_NAME,
  MetricsApiRegistration,
  metricsApiService,
} from './registration.ts';

const registration = (virtual: FakeCluster, port: number | undefined, vcName = 'vc1') =>
  new MetricsApiRegistration({ virtual, port, vcName, logger: silentLogger });

const apiService = (v: FakeCluster) => v.objects(Resources.apiServices)[0];
const service = (v: FakeCluster) =>
  v
    .objects(Resources.services, METRICS_API_SERVICE.namespace)
    .find((s) => s.metadata?.name === METRICS_API_SERVICE.name);

describe('MetricsApiRegistration', () => {
  it('registers the Service naming localhost and the APIService, and a second pass writes nothing', async () => {
    const virtual = new FakeCluster('virtual');
    const r = registration(virtual, 9001);
    await r.pass();
    r.stop();
    expect(service(virtual)?.spec).toMatchObject({ type: 'ExternalName', externalName: 'localhost' });
    expect(service(virtual)?.metadata?.labels).toMatchObject({ 'vsyncer.dev/control-plane-local': 'true' });
    expect(apiService(virtual)?.spec).toMatchObject({
      service: { namespace: 'kube-system', name: 'vsyncer-metrics-proxy', port: 9001 },
      insecureSkipTLSVerify: true,
    });
    virtual.clearWrites();
    await r.pass();
    r.stop();
    expect(virtual.writeLog()).toEqual([]);
  });

  it("takes over a tenant's APIService whole (its caBundle would be refused beside insecureSkipTLSVerify)", async () => {
    const virtual = new FakeCluster('virtual');
    virtual.seed(Resources.apiServices, {
      metadata: { name: METRICS_APISERVICE_NAME, labels: { app: 'metrics-server' } },
      spec: {
        service: { namespace: 'kube-system', name: 'metrics-server' },
        caBundle: 'Y2E=',
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
    const r = registration(virtual, 9001);
    await r.pass();
    r.stop();
    expect(apiService(virtual)?.spec).toEqual(metricsApiService(9001, 'vc1').spec);
    expect(apiService(virtual)?.metadata?.labels).toEqual({
      app: 'metrics-server',
      'vsyncer.dev/metrics-proxy': 'vc1',
    });
  });

  it("turned off, removes what this virtual cluster's syncer registered, and nothing else", async () => {
    const virtual = new FakeCluster('virtual');
    const on = registration(virtual, 9001);
    await on.pass();
    on.stop();
    // Another name's registration is not this one's to remove.
    const other = registration(virtual, undefined, 'vc2');
    await other.pass();
    other.stop();
    expect(apiService(virtual)).toBeDefined();
    const off = registration(virtual, undefined);
    await off.pass();
    off.stop();
    expect(apiService(virtual)).toBeUndefined();
    expect(service(virtual)).toBeUndefined();
    // A tenant's own metrics-server registration is left alone.
    virtual.seed(Resources.apiServices, {
      metadata: { name: METRICS_APISERVICE_NAME },
      spec: { group: 'metrics.k8s.io' },
    });
    await off.pass();
    off.stop();
    expect(apiService(virtual)).toBeDefined();
  });

  it('turned off, retries a removal that failed', async () => {
    const virtual = new FakeCluster('virtual');
    const on = registration(virtual, 9001);
    await on.pass();
    on.stop();
    virtual.failNext('delete', 'apiservices', 'unavailable');
    const off = registration(virtual, undefined);
    await off.pass();
    expect(apiService(virtual)).toBeDefined();
    await off.pass();
    off.stop();
    expect(apiService(virtual)).toBeUndefined();
  });
});
