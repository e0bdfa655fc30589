import { Resources, type ResourceType } from '../../kube/resources.ts';
import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { draKind } from './resourceclaims-kind.ts';

/** The descriptor of one DRA kind synced to the host (off by default, as in vCluster). */
function draDescriptor(name: string, type: ResourceType, description: string) {
  return defineKind({
    name,
    description,
    defaultOn: false,
    eventKind: type.kind,
    fields: [],
    hostRbac: [
      { scope: 'namespace', apiGroups: [type.group], resources: [type.resource], verbs: CRUD },
      // A claim's reservations name host pods, read to name their virtual pods.
      ...(type === Resources.resourceClaims
        ? [
            {
              scope: 'namespace' as const,
              apiGroups: [''],
              resources: ['pods'],
              verbs: ['get', 'list', 'watch'],
            },
          ]
        : []),
    ],
    build: (_options, where) => draKind(type, where),
  });
}

/**
 * ResourceClaims (Dynamic Resource Allocation), virtual → host, allocation and reservations back
 * (vCluster's `sync.toHost.resourceClaims`). Pods name a claim's copy, and a claim the virtual
 * cluster makes from a template for a pod (see pods/resource-claims.ts), so the host scheduler
 * allocates the host's devices and the tenant sees its claim allocated.
 */
export const resourceClaimsDescriptor = draDescriptor(
  'resourceclaims',
  Resources.resourceClaims,
  "ResourceClaims, virtual → host, with the host's allocation back",
);

/** ResourceClaimTemplates, virtual → host (vCluster's `sync.toHost.resourceClaimTemplates`). */
export const resourceClaimTemplatesDescriptor = draDescriptor(
  'resourceclaimtemplates',
  Resources.resourceClaimTemplates,
  'ResourceClaimTemplates, virtual → host',
);
