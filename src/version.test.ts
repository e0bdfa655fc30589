import { userAgent } from './version.ts';

describe('userAgent', () => {
  it('names the syncer before the first slash (the API server takes that as the writer), then its version', () => {
    expect(userAgent()).toMatch(/^vsyncer\/\d+\.\d+\.\d+\S* \(\w+\/\w+\) node\/\d+\.\d+\.\d+$/);
  });
});
