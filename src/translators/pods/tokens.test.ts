import type { Informer } from '../../informer/informer.ts';
import type { TokenBundles } from './token-bundles.ts';
import { Store } from '../../informer/store.ts';
import type { KubeObject } from '../../kube/object.ts';
import { safeConcatName } from '../../naming/safe-concat.ts';
import type { ReconcileContext } from '../../sync/kind.ts';
import { FakeClock } from '../../util/clock.ts';
import { TerminalError } from '../../controller/errors.ts';
import { MAX_TOKEN_BYTES, refreshTime, tokenNeeds, TOKEN_REFRESH_AT_ANNOTATION } from './token-requests.ts';
import { PodTokens, tokenSecretName, legacyTokenSecretName } from './tokens.ts';

const virtualPod: KubeObject = {
  metadata: { name: 'web', namespace: 'team', uid: 'vuid' },
  spec: {
    serviceAccountName: 'builder',
    volumes: [
      {
        name: 'kube-api-access-x',
        projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
      },
      {
        name: 'vault',
        projected: {
          sources: [{ serviceAccountToken: { path: 't', audience: 'vault', expirationSeconds: 600 } }],
        },
      },
      { name: 'cfg', configMap: { name: 'c' } },
    ],
  },
};
/** One volume with two tokens for two audiences, with another source between them. */
const twoTokenPod: KubeObject = {
  metadata: { name: 'web', namespace: 'team', uid: 'vuid' },
  spec: {
    volumes: [
      {
        name: 'creds',
        projected: {
          sources: [
            { configMap: { name: 'ca' } },
            { serviceAccountToken: { path: 'vault-token', audience: 'vault', expirationSeconds: 600 } },
            { serviceAccountToken: { path: 'sts-token', audience: 'sts', expirationSeconds: 7200 } },
          ],
        },
      },
    ],
  },
};
const hostPod: KubeObject = { metadata: { name: 'web-x-team-x-vc', namespace: 'host', uid: 'huid' } };

describe('token helpers', () => {
  it('finds each projected service-account token and its audience', () => {
    expect(tokenNeeds(virtualPod)).toEqual([
      { volumeName: 'kube-api-access-x', tokenIndex: 0, audience: undefined, expirationSeconds: 3600 },
      { volumeName: 'vault', tokenIndex: 0, audience: 'vault', expirationSeconds: 600 },
    ]);
  });

  it('finds every token of a volume, each with its own audience and lifetime', () => {
    expect(tokenNeeds(twoTokenPod)).toEqual([
      { volumeName: 'creds', tokenIndex: 0, audience: 'vault', expirationSeconds: 600 },
      { volumeName: 'creds', tokenIndex: 1, audience: 'sts', expirationSeconds: 7200 },
    ]);
  });

  it.each([
    // Host pods made before the hashed names keep reading these names, so they are still renewed there.
    ['the first token keeps the old name', 'vault', 0, safeConcatName('web-x-team-x-vc', 'token', 'vault')],
    ['a later token gets its own name', 'vault', 1, 'web-x-team-x-vc-token-vault.1'],
    // A volume name has no dot, so `vault.1` cannot be the first-token name of a volume `vault-1`.
    ['the first token of a volume named like an index', 'vault-1', 0, 'web-x-team-x-vc-token-vault-1'],
  ])('legacy token secret names: %s', (_what, volume, index, expected) => {
    expect(legacyTokenSecretName('web-x-team-x-vc', volume, index)).toBe(expected);
  });

  it('names token secrets so no copy of a tenant object can have the name, distinct per pod incarnation and token', () => {
    const names = [
      tokenSecretName('uid-1', 'creds', 0),
      tokenSecretName('uid-1', 'creds', 1),
      tokenSecretName('uid-1', 'other', 0),
      tokenSecretName('uid-2', 'creds', 0),
    ];
    expect(new Set(names).size).toBe(4);
    for (const n of names) {
      // Copies are `<name>-x-<ns>-x-<vc>`, or exactly 63 characters when cut: neither can match.
      expect(n).toMatch(/^vsyncer-token-[0-9a-f]{32}$/);
      expect(n).not.toContain('-x-');
      expect(n.length).not.toBe(63);
    }
  });

  it('renews at 80% of the lifetime', () => {
    expect(refreshTime(1000, 11_000)).toBe(9000);
  });
});

describe('PodTokens', () => {
  function setup(tokenText = (n: number) => `token-${n}`) {
    const clock = new FakeClock(1_000_000);
    const secrets = new Store<KubeObject>();
    const requests: { sa: string; spec: unknown }[] = [];
    const writes: string[] = [];
    let issued = 0;
    const ctx = {
      clock,
      hostNamespace: 'host',
      hostName: 'web-x-team-x-vc',
      virtualNamespace: 'team',
      vcName: 'vc',
      virtual: {
        create: async (_t: unknown, _ns: string, body: { spec: unknown }, opts: { name: string }) => {
          requests.push({ sa: opts.name, spec: body.spec });
          const lifetime = (body.spec as { expirationSeconds: number }).expirationSeconds * 1000;
          return {
            status: {
              token: tokenText(++issued),
              expirationTimestamp: new Date(clock.now() + lifetime).toISOString(),
            },
          };
        },
      },
      host: {
        create: async (_t: unknown, _ns: string, obj: KubeObject) => {
          writes.push(`create ${obj.metadata?.name}`);
          secrets.upsert({ ...obj, metadata: { ...obj.metadata, namespace: 'host', resourceVersion: '1' } });
          return obj;
        },
        update: async (_t: unknown, _ns: string, obj: KubeObject) => {
          writes.push(`update ${obj.metadata?.name}`);
          secrets.upsert({ ...obj, metadata: { ...obj.metadata, namespace: 'host' } });
          return obj;
        },
      },
    } as unknown as ReconcileContext;
    // Pods that mount their own token secrets (made before bundles): the bundles are never asked.
    const tokens = new PodTokens({ store: secrets } as unknown as Informer<KubeObject>, {} as TokenBundles);
    return { clock, ctx, tokens, requests, writes, secrets };
  }

  it('mints each token from the virtual API server, bound to the virtual pod, into a secret owned by the host pod', async () => {
    const { ctx, tokens, requests, writes, secrets } = setup();
    const result = await tokens.ensure(ctx, virtualPod, hostPod);
    expect(result.wrote).toBe(true);
    expect(requests).toEqual([
      {
        sa: 'builder',
        spec: {
          audiences: [],
          expirationSeconds: 3600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'vuid' },
        },
      },
      {
        sa: 'builder',
        spec: {
          audiences: ['vault'],
          expirationSeconds: 600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'vuid' },
        },
      },
    ]);
    expect(writes).toEqual([
      `create ${tokenSecretName('vuid', 'kube-api-access-x', 0)}`,
      `create ${tokenSecretName('vuid', 'vault', 0)}`,
    ]);
    const secret = secrets.get(`host/${tokenSecretName('vuid', 'vault', 0)}`)!;
    expect(secret.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'web-x-team-x-vc', uid: 'huid' },
    ]);
    expect(Buffer.from((secret.data as { token: string }).token, 'base64').toString()).toBe('token-2');
    // The next look is due when the shorter-lived token reaches 80% of its 600s.
    expect(result.nextCheckMs).toBe(480_000);
  });

  it('refuses a token too large to share a host Secret with others (a huge audience), naming its size, and writes nothing', async () => {
    const { ctx, tokens, writes } = setup(() => 'x'.repeat(MAX_TOKEN_BYTES + 1));
    const err = await tokens.ensure(ctx, virtualPod, hostPod).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toContain(`is ${MAX_TOKEN_BYTES + 1} bytes`);
    expect(writes).toEqual([]);
  });

  it('writes nothing while tokens are fresh, and renews each one when due', async () => {
    const { clock, ctx, tokens, requests, writes } = setup();
    await tokens.ensure(ctx, virtualPod, hostPod);
    requests.length = 0;
    writes.length = 0;
    clock.advance(60_000);
    const idle = await tokens.ensure(ctx, virtualPod, hostPod);
    expect(idle).toEqual({ wrote: false, nextCheckMs: 420_000 });
    expect(requests).toEqual([]);
    clock.advance(420_000);
    const renewed = await tokens.ensure(ctx, virtualPod, hostPod);
    expect(renewed.wrote).toBe(true);
    expect(writes).toEqual([`update ${tokenSecretName('vuid', 'vault', 0)}`]);
    expect(requests.map((r) => (r.spec as { audiences: string[] }).audiences)).toEqual([['vault']]);
  });

  it('re-mints for a new host pod incarnation even if the old secret looks fresh', async () => {
    const { ctx, tokens, requests, secrets } = setup();
    await tokens.ensure(ctx, virtualPod, hostPod);
    requests.length = 0;
    const name = `host/${tokenSecretName('vuid', 'kube-api-access-x', 0)}`;
    expect(Number(secrets.get(name)!.metadata?.annotations?.[TOKEN_REFRESH_AT_ANNOTATION])).toBeGreaterThan(
      ctx.clock.now(),
    );
    await tokens.ensure(ctx, virtualPod, { metadata: { ...hostPod.metadata, uid: 'huid-2' } });
    expect(requests).toHaveLength(2);
  });

  it('mints one secret per token source of a volume, each for its own audience', async () => {
    const { ctx, tokens, requests, writes, secrets } = setup();
    const result = await tokens.ensure(ctx, twoTokenPod, hostPod);
    expect(requests.map((r) => r.spec)).toEqual([
      expect.objectContaining({ audiences: ['vault'], expirationSeconds: 600 }),
      expect.objectContaining({ audiences: ['sts'], expirationSeconds: 7200 }),
    ]);
    expect(writes).toEqual([
      `create ${tokenSecretName('vuid', 'creds', 0)}`,
      `create ${tokenSecretName('vuid', 'creds', 1)}`,
    ]);
    const token = (i: number) =>
      Buffer.from(
        (secrets.get(`host/${tokenSecretName('vuid', 'creds', i)}`)!.data as { token: string }).token,
        'base64',
      ).toString();
    expect([token(0), token(1)]).toEqual(['token-1', 'token-2']);
    expect(result.nextCheckMs).toBe(480_000);
  });
});
