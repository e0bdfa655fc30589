import type { KubeObject } from '../kube/object.ts';
import { Resources, type ResourceType } from '../kube/resources.ts';
import { HOST_NS, VC, type StateTable } from './state-table.ts';

/** What state tables of configured custom resources (an integration's kinds) share. */

/**
 * A CRD as the API server stores it: established, serving v1 with a status subresource, with the
 * version's schema when given (the host's defaults are read from it).
 */
export const crdOf = (t: ResourceType, openAPIV3Schema?: unknown): KubeObject => ({
  metadata: { name: `${t.resource}.${t.group}` },
  spec: {
    group: t.group,
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    names: { kind: t.kind, plural: t.resource },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        ...(openAPIV3Schema ? { schema: { openAPIV3Schema } } : {}),
      },
    ],
  },
  status: { conditions: [{ type: 'Established', status: 'True' }] },
});

/** Settles, lets the waits and retries due within a few seconds run, and settles again. */
export async function settled(t: StateTable): Promise<void> {
  await t.settle();
  t.clock.advance(5_000);
  await t.settle();
}

/** Settles again from what is there now, and expects that nothing more is written either way. */
export async function expectSteady(t: StateTable): Promise<void> {
  t.virtual.clearWrites();
  t.host.clearWrites();
  await settled(t);
  expect(t.writes()).toEqual([]);
}

/** A custom resource's type at v1 (`resource`: the plural). */
export const customResourceType = (
  group: string,
  resource: string,
  kind: string,
  namespaced: boolean,
): ResourceType => ({ group, version: 'v1', resource, kind, namespaced });

/** The host name of a tenant's object of namespace `ns` (vCluster's `<name>-x-<ns>-x-<vc>`). */
export const hostName = (name: string, ns = 'team') => `${name}-x-${ns}-x-${VC}`;

/** The host object of that name in the host namespace, if any. */
export const hostObject = (t: StateTable, kind: ResourceType, name: string) =>
  t.host.objects(kind, HOST_NS).find((o) => o.metadata?.name === name);

/** The tenant's Secret of that name, if any. */
export const virtualSecret = (t: StateTable, name: string, ns = 'team') =>
  t.virtual.objects(Resources.secrets, ns).find((o) => o.metadata?.name === name);

/** The events of a virtual namespace, as `<reason>: <message>`. */
export const events = (t: StateTable, ns = 'team') =>
  t.virtual.objects(Resources.events, ns).map((e) => `${e.reason}: ${e.message}`);
