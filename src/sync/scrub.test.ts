import { scrubHostNames, withMessagesScrubbed } from './scrub.ts';

describe('scrubHostNames', () => {
  const where = { vcName: 'vc1', hostNamespace: 'team-a' };
  it.each([
    ['configmaps "app-x-default-x-vc1" already exists', 'configmaps "app" already exists'],
    ['pod my.pod-x-kube-system-x-vc1 is invalid', 'pod my.pod is invalid'],
    ['forbidden in namespace team-a', 'forbidden in namespace <host namespace>'],
    // A cut name: its hash hides whose it is, and its head may be another virtual cluster's object.
    [
      'secret averyveryverylongnamethatgetscutat52charactersxxxx-x-ns-a1b2c3d4e5 missing',
      'secret <host object> missing',
    ],
    ['nothing to hide here', 'nothing to hide here'],
    // The kubelet's `<pod>_<namespace>(<uid>)`: `_` ends a name.
    ['Error syncing pod web-x-team-x-vc1_team-a(f00d)', 'Error syncing pod web_<host namespace>(f00d)'],
    ['event web-x-team-x-vc1.17a8b9c0d1 repeated', 'event web.17a8b9c0d1 repeated'],
    ['svc web-x-team-x-vc1.team-a.svc.cluster.local', 'svc web.<host namespace>.svc.cluster.local'],
    // A cut name whose 52 characters kept no `-x-` shows nothing of itself.
    [`secret "${'l'.repeat(52)}-47156c37d5" not found`, 'secret "<host object>" not found'],
    [
      `dial ${'l'.repeat(52)}-47156c37d5.team-a.svc.cluster.local`,
      'dial <host object>.<host namespace>.svc.cluster.local',
    ],
    // Another virtual cluster's object in the same host namespace is never named to this tenant.
    [
      'Volume is already used by pod(s) db-0-x-prod-x-othervc',
      'Volume is already used by pod(s) <host object>',
    ],
    ['pod db-0-x-prod-x-othervc.17a8b9c0d1 evicted', 'pod <host object>.17a8b9c0d1 evicted'],
    // web-x-team-x-vc1's event first, then another cluster's pod.
    ['web-x-team-x-vc1.db-0-x-prod-x-othervc', 'web.<host object>'],
    // One `-x-` is no translated name: a tenant's own name of that shape stays.
    ['image registry.local/box-x-ray:1 pulled', 'image registry.local/box-x-ray:1 pulled'],
  ])('%s', (input, expected) => {
    expect(scrubHostNames(input, where)).toBe(expected);
  });

  it("shows a cut name's head only where the names are the tenant's own (the syncer's refusals)", () => {
    const cut = 'payroll-reconciliation-service-internal-x-finance-pr-144a65d4fe';
    expect(scrubHostNames(`already defined in ingress team-a/${cut}`, where)).toBe(
      'already defined in ingress <host namespace>/<host object>',
    );
    expect(scrubHostNames(`secret ${cut} is taken`, where, { keepForeignNames: true })).toBe(
      'secret payroll-reconciliation-service-internal is taken',
    );
  });
});

describe('scrubHostNames on adversarial text', () => {
  it('handles tens of kilobytes of `-x-` runs (tenant-chosen image names) in one pass', () => {
    // Of the translated shape, so hidden like another cluster's name would be.
    const image = `${'a-x-'.repeat(20_000)}b`;
    expect(
      scrubHostNames(`Failed to pull image "${image}"`, { vcName: 'vc1', hostNamespace: 'team-a' }),
    ).toBe('Failed to pull image "<host object>"');
  });

  it('scrubs thousands of host names chained by dots in one token without running out of stack', () => {
    // The kubelet quotes a tenant's image in its events and container statuses.
    const image = `${'a-x-b-x-vc1.'.repeat(5_000)}io/app`;
    expect(
      scrubHostNames(`couldn't parse image reference "${image}"`, { vcName: 'vc1', hostNamespace: 'team-a' }),
    ).toBe(`couldn't parse image reference "${'a.'.repeat(5_000)}io/app"`);
  });

  it('keeps the dots and dashes between chained host names, and scrubs the name after them', () => {
    const where = { vcName: 'vc1', hostNamespace: 'team-a' };
    expect(scrubHostNames('web-x-team-x-vc1.-.db-x-prod-x-vc1.', where)).toBe('web.-.db.');
    expect(scrubHostNames('web-x-team-x-vc1..team-a', where)).toBe('web..<host namespace>');
  });
});

describe('withMessagesScrubbed', () => {
  const where = { vcName: 'vc1', hostNamespace: 'team-a' };
  it('scrubs every message of a status, nested in conditions and errors, and leaves the rest as it is', () => {
    const status = {
      phase: 'Failed',
      message: 'claim data-x-default-x-vc1 lost',
      conditions: [{ type: 'Ready', message: 'in team-a', reason: 'data-x-default-x-vc1' }],
      error: { message: 'content of data-x-default-x-vc1 failed', time: '2026-12-04T00:00:00Z' },
      count: 2,
    };
    expect(withMessagesScrubbed(status, where)).toEqual({
      phase: 'Failed',
      message: 'claim data lost',
      conditions: [{ type: 'Ready', message: 'in <host namespace>', reason: 'data-x-default-x-vc1' }],
      error: { message: 'content of data failed', time: '2026-12-04T00:00:00Z' },
      count: 2,
    });
    expect(status.message).toBe('claim data-x-default-x-vc1 lost');
    expect(withMessagesScrubbed(undefined, where)).toBeUndefined();
    // A status of no known schema: every string.
    expect(
      withMessagesScrubbed({ lastError: 'on data-x-default-x-vc1', n: 1 }, where, { allStrings: true }),
    ).toEqual({
      lastError: 'on data',
      n: 1,
    });
  });
});

describe("scrubHostNames for the syncer's own refusals (keepForeignNames)", () => {
  it("keeps a name of the translated shape the tenant wrote, hiding this cluster's host names still", () => {
    expect(
      scrubHostNames(
        'StorageClass "vcluster-gold-x-host-ns-x-other" does not exist; claim data-x-team-x-vc1 in team-a',
        { vcName: 'vc1', hostNamespace: 'team-a' },
        { keepForeignNames: true },
      ),
    ).toBe('StorageClass "vcluster-gold-x-host-ns-x-other" does not exist; claim data in <host namespace>');
  });
});
