import { Resources } from '../../kube/resources.ts';
import { hostMetadataFor } from './host-metadata.ts';

describe('hostMetadataFor with denied keys', () => {
  const service = {
    metadata: {
      name: 'web',
      namespace: 'team',
      uid: 'u1',
      labels: { app: 'web', 'vcluster.loft.sh/x': 'forged' },
      annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'www.bank.example', note: 'n' },
    },
  };
  const where = { vcName: 'vc', hostNamespace: 'host-ns', hostName: 'web-x-team-x-vc' };

  it("drops the tenant's denied keys and keeps everything else", () => {
    const meta = hostMetadataFor(service, Resources.services, {
      ...where,
      deniedHostMetadata: ['external-dns.alpha.kubernetes.io/*'],
    });
    expect(meta.annotations).not.toHaveProperty(['external-dns.alpha.kubernetes.io/hostname']);
    expect(meta.annotations?.note).toBe('n');
    expect(meta.labels?.app).toBe('web');
  });

  it("never drops the syncer's own keys, whatever the patterns name", () => {
    const meta = hostMetadataFor(service, Resources.services, {
      ...where,
      deniedHostMetadata: ['vcluster.loft.sh/*', 'vsyncer.dev/*'],
    });
    expect(meta.labels).toMatchObject({
      'vcluster.loft.sh/managed-by': 'vc',
      'vcluster.loft.sh/namespace': 'team',
    });
    expect(meta.annotations).toMatchObject({
      'vcluster.loft.sh/object-name': 'web',
      'vcluster.loft.sh/object-uid': 'u1',
    });
    // Recorded as the syncer's, so the next sync keeps them too.
    expect(meta.annotations?.['vcluster.loft.sh/managed-annotations']?.split('\n')).toEqual(
      expect.arrayContaining(['vcluster.loft.sh/object-name', 'vcluster.loft.sh/object-uid']),
    );
  });

  it('is the plain copy with no patterns', () => {
    expect(hostMetadataFor(service, Resources.services, { ...where, deniedHostMetadata: [] })).toEqual(
      hostMetadataFor(service, Resources.services, where),
    );
  });
});
