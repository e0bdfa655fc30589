import { Resources } from '../../src/kube/resources.ts';
import type { KubeObject } from '../../src/kube/object.ts';
import { neverShown } from '../../src/translators/mapped-host-data/kind.ts';
import { render } from './render.ts';

/*
 * A host namespace mapped whole (`<namespace>/*`) may hold another virtual cluster of this chart:
 * none of the Secrets and ConfigMaps the chart makes may be shown to a tenant, whatever the settings
 * that add some (a deployed etcd's certificates and join token, the vanilla control plane's PKI).
 * Read from the chart's own renderings, so that a template whose labels drift is caught here.
 */
const RENDERINGS: Record<string, Record<string, string>> = {
  defaults: {},
  'a deployed etcd of three members': { 'deployedEtcd.enabled': 'true', 'deployedEtcd.replicas': '3' },
  'the vanilla control plane': { 'controlPlane.distro': 'vanilla' },
};

describe('helm chart: what a mapping of the host namespace may never show', () => {
  it.each(Object.entries(RENDERINGS))('%s: every Secret and ConfigMap the chart makes', (_name, set) => {
    const data = render(set).filter((m) => m.kind === 'Secret' || m.kind === 'ConfigMap');
    expect(data.length).toBeGreaterThan(0);
    const shown = data
      .filter(
        (m) =>
          neverShown(m as KubeObject, m.kind === 'Secret' ? Resources.secrets : Resources.configMaps) ===
          undefined,
      )
      .map((m) => `${m.kind}/${m.metadata.name}`);
    expect(shown).toEqual([]);
  });

  it("vCluster's own objects, and Secrets holding a service account's credentials under another type", () => {
    const secret = (
      labels: Record<string, string>,
      annotations: Record<string, string> = {},
    ): KubeObject => ({
      metadata: { name: 's', labels, annotations },
      type: 'kubernetes.io/dockercfg',
    });
    for (const labels of [
      { app: 'vcluster', release: 'vc' },
      { app: 'vcluster-etcd', release: 'vc' },
    ])
      expect(neverShown(secret(labels), Resources.secrets)).toBe(
        "it is a virtual cluster's control-plane object",
      );
    expect(
      neverShown(secret({}, { 'kubernetes.io/service-account.name': 'builder' }), Resources.secrets),
    ).toBe("it holds a host service account's credentials");
    for (const annotation of [
      'openshift.io/token-secret.name',
      'openshift.io/internal-registry-auth-token.service-account',
      'openshift.io/internal-registry-auth-token.binding',
    ])
      expect(neverShown(secret({}, { [annotation]: 'builder' }), Resources.secrets)).toBe(
        "it holds a host service account's credentials",
      );
    // An ordinary Secret of the namespace is shown.
    expect(neverShown(secret({ app: 'web' }), Resources.secrets)).toBeUndefined();
  });
});
