import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPublicTld } from './public-tlds.ts';
import { publicTldsModule } from './public-tlds-source.ts';

describe('public top-level domains', () => {
  it('the generated list is current (node hack/gen-public-tlds.ts rewrites it)', () => {
    expect(readFileSync(join(import.meta.dirname, 'public-tlds.generated.ts'), 'utf8')).toBe(
      publicTldsModule(),
    );
  });

  it.each([
    ['com', true],
    ['DEV', true],
    ['xn--p1ai', true], // .рф, as a DNS name carries it
    ['argocd', false],
    ['corp', false],
    ['svc', false],
  ])('%s: %s', (label, expected) => {
    expect(isPublicTld(label)).toBe(expected);
  });
});
