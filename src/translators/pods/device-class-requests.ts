import type { KubeObject } from '../../kube/object.ts';
import type { Pod } from '../../kube/types.ts';

/**
 * Device classes a pod asks for without a ResourceClaim (DRA's extended resources, on by default
 * from Kubernetes 1.37): a container requesting `deviceclass.resource.kubernetes.io/<class>`, or the
 * `extendedResourceName` a class declares, gets a device of that class from the host's scheduler,
 * which makes the claim itself. With host-deviceclasses on, those classes are held to the admin's
 * selector as a claim's are.
 */
export const DEVICE_CLASS_RESOURCE_PREFIX = 'deviceclass.resource.kubernetes.io/';

/**
 * Every extended resource name (domain-qualified: `example.com/gpu`; cpu, memory and the like are
 * not) the pod's containers (init containers too) request or limit, once each.
 */
export function requestedResourceNames(pod: Pod): string[] {
  const names = new Set<string>();
  const spec = pod.spec;
  for (const containers of [spec?.containers, spec?.initContainers]) {
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      const resources = (c as { resources?: { requests?: unknown; limits?: unknown } } | null)?.resources;
      for (const amounts of [resources?.requests, resources?.limits])
        if (amounts && typeof amounts === 'object' && !Array.isArray(amounts))
          for (const name of Object.keys(amounts)) if (name.includes('/')) names.add(name);
    }
  }
  return [...names];
}

/**
 * The device classes those resources stand for: named by the prefix (whether or not the class
 * exists), or the host classes declaring one of them as their extended resource name.
 */
export function requestedDeviceClasses(pod: Pod, hostClasses: readonly KubeObject[]): string[] {
  const resources = requestedResourceNames(pod);
  const out = new Set<string>();
  for (const name of resources)
    if (name.startsWith(DEVICE_CLASS_RESOURCE_PREFIX))
      out.add(name.slice(DEVICE_CLASS_RESOURCE_PREFIX.length));
  const wanted = new Set(resources);
  for (const cls of hostClasses) {
    const extended = (cls.spec as { extendedResourceName?: unknown } | undefined)?.extendedResourceName;
    if (typeof extended === 'string' && wanted.has(extended) && cls.metadata?.name)
      out.add(cls.metadata.name);
  }
  return [...out];
}
