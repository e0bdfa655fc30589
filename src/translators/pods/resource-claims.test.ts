import type { Pod } from '../../kube/types.ts';
import {
  templatedClaimsNotOwned,
  templatedClaimsWaiting,
  withClaimsMadeFromTemplates,
} from './resource-claims.ts';

const pod = (
  status: unknown,
  resourceClaims: unknown = [{ name: 'gpu', resourceClaimTemplateName: 'one-gpu' }],
) =>
  ({
    metadata: { name: 'web', namespace: 'team', uid: 'uid-web' },
    spec: { containers: [], resourceClaims },
    status,
  }) as unknown as Pod;

describe('claims made from templates', () => {
  it('names the claim the status records for each templated entry, and leaves named claims as they are', () => {
    const p = pod({ resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'web-gpu-abcde' }] }, [
      { name: 'gpu', resourceClaimTemplateName: 'one-gpu' },
      { name: 'shared', resourceClaimName: 'shared' },
    ]);
    expect(withClaimsMadeFromTemplates(p).spec?.resourceClaims).toEqual([
      { name: 'gpu', resourceClaimName: 'web-gpu-abcde' },
      { name: 'shared', resourceClaimName: 'shared' },
    ]);
    expect(templatedClaimsWaiting(p)).toEqual([]);
  });

  it.each([
    ['no status', undefined],
    ['statuses not a list', { resourceClaimStatuses: 'gpu' }],
    ['null entries', { resourceClaimStatuses: [null, { name: 3 }] }],
    ['an entry with no claim', { resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: null }] }],
  ])('with %s the pod waits (nothing throws)', (_what, status) => {
    const p = pod(status);
    expect(templatedClaimsWaiting(p)).toEqual([
      'resource claim "gpu": waiting for the claim the virtual cluster makes from template "one-gpu"',
    ]);
    expect(withClaimsMadeFromTemplates(p).spec?.resourceClaims).toEqual([
      { name: 'gpu', resourceClaimTemplateName: 'one-gpu' },
    ]);
    expect(templatedClaimsNotOwned(p, () => undefined)).toEqual([]);
  });

  it('reads a malformed entry list as none', () => {
    const p = pod(undefined, 'gpu');
    expect(templatedClaimsWaiting(p)).toEqual([]);
    expect(templatedClaimsNotOwned(p, () => undefined)).toEqual([]);
  });

  it('a claim the status names that the pod does not control is not its own', () => {
    const p = pod({ resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'web-gpu-abcde' }] });
    const claim = (uid?: string) => ({
      metadata: { name: 'web-gpu-abcde', ownerReferences: uid ? [{ uid, controller: true }] : [] },
    });
    expect(templatedClaimsNotOwned(p, () => claim('uid-web') as never)).toEqual([]);
    expect(templatedClaimsNotOwned(p, () => claim('uid-other') as never)).toEqual([
      'ResourceClaim team/web-gpu-abcde was not created for pod team/web (pod is not owner)',
    ]);
  });
});
