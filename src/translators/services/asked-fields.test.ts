import type { KubeObject } from '../../kube/object.ts';
import { clusterIPAskedFor, nodePortsAskedFor } from './asked-fields.ts';

const withFields = (...entries: { manager: string; spec: Record<string, unknown> }[]): KubeObject => ({
  metadata: {
    name: 'web',
    managedFields: entries.map(({ manager, spec }) => ({
      manager,
      operation: 'Update',
      fieldsV1: { 'f:spec': spec },
    })),
  },
});

describe('fields a Service asked for by value', () => {
  it("a client's clusterIP and node ports count; the syncer's writes and what the server allocated do not", () => {
    const svc = withFields(
      {
        manager: 'kubectl-client-side-apply',
        spec: {
          'f:clusterIP': {},
          'f:ports': {
            '.': {},
            'k:{"port":80,"protocol":"TCP"}': { 'f:nodePort': {}, 'f:port': {} },
            'k:{"port":53,"protocol":"UDP"}': { 'f:port': {} },
          },
        },
      },
      { manager: 'vsyncer', spec: { 'f:ports': { 'k:{"port":53,"protocol":"UDP"}': { 'f:nodePort': {} } } } },
    );
    expect(clusterIPAskedFor(svc)).toBe(true);
    expect([...nodePortsAskedFor(svc)]).toEqual(['TCP/80']);
  });

  it("nothing is asked for without managed fields, or with only the syncer's", () => {
    expect(clusterIPAskedFor({ metadata: { name: 'web' } })).toBe(false);
    const ours = withFields({ manager: 'vsyncer', spec: { 'f:clusterIP': {}, 'f:clusterIPs': {} } });
    expect(clusterIPAskedFor(ours)).toBe(false);
    expect(nodePortsAskedFor(ours).size).toBe(0);
  });

  it('a key of another shape is passed over', () => {
    const odd = withFields({ manager: 'helm', spec: { 'f:ports': { 'k:{oops': { 'f:nodePort': {} } } } });
    expect(nodePortsAskedFor(odd).size).toBe(0);
  });
});
