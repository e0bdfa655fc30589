import { nodeSubresourceOf, parseKubeletRoute, RouteError, verbOf } from './routes.ts';

const query = (route: { hostQuery: URLSearchParams }) => [...route.hostQuery.entries()];

describe('kubelet routes', () => {
  it('refuses a request URL that is no URL with 400 (a request line such as //% reads as an authority)', () => {
    for (const url of ['//%', '//a:99999'])
      expect(() => parseKubeletRoute(url)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('maps container logs and their options onto the pod log subresource', () => {
    const route = parseKubeletRoute(
      '/containerLogs/team/web-0/app?follow=true&previous=false&tailLines=10&sinceSeconds=5&limitBytes=100&timestamps=true&bogus=1',
    );
    expect(route).toMatchObject({ action: 'logs', namespace: 'team', pod: 'web-0', container: 'app' });
    expect(query(route)).toEqual([
      ['container', 'app'],
      ['follow', 'true'],
      ['previous', 'false'],
      ['timestamps', 'true'],
      ['sinceSeconds', '5'],
      ['tailLines', '10'],
      ['limitBytes', '100'],
    ]);
  });

  it("maps exec's kubelet stream flags (input, output, error, tty) to the pod's (stdin, stdout, stderr, tty)", () => {
    const route = parseKubeletRoute(
      '/exec/team/web-0/app?command=sh&command=-c&command=echo%20hi&input=1&output=1&error=0&tty=1',
    );
    expect(route).toMatchObject({ action: 'exec', namespace: 'team', pod: 'web-0', container: 'app' });
    expect(query(route)).toEqual([
      ['container', 'app'],
      ['stdin', 'true'],
      ['stdout', 'true'],
      ['tty', 'true'],
      ['command', 'sh'],
      ['command', '-c'],
      ['command', 'echo hi'],
    ]);
  });

  it('accepts the pod UID form of exec, attach and port-forward', () => {
    expect(parseKubeletRoute('/exec/team/web-0/uid-1/app?command=ls')).toMatchObject({
      uid: 'uid-1',
      container: 'app',
    });
    expect(parseKubeletRoute('/attach/team/web-0/app?output=1')).toMatchObject({
      action: 'attach',
      uid: undefined,
    });
    const pf = parseKubeletRoute('/portForward/team/web-0/uid-1?port=8080&port=9090');
    expect(pf).toMatchObject({ action: 'portforward', pod: 'web-0', uid: 'uid-1' });
    expect(query(pf)).toEqual([
      ['ports', '8080'],
      ['ports', '9090'],
    ]);
  });

  it.each([
    ['/pods', 404],
    ['/runningpods/', 404],
    ['/configz', 404],
    ['/containerLogs/team/web-0', 400],
    ['/containerLogs/team/web-0/uid/app', 400],
    ['/exec/team/web-0/app', 400], // no command
    ['/exec/team', 400],
    ['/portForward/team/web-0?port=0', 400],
    ['/portForward/team/web-0?port=99999', 400],
    ['/portForward/team/web-0?port=80;rm', 400],
    ['/containerLogs/team/%E0%A4%A/app', 400],
  ])('refuses %s with %d', (url, status) => {
    expect(() => parseKubeletRoute(url)).toThrow(RouteError);
    try {
      parseKubeletRoute(url);
    } catch (err) {
      expect((err as RouteError).status).toBe(status);
    }
  });

  it('authorizes as a kubelet does: stats, metrics and logs have their own node subresource, the rest is proxy', () => {
    expect(nodeSubresourceOf('/stats/summary')).toBe('stats');
    expect(nodeSubresourceOf('/metrics/resource')).toBe('metrics');
    expect(nodeSubresourceOf('/logs/')).toBe('log');
    expect(nodeSubresourceOf('/containerLogs/a/b/c')).toBe('proxy');
    expect(nodeSubresourceOf('/exec/a/b/c')).toBe('proxy');
    expect(verbOf('POST')).toBe('create');
    expect(verbOf('GET')).toBe('get');
  });
});
