// The control plane's PodDisruptionBudget (controlPlane.podDisruptionBudget, vCluster's
// controlPlane.advanced.podDisruptionBudget).
import { failure, renderValues, type Manifest } from './render.ts';

const budgetOf = (ms: Manifest[]) =>
  ms.find((m) => m.kind === 'PodDisruptionBudget') as
    (Manifest & { spec: Record<string, unknown> }) | undefined;
const selectorOfPods = (ms: Manifest[]) =>
  (ms.find((m) => m.kind === 'StatefulSet') as unknown as { spec: { selector: unknown } }).spec.selector;

describe('helm chart: the control-plane PodDisruptionBudget', () => {
  it('is off by default', () => {
    expect(budgetOf(renderValues({}))).toBeUndefined();
  });

  it('lets one pod go at a time by default (a single replica can still be drained), selecting exactly the control-plane pods', () => {
    const ms = renderValues({ controlPlane: { podDisruptionBudget: { enabled: true } } });
    const budget = budgetOf(ms)!;
    expect(budget.metadata.name).toBe('vc1');
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: selectorOfPods(ms) });
  });

  it.each([
    [{ minAvailable: '50%' }, { minAvailable: '50%' }],
    [
      { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    ],
  ])('takes %j', (values, spec) => {
    const ms = renderValues({ controlPlane: { podDisruptionBudget: { enabled: true, ...values } } });
    expect(budgetOf(ms)!.spec).toEqual({ ...spec, selector: selectorOfPods(ms) });
  });

  it("takes vCluster's controlPlane.advanced.podDisruptionBudget as written", () => {
    const ms = renderValues({
      controlPlane: { advanced: { podDisruptionBudget: { enabled: true, maxUnavailable: 1 } } },
    });
    expect(budgetOf(ms)!.spec).toEqual({ maxUnavailable: 1, selector: selectorOfPods(ms) });
    expect(
      budgetOf(renderValues({ controlPlane: { advanced: { podDisruptionBudget: { enabled: false } } } })),
    ).toBeUndefined();
    // Its checks hold for vCluster's keys too (the schema sees only vsyncer's).
    expect(
      failure({
        controlPlane: { advanced: { podDisruptionBudget: { enabled: true, minAvailable: 'half' } } },
      }),
    ).toMatch(/controlPlane\.podDisruptionBudget\.minAvailable must be a number of pods or a percentage/);
    expect(
      failure({
        controlPlane: {
          advanced: { podDisruptionBudget: { enabled: true, unhealthyPodEvictionPolicy: 'Sometimes' } },
        },
      }),
    ).toMatch(/unhealthyPodEvictionPolicy must be IfHealthyBudget or AlwaysAllow/);
  });

  it.each([
    [{ enabled: true, minAvailable: 1, maxUnavailable: 1 }, /set minAvailable or maxUnavailable, not both/],
    [{ enabled: true, minAvailable: 'half' }, /minAvailable/],
    [{ enabled: true, unhealthyPodEvictionPolicy: 'Sometimes' }, /unhealthyPodEvictionPolicy/],
  ])('refuses %j', (podDisruptionBudget, message) => {
    expect(failure({ controlPlane: { podDisruptionBudget } })).toMatch(message);
  });
});
