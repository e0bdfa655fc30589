import type { KubeObject } from '../../kube/object.ts';
import { Resources, type ResourceType } from '../../kube/resources.ts';
import { HOST_NS, stateTables, VC, type StateTable } from '../../testing/state-table.ts';

/*
 * A tenant is admin of its virtual cluster and may replace a Gateway API CRD there with its own of
 * the same group and plural but another `names.kind`: its objects are then served with that kind.
 * They are still routes, grants and Gateways to the host once copied, so they are judged as such.
 */
const start = stateTables();
const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;
const GROUP = 'gateway.networking.k8s.io';

/** The virtual API server serving `type` from a tenant CRD whose names.kind is `kind`. */
function servedUnderKind(table: StateTable, type: ResourceType, kind: string): void {
  const fake = table.virtual as unknown as {
    incoming: (t: ResourceType, ns: string, o: KubeObject) => KubeObject;
  };
  const incoming = fake.incoming.bind(fake);
  fake.incoming = (t, ns, o) => {
    const stored = incoming(t, ns, o);
    return t.resource === type.resource ? { ...stored, kind } : stored;
  };
}

const hostObject = (t: StateTable, type: ResourceType, name: string) =>
  t.host.objects(type, HOST_NS).find((o) => o.metadata?.name === hostName(name));

describe('Gateway API objects a tenant CRD serves under another kind', () => {
  it("are judged as the resource they were read as: a route's parents and backends, a grant's namespaces", async () => {
    const otherTenantsService: KubeObject = {
      metadata: {
        name: 'db-x-prod-x-othervc',
        namespace: HOST_NS,
        labels: { 'vcluster.loft.sh/managed-by': 'othervc' },
        annotations: {
          'vcluster.loft.sh/object-name': 'db',
          'vcluster.loft.sh/object-namespace': 'prod',
          'vcluster.loft.sh/object-kind': '/v1, Kind=Service',
        },
      },
      spec: { ports: [{ port: 5432 }] },
    };
    const table = await start({
      kinds: ['gateways', 'httproutes', 'referencegrants', 'services', 'secrets', 'configmaps'],
      host: [[Resources.services, otherTenantsService]],
    });
    servedUnderKind(table, Resources.httpRoutes, 'EvilRoute');
    servedUnderKind(table, Resources.referenceGrants, 'EvilGrant');
    await table.virtual.create(Resources.services, 'team', {
      metadata: { name: 'web', namespace: 'team' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await table.virtual.create(Resources.httpRoutes, 'team', {
      apiVersion: `${GROUP}/v1`,
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'team' },
      spec: {
        // A mesh parent (its own Service) has the route copied; the other is a host Gateway.
        parentRefs: [
          { name: 'shared', namespace: 'gateway-system' },
          { group: '', kind: 'Service', name: 'web' },
        ],
        rules: [{ backendRefs: [{ name: 'db-x-prod-x-othervc', port: 5432 }] }],
      },
    });
    await table.virtual.create(Resources.referenceGrants, 'team', {
      apiVersion: `${GROUP}/v1beta1`,
      kind: 'ReferenceGrant',
      metadata: { name: 'open', namespace: 'team' },
      spec: {
        from: [{ group: GROUP, kind: 'Gateway', namespace: 'attacker-host-ns' }],
        to: [{ group: '', kind: 'Secret' }],
      },
    });
    await table.settle();
    expect(hostObject(table, Resources.httpRoutes, 'web')?.kind).toBe('HTTPRoute');
    expect(hostObject(table, Resources.referenceGrants, 'open')).toBeDefined();
    const route = JSON.stringify(hostObject(table, Resources.httpRoutes, 'web')?.spec ?? {});
    expect(route).not.toContain('gateway-system');
    expect(route).not.toContain('db-x-prod-x-othervc');
    const grant = JSON.stringify(hostObject(table, Resources.referenceGrants, 'open')?.spec ?? {});
    expect(grant).not.toContain('attacker-host-ns');
  });
});
