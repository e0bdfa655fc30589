import type { ListOptions } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import type { KubeObject, ObjectList } from '../kube/object.ts';
import type { ResourceType } from '../kube/resources.ts';
import type { Clock } from '../util/clock.ts';
import { FakeCluster } from './fake-cluster.ts';

/**
 * A fake cluster that refuses every list of one resource (403, as when its RBAC is not granted)
 * until `granted`: an informer of it never fills meanwhile, however often it retries.
 */
export class RefusingCluster extends FakeCluster {
  granted = false;
  private readonly refused: string;

  constructor(name: string, refused: string, clock: Clock) {
    super(name, { clock });
    this.refused = refused;
  }

  override async list<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    options?: ListOptions,
  ): Promise<ObjectList<T>> {
    if (type.resource === this.refused && !this.granted)
      throw new ApiError(
        this.name,
        403,
        { reason: 'Forbidden', message: `${type.resource} is forbidden: cannot list ${type.resource}` },
        'forbidden',
      );
    return super.list<T>(type, namespace, options);
  }
}
