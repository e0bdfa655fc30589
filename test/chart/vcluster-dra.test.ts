// vCluster's Dynamic Resource Allocation switches (sync.toHost.resourceClaims and
// resourceClaimTemplates, sync.fromHost.deviceClasses), rendered into syncer flags and the RBAC of
// the kinds they turn on.
import { failure, grantsOn, renderValues, syncerArgs } from './render.ts';

const GROUP = 'resource.k8s.io';

describe("helm chart: vCluster's DRA sync", () => {
  it('turns on the claim, template and device-class kinds, the class selector and their permissions', () => {
    const ms = renderValues({
      sync: {
        toHost: { resourceClaims: { enabled: true }, resourceClaimTemplates: { enabled: true } },
        fromHost: { deviceClasses: { enabled: true, selector: { matchLabels: { tier: 'tenants' } } } },
      },
    });
    const args = syncerArgs(ms);
    expect(args).toContain('--sync=host-deviceclasses,resourceclaims,resourceclaimtemplates');
    expect(args).toContain('--host-deviceclasses-selector=tier=tenants');
    expect(grantsOn(ms, 'Role', GROUP)).toEqual(
      expect.arrayContaining([
        `${GROUP}/resourceclaims:get,list,watch,create,update,patch,delete`,
        `${GROUP}/resourceclaimtemplates:get,list,watch,create,update,patch,delete`,
      ]),
    );
    expect(grantsOn(ms, 'ClusterRole', GROUP)).toContain(`${GROUP}/deviceclasses:get,list,watch`);
  });

  it('off by default: no kind, no permission', () => {
    const ms = renderValues({});
    expect(syncerArgs(ms).join(' ')).not.toMatch(/resourceclaim|deviceclass/);
    expect(grantsOn(ms, 'Role', GROUP)).toEqual([]);
    expect(grantsOn(ms, 'ClusterRole', GROUP)).toEqual([]);
  });

  it.each([
    [
      { toHost: { resourceClaims: { enabled: true, patches: [{ path: 'spec.x' }] } } },
      /sync\.toHost\.resourceClaims\.patches: vsyncer has no equivalent/,
    ],
    [
      { fromHost: { deviceClasses: { enabled: true, patches: [{ path: 'spec.x' }] } } },
      /sync\.fromHost\.deviceClasses\.patches/,
    ],
    [{ fromHost: { deviceClasses: { enabled: 'yes' } } }, /sync\.fromHost\.deviceClasses\.enabled/],
  ])('refuses what it cannot do, naming the key: %j', (sync, message) => {
    expect(failure({ sync })).toMatch(message);
  });
});
