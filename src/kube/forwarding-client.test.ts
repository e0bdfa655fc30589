import { describe, expect, it } from '@jest/globals';
import type { ClusterClient } from './client.ts';
import { ForwardingClient } from './forwarding-client.ts';
import { Resources } from './resources.ts';

describe('ForwardingClient', () => {
  it('passes every call, with its arguments, to the client it wraps and returns its answer', async () => {
    const calls: string[] = [];
    // Records each method called on it and answers with the method's name.
    const inner = new Proxy({ name: 'host' } as unknown as ClusterClient, {
      get: (target, prop) =>
        prop === 'name'
          ? target.name
          : (...args: unknown[]) => {
              calls.push(`${String(prop)} ${JSON.stringify(args.filter((a) => typeof a !== 'function'))}`);
              return Promise.resolve(String(prop));
            },
    });
    const client = new ForwardingClient(inner);
    const pods = Resources.pods;
    const obj = { metadata: { name: 'p' } };
    const signal = new AbortController().signal;
    expect(client.name).toBe('host');
    const answers = await Promise.all([
      client.get(pods, 'ns', 'p'),
      client.list(pods, 'ns', { labelSelector: 'a=b' }),
      client.watch(
        pods,
        'ns',
        { resourceVersion: '1', timeoutSeconds: 5, allowWatchBookmarks: true },
        () => {},
        signal,
      ),
      client.create(pods, 'ns', obj, { name: 'p', subresource: 'binding' }),
      client.update(pods, 'ns', obj, { fieldManager: 'm' }),
      client.patch(pods, 'ns', 'p', { a: 1 }, 'merge', { subresource: 'status' }),
      client.delete(pods, 'ns', 'p', { uid: 'u' }),
      client.serverVersion(),
    ]);
    expect(answers).toEqual(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'serverVersion']);
    const type = JSON.stringify(pods);
    expect(calls).toEqual([
      `get [${type},"ns","p"]`,
      `list [${type},"ns",{"labelSelector":"a=b"}]`,
      `watch [${type},"ns",{"resourceVersion":"1","timeoutSeconds":5,"allowWatchBookmarks":true},{}]`,
      `create [${type},"ns",{"metadata":{"name":"p"}},{"name":"p","subresource":"binding"}]`,
      `update [${type},"ns",{"metadata":{"name":"p"}},{"fieldManager":"m"}]`,
      `patch [${type},"ns","p",{"a":1},"merge",{"subresource":"status"}]`,
      `delete [${type},"ns","p",{"uid":"u"}]`,
      'serverVersion []',
    ]);
  });
});
