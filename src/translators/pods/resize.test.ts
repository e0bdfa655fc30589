import { ApiError } from '../../kube/errors.ts';
import type { Pod } from '../../kube/types.ts';
import { CONTAINER_RESOURCES_ANNOTATION } from '../../naming/labels.ts';
import {
  describeResize,
  HostResizer,
  recordAfter,
  RESIZE_RETRY_MS,
  resizeChanges,
  resizedHostPod,
  resourceRecordOf,
} from './resize.ts';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(
  containers: Record<string, Resources>,
  initContainers: Record<string, Resources> = {},
  uid = 'u1',
): Pod {
  const list = (m: Record<string, Resources>) =>
    Object.entries(m).map(([name, resources]) => ({ name, image: 'app:1', resources }));
  return {
    metadata: { name: 'p', namespace: 'ns', uid },
    spec: { containers: list(containers), initContainers: list(initContainers) },
  };
}

/** A host pod made from `from` (it records that pod's resources), its resources now as `now` has them. */
function hostPod(now: Pod, from: Pod = now): Pod {
  return {
    ...now,
    metadata: { ...now.metadata, annotations: { [CONTAINER_RESOURCES_ANNOTATION]: resourceRecordOf(from) } },
  };
}

describe('resizeChanges', () => {
  const made = pod({ main: { requests: { cpu: '100m', memory: '64Mi' } } });

  it("lists the cpu and memory values the tenant changed since the host pod's record and the host pod lacks", () => {
    const virtual = pod({ main: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '400m' } } });
    expect(resizeChanges(virtual, hostPod(made))).toEqual([
      { container: 'main', field: 'requests', resource: 'cpu', have: '100m', want: '200m' },
      { container: 'main', field: 'limits', resource: 'cpu', have: undefined, want: '400m' },
    ]);
  });

  it('leaves what the host changed on its own, what only it sets, other resources and injected containers alone', () => {
    // The host capped the pod at admission (or a host VPA resized it): the tenant changed nothing.
    const capped = pod(
      {
        main: {
          requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '1Gi' },
          limits: { memory: '1Gi' },
        },
      },
      { 'vcluster-rewrite-hosts': { requests: { cpu: '10m' } } },
    );
    expect(resizeChanges(made, hostPod(capped, made))).toEqual([]);
    const storage = pod({ main: { requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '2Gi' } } });
    expect(resizeChanges(storage, hostPod(capped, made))).toEqual([]);
  });

  it('nothing for a host pod without a record (an older syncer made it) or one that has finished', () => {
    const virtual = pod({ main: { requests: { cpu: '200m' } } });
    expect(resizeChanges(virtual, made)).toEqual([]);
    expect(resizeChanges(virtual, { ...hostPod(made), status: { phase: 'Succeeded' } })).toEqual([]);
  });

  it('compares sidecars (restartable init containers) by name too', () => {
    const from = pod({ main: {} }, { proxy: { limits: { memory: '128Mi' } } });
    const virtual = pod({ main: {} }, { proxy: { limits: { memory: '256Mi' } } });
    const host = hostPod(
      pod({ main: {} }, { 'vcluster-rewrite-hosts': {}, proxy: { limits: { memory: '128Mi' } } }),
      from,
    );
    expect(describeResize(resizeChanges(virtual, host))).toBe('proxy limits.memory 128Mi -> 256Mi');
  });
});

describe('resizedHostPod', () => {
  it('sets exactly the changed values on a copy, keeping everything else of the host pod', () => {
    const made = pod({ main: { requests: { cpu: '100m' }, limits: { memory: '1Gi' } } }, { proxy: {} });
    const host = hostPod(made);
    const changes = resizeChanges(
      pod(
        { main: { requests: { cpu: '300m' }, limits: { memory: '1Gi' } } },
        { proxy: { requests: { memory: '32Mi' } } },
      ),
      host,
    );
    const resized = resizedHostPod(host, changes);
    expect(resized.spec!.containers[0]!.resources).toEqual({
      requests: { cpu: '300m' },
      limits: { memory: '1Gi' },
    });
    expect(resized.spec!.initContainers![0]!.resources).toEqual({ requests: { memory: '32Mi' } });
    expect(host.spec!.containers[0]!.resources!.requests).toEqual({ cpu: '100m' });
  });
});

describe('recordAfter', () => {
  const made = pod({ main: { requests: { cpu: '100m' } } });
  const virtual = pod({ main: { requests: { cpu: '200m' } } });
  it("moves to the virtual pod's resources once nothing is pending, and stays while something is", () => {
    expect(recordAfter(virtual, hostPod(made), { hostPod: made, wrote: true })).toBe(
      resourceRecordOf(virtual),
    );
    expect(recordAfter(virtual, hostPod(made), { hostPod: made, wrote: false, pending: true })).toBe(
      resourceRecordOf(made),
    );
    expect(recordAfter(virtual, made, { hostPod: made, wrote: false })).toBeUndefined();
  });
});

describe('HostResizer', () => {
  const virtual = pod({ main: { requests: { cpu: '200m' } } });
  const host = hostPod(pod({ main: { requests: { cpu: '100m' } } }));
  const quota = () =>
    new ApiError('host', 403, { reason: 'Forbidden', message: 'exceeded quota: q in vc-a' }, 'forbidden');

  function harness(answers: (() => Pod | Error)[]) {
    let now = 1_000_000;
    const told: string[] = [];
    const sent: Pod[] = [];
    const resizer = new HostResizer(
      () => now,
      (m) => m.replace('vc-a', '<host namespace>'),
    );
    const io = {
      resize: async (p: Pod) => {
        sent.push(p);
        const answer = answers.shift()!();
        if (answer instanceof Error) throw answer;
        return answer;
      },
      tell: async (what: string, message: string) => {
        told.push(`${what}: ${message}`);
      },
    };
    return {
      told,
      sent,
      advance: (ms: number) => (now += ms),
      run: (v = virtual, h = host) => resizer.reconcile('ns/p', v, h, io),
    };
  }

  it('writes nothing when the host pod already has the resources', async () => {
    const h = harness([]);
    expect(await h.run(virtual, hostPod(virtual))).toEqual({ hostPod: hostPod(virtual), wrote: false });
    expect(h.sent).toHaveLength(0);
  });

  it("sends the resized host pod and returns the host's answer", async () => {
    const answered = pod({ main: { requests: { cpu: '200m' } } });
    const h = harness([() => answered]);
    expect(await h.run()).toEqual({ hostPod: answered, wrote: true });
    expect(h.sent[0]!.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '200m' } });
  });

  it('a refusal is told once, scrubbed, and tried again only after the retry delay', async () => {
    const h = harness([quota, quota, () => virtual]);
    const first = await h.run();
    expect(first.wrote).toBe(false);
    expect(first.refused).toMatchObject({ message: 'exceeded quota: q in <host namespace>' });
    expect(h.told).toEqual(['main requests.cpu 100m -> 200m: exceeded quota: q in <host namespace>']);
    h.advance(RESIZE_RETRY_MS - 1);
    expect((await h.run()).refused).toEqual(first.refused);
    expect(h.sent).toHaveLength(1);
    h.advance(1);
    const again = await h.run();
    expect(h.sent).toHaveLength(2);
    // Still refused: the same request keeps its first refusal's time, and is not told again.
    expect(again.refused!.since).toBe(first.refused!.since);
    expect(h.told).toHaveLength(1);
    h.advance(RESIZE_RETRY_MS);
    expect(await h.run()).toEqual({ hostPod: virtual, wrote: true });
  });

  it('a different request (or a new pod of that name) is tried at once', async () => {
    const h = harness([quota, quota, quota]);
    await h.run();
    await h.run(pod({ main: { requests: { cpu: '150m' } } }));
    await h.run(pod({ main: { requests: { cpu: '150m' } } }, {}, 'u2'));
    expect(h.sent).toHaveLength(3);
    expect(h.told).toHaveLength(3);
  });

  it('a host that does not serve pods/resize is a refusal; a missing pod, a conflict or an outage is a failure tried again soon', async () => {
    const unserved = new ApiError(
      'host',
      404,
      { reason: 'NotFound', message: 'the server could not find the requested resource' },
      'not found',
    );
    const h = harness([() => unserved]);
    expect((await h.run()).refused!.message).toBe(
      'the host API server does not serve in-place resize (pods/resize)',
    );
    for (const err of [
      new ApiError('host', 404, { reason: 'NotFound', message: 'pods "p" not found' }, 'not found'),
      new ApiError('host', 409, { reason: 'Conflict', message: 'modified' }, 'conflict'),
      new ApiError('host', 503, { reason: 'ServiceUnavailable' }, 'unavailable'),
    ]) {
      const t = harness([() => err, () => err, () => err]);
      // Not a refusal: nothing told, tried again soon and then less often; the pod's sync goes on.
      expect(await t.run()).toMatchObject({ wrote: false, pending: true, retryInMs: 2000, failure: err });
      expect((await t.run()).retryInMs).toBe(4000);
      expect((await t.run()).retryInMs).toBe(8000);
      expect(t.told).toEqual([]);
    }
  });
});
