import type { KubeObject } from '../../kube/object.ts';
import { allocatableLeft, holdsNodeResources, podRequests, resourceFootprint } from './allocatable.ts';

const requests = (cpu?: string, memory?: string) => ({
  resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
});
const pod = (spec: Record<string, unknown>, phase = 'Running'): KubeObject => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { nodeName: 'n1', ...spec },
  status: { phase },
});

describe('podRequests (what the scheduler counts a pod as requesting)', () => {
  it('sums the containers, adds the sidecars, and takes the larger of that and an init container with the sidecars before it', () => {
    expect(
      podRequests(
        pod({
          containers: [requests('100m', '64Mi'), requests('200m')],
          initContainers: [
            { ...requests('50m', '32Mi'), restartPolicy: 'Always' },
            requests('1', '16Mi'),
            requests('10m', '1Gi'),
          ],
          overhead: { cpu: '5m' },
        }),
      ),
    ).toEqual({
      // max(100m + 200m + 50m, 50m + 1) = 1.05, plus 5m of overhead
      cpu: 1.055,
      // max(64Mi + 32Mi, 32Mi + 1Gi)
      memory: 32 * 2 ** 20 + 2 ** 30,
      'ephemeral-storage': 0,
    });
  });

  it('takes the pod-level requests where the pod sets them', () => {
    expect(
      podRequests(pod({ containers: [requests('1', '1Gi')], resources: { requests: { cpu: '2' } } })),
    ).toEqual({
      cpu: 2,
      memory: 2 ** 30,
      'ephemeral-storage': 0,
    });
  });

  it('reads no request from what is not a quantity', () => {
    expect(podRequests(pod({ containers: [requests('lots'), null, 'x'] }))).toEqual({
      cpu: 0,
      memory: 0,
      'ephemeral-storage': 0,
    });
  });
});

describe('allocatableLeft', () => {
  const allocatable = { cpu: '4', memory: '8Gi', pods: '110', 'nvidia.com/gpu': '2' };

  it("takes what others' pods request off cpu, memory and the pod count; other resources stay", () => {
    const left = allocatableLeft(allocatable, [
      pod({ containers: [requests('1500m', '1Gi')] }),
      pod({ containers: [requests('100m')] }),
    ]);
    expect(left).toEqual({ cpu: '2400m', memory: String(7 * 2 ** 30), pods: '108', 'nvidia.com/gpu': '2' });
  });

  it('never goes below zero; no pods leaves the allocatable as it is', () => {
    expect(allocatableLeft(allocatable, [pod({ containers: [requests('8', '16Gi')] })])).toMatchObject({
      cpu: '0m',
      memory: '0',
    });
    expect(allocatableLeft(allocatable, [])).toBe(allocatable);
  });

  it('a finished or unbound pod holds nothing; its footprint changes when it finishes or is resized', () => {
    const running = pod({ containers: [requests('1')] });
    expect(holdsNodeResources(running)).toBe(true);
    expect(holdsNodeResources(pod({ containers: [] }, 'Succeeded'))).toBe(false);
    expect(holdsNodeResources({ spec: {}, status: { phase: 'Pending' } })).toBe(false);
    expect(resourceFootprint(running)).not.toBe(resourceFootprint(pod({ containers: [requests('2')] })));
    expect(resourceFootprint(pod({ containers: [requests('1')] }, 'Failed'))).toBe('');
    expect(resourceFootprint(running)).toBe(resourceFootprint(pod({ containers: [requests('1')] })));
  });
});
