import { serviceLinkEnv } from './service-env.ts';
import { parseToleration } from '../shared/tolerations.ts';

describe('serviceLinkEnv', () => {
  it('builds kubelet-style variables for each service with a cluster IP, sorted by name', () => {
    const env = serviceLinkEnv([
      {
        metadata: { name: 'web-api' },
        spec: {
          clusterIP: '10.96.0.20',
          ports: [
            { name: 'http', port: 80, protocol: 'TCP' },
            { port: 53, protocol: 'UDP' },
          ],
        },
      },
      { metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
      { metadata: { name: 'db' }, spec: { clusterIP: '10.96.0.9', ports: [{ port: 5432 }] } },
    ]);
    expect(env).toEqual([
      { name: 'DB_SERVICE_HOST', value: '10.96.0.9' },
      { name: 'DB_SERVICE_PORT', value: '5432' },
      { name: 'DB_PORT', value: 'tcp://10.96.0.9:5432' },
      { name: 'DB_PORT_5432_TCP', value: 'tcp://10.96.0.9:5432' },
      { name: 'DB_PORT_5432_TCP_PROTO', value: 'tcp' },
      { name: 'DB_PORT_5432_TCP_PORT', value: '5432' },
      { name: 'DB_PORT_5432_TCP_ADDR', value: '10.96.0.9' },
      { name: 'WEB_API_SERVICE_HOST', value: '10.96.0.20' },
      { name: 'WEB_API_SERVICE_PORT', value: '80' },
      { name: 'WEB_API_SERVICE_PORT_HTTP', value: '80' },
      { name: 'WEB_API_PORT', value: 'tcp://10.96.0.20:80' },
      { name: 'WEB_API_PORT_80_TCP', value: 'tcp://10.96.0.20:80' },
      { name: 'WEB_API_PORT_80_TCP_PROTO', value: 'tcp' },
      { name: 'WEB_API_PORT_80_TCP_PORT', value: '80' },
      { name: 'WEB_API_PORT_80_TCP_ADDR', value: '10.96.0.20' },
      { name: 'WEB_API_PORT_53_UDP', value: 'udp://10.96.0.20:53' },
      { name: 'WEB_API_PORT_53_UDP_PROTO', value: 'udp' },
      { name: 'WEB_API_PORT_53_UDP_PORT', value: '53' },
      { name: 'WEB_API_PORT_53_UDP_ADDR', value: '10.96.0.20' },
    ]);
  });

  it('writes an IPv6 address in brackets in the URLs, as the kubelet does', () => {
    const env = serviceLinkEnv([
      { metadata: { name: 'db' }, spec: { clusterIP: 'fd00::9', ports: [{ port: 5432 }] } },
    ]);
    expect(env).toContainEqual({ name: 'DB_PORT', value: 'tcp://[fd00::9]:5432' });
    expect(env).toContainEqual({ name: 'DB_PORT_5432_TCP_ADDR', value: 'fd00::9' });
  });
});

describe('parseToleration', () => {
  it.each([
    [
      'dedicated=tenant:NoSchedule',
      { key: 'dedicated', operator: 'Equal', value: 'tenant', effect: 'NoSchedule' },
    ],
    ['example.com/gpu:NoExecute', { key: 'example.com/gpu', operator: 'Exists', effect: 'NoExecute' }],
    // vCluster's other forms: every effect, and every taint.
    ['dedicated=tenant', { key: 'dedicated', operator: 'Equal', value: 'tenant' }],
    ['dedicated', { key: 'dedicated', operator: 'Equal', value: '' }],
    ['*', { operator: 'Exists' }],
  ])('%s', (text, expected) => expect(parseToleration(text)).toEqual(expected));
});
