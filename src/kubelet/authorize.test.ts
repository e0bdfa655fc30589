import type { ClusterClient } from '../kube/client.ts';
import { FakeClock } from '../util/clock.ts';
import {
  NodeAccessReviewer,
  TOKEN_REVIEW_BUDGET,
  TOKEN_REVIEW_BUDGET_PER_SOURCE,
  TokenAuthenticator,
} from './authorize.ts';
import { RouteError } from './routes.ts';

/** A virtual API server that accepts the token "good" and allows user "ok", counting what it is asked. */
function fakeVirtual() {
  const asked = { tokenReviews: 0, accessReviews: 0 };
  const client = {
    async create(
      resource: { resource: string },
      _namespace: string,
      body: { spec: Record<string, unknown> },
    ) {
      if (resource.resource === 'tokenreviews') {
        asked.tokenReviews++;
        const good = body.spec.token === 'good';
        return {
          status: { authenticated: good, user: good ? { username: 'sa', groups: ['g'] } : undefined },
        };
      }
      asked.accessReviews++;
      return { status: { allowed: body.spec.user === 'ok' } };
    },
  } as unknown as ClusterClient;
  return { client, asked };
}

describe('the kubelet API reviews within a budget', () => {
  it('refuses new tokens past the budget at once (429), while a token it knows is still answered', async () => {
    const clock = new FakeClock(0);
    const { client, asked } = fakeVirtual();
    const tokens = new TokenAuthenticator(client, clock);
    expect(await tokens.review('good', 'metrics-server')).toEqual({ user: 'sa', groups: ['g'] });
    // Junk from many addresses, each within its own share: the whole budget is what stops them.
    const answers = await Promise.allSettled(
      Array.from({ length: TOKEN_REVIEW_BUDGET.burst + 20 }, (_, i) =>
        tokens.review(`junk-${i}`, `pod-${i}`),
      ),
    );
    const refused = answers
      .filter((a) => a.status === 'rejected')
      .map((a) => (a as PromiseRejectedResult).reason);
    // The known token took one of the burst.
    expect(refused).toHaveLength(21);
    expect(refused.every((r) => r instanceof RouteError && r.status === 429)).toBe(true);
    expect(asked.tokenReviews).toBe(TOKEN_REVIEW_BUDGET.burst);
    expect(await tokens.review('good', 'metrics-server')).toEqual({ user: 'sa', groups: ['g'] });
    // A junk token already refused is answered from its own cache, at no cost.
    expect(await tokens.review('junk-0', 'pod-0')).toBeUndefined();
    expect(asked.tokenReviews).toBe(TOKEN_REVIEW_BUDGET.burst);
    // The budget comes back with time.
    clock.advance(1000);
    expect(await tokens.review('new-one', 'pod-x')).toBeUndefined();
  });

  it('holds one address to its share, so others still get reviewed; the same new token at once is reviewed once', async () => {
    const { client, asked } = fakeVirtual();
    const tokens = new TokenAuthenticator(client, new FakeClock(0));
    const flood = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => tokens.review(`junk-${i}`, 'flooding-pod')),
    );
    expect(flood.filter((a) => a.status === 'fulfilled')).toHaveLength(TOKEN_REVIEW_BUDGET_PER_SOURCE.burst);
    expect(await tokens.review('good', 'metrics-server')).toEqual({ user: 'sa', groups: ['g'] });
    const before = asked.tokenReviews;
    const same = await Promise.all([
      tokens.review('fresh', 'a'),
      tokens.review('fresh', 'b'),
      tokens.review('fresh', 'c'),
    ]);
    expect(same).toEqual([undefined, undefined, undefined]);
    expect(asked.tokenReviews).toBe(before + 1);
  });

  it('a token accepted lately is reviewed again from a budget of its own, which a flood of junk does not spend', async () => {
    // Not at 0: the caches take a start time of 0 for none.
    const clock = new FakeClock(1_000);
    const { client, asked } = fakeVirtual();
    const tokens = new TokenAuthenticator(client, clock);
    expect(await tokens.review('good', 'metrics-server')).toEqual({ user: 'sa', groups: ['g'] });
    // Its cached answer runs out while junk from many pods has spent the whole budget of new tokens.
    clock.advance(31_000);
    await Promise.allSettled(
      Array.from({ length: TOKEN_REVIEW_BUDGET.burst + 20 }, (_, i) =>
        tokens.review(`junk-${i}`, `pod-${i}`),
      ),
    );
    await expect(tokens.review('another-new', 'pod-z')).rejects.toMatchObject({ status: 429 });
    const before = asked.tokenReviews;
    expect(await tokens.review('good', 'metrics-server')).toEqual({ user: 'sa', groups: ['g'] });
    expect(asked.tokenReviews).toBe(before + 1);
  });

  it('caches access decisions per user, verb, subresource and node', async () => {
    const { client, asked } = fakeVirtual();
    const reviewer = new NodeAccessReviewer(client, new FakeClock(0));
    const access = { verb: 'get', subresource: 'proxy', node: 'n1' };
    expect(await reviewer.allowed({ user: 'ok', groups: [] }, access)).toBe(true);
    expect(await reviewer.allowed({ user: 'ok', groups: [] }, access)).toBe(true);
    expect(await reviewer.allowed({ user: 'ok', groups: [] }, { ...access, verb: 'create' })).toBe(true);
    expect(await reviewer.allowed({ user: 'other', groups: [] }, access)).toBe(false);
    expect(asked.accessReviews).toBe(3);
  });
});
