import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../hack/cluster/launcher.ts';

describe('the built bundle', () => {
  // The global setup bundles dist/cmd/vsyncer.js as `npm run build` does (hack/bundle.ts).
  const bundle = readFileSync(join(REPO_ROOT, 'dist/cmd/vsyncer.js'), 'utf8');

  it('is ASCII only, so V8 holds its source at one byte per character', () => {
    const stray = [...new Set(bundle.match(/[^\p{ASCII}]/gu) ?? [])];
    expect(stray).toEqual([]);
  });
});
