import { neutraliseHostSecret, SERVICE_ACCOUNT_TOKEN_TYPE } from './translate.ts';

describe('neutraliseHostSecret', () => {
  it('turns a service-account-token secret into an Opaque one without service-account annotations', () => {
    const out = neutraliseHostSecret({
      metadata: {
        name: 'tok-x-default-x-vc',
        annotations: {
          'kubernetes.io/service-account.name': 'default',
          'kubernetes.io/service-account.uid': 'u1',
          keep: 'yes',
        },
      },
      type: SERVICE_ACCOUNT_TOKEN_TYPE,
      data: { token: 'dGVuYW50' },
    });
    expect(out.type).toBe('Opaque');
    expect(out.metadata?.annotations).toEqual({ keep: 'yes' });
    expect(out.data).toEqual({ token: 'dGVuYW50' });
  });

  it('leaves other secret types alone', () => {
    const secret = {
      metadata: { name: 'a', annotations: {} },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    };
    expect(neutraliseHostSecret(secret).type).toBe('kubernetes.io/dockerconfigjson');
  });
});
