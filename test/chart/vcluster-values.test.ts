import { parseAllDocuments } from 'yaml';
import { helm, syncerArgs, templateArgs, type Manifest } from './render.ts';

/** Renders the chart with the values as one --set-json per top-level key, and parses every manifest. */
function renderValues(values: Record<string, unknown>): Manifest[] {
  const args = templateArgs();
  for (const [key, value] of Object.entries(values))
    args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  return parseAllDocuments(helm(args))
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const tolerationArgs = (tolerations: unknown[]) =>
  syncerArgs(renderValues({ syncer: { enforceTolerations: tolerations } })).filter((a) =>
    a.startsWith('--enforce-toleration='),
  );

describe('helm chart: syncer.enforceTolerations', () => {
  it("takes pod tolerations as vCluster's docs write them, as the flag's strings", () => {
    expect(
      tolerationArgs([
        'dedicated=tenants:NoSchedule',
        { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
        { operator: 'Exists' },
        { key: 'pool', value: 'tenants' },
        { key: 'pool', operator: 'Equal', value: 'tenants', effect: 'NoSchedule' },
      ]),
    ).toEqual([
      '--enforce-toleration=dedicated=tenants:NoSchedule',
      '--enforce-toleration=gpu:NoExecute',
      '--enforce-toleration=*',
      '--enforce-toleration=pool=tenants',
      '--enforce-toleration=pool=tenants:NoSchedule',
    ]);
  });

  it('refuses a toleration the flag cannot say, and a string the syncer would refuse at start', () => {
    // `gpu` alone would be Equal with an empty value: narrower than Exists.
    expect(() => tolerationArgs([{ key: 'gpu', operator: 'Exists' }])).toThrow(
      /operator Exists needs both key and effect, or neither/,
    );
    expect(() => tolerationArgs([{ operator: 'Exists', effect: 'NoSchedule' }])).toThrow(
      /operator Exists needs both key and effect, or neither/,
    );
    expect(() =>
      tolerationArgs([
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 30,
        },
      ]),
    ).toThrow(/tolerationSeconds cannot be enforced/);
    expect(() => tolerationArgs([{ value: 'x' }])).toThrow(/operator Equal needs a key/);
    expect(() => tolerationArgs(['a b'])).toThrow(/"a b" is not a toleration --enforce-toleration takes/);
    expect(() => tolerationArgs([{ key: 'a', effect: 'Sometimes' }])).toThrow(/enforceTolerations\/0/);
  });
});
