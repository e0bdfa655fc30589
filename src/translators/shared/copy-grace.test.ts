import { COPY_GRACE_MS, CopyGrace } from './copy-grace.ts';

describe('CopyGrace', () => {
  it('tells nothing until the grace is over, asking for one re-check at its end', () => {
    const grace = new CopyGrace();
    expect(grace.tellNow('team/web', 1000)).toBe(false);
    expect(grace.takeRecheck('team/web')).toBe(COPY_GRACE_MS);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
    expect(grace.tellNow('team/web', 3000)).toBe(false);
    expect(grace.takeRecheck('team/web')).toBe(COPY_GRACE_MS - 2000);
    expect(grace.tellNow('team/web', 1000 + COPY_GRACE_MS)).toBe(true);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
  });

  it('what a new object was told at once is told again while it stays away, with no grace', () => {
    const grace = new CopyGrace();
    grace.toldAtOnce('team/web', 1000);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
    expect(grace.tellNow('team/web', 1001)).toBe(true);
    grace.settled('team/web');
    expect(grace.tellNow('team/web', 1002)).toBe(false);
  });

  it('a settled object starts a grace of its own next time; others keep theirs', () => {
    const grace = new CopyGrace();
    grace.tellNow('team/a', 0);
    grace.tellNow('team/b', 0);
    grace.settled('team/a');
    expect(grace.takeRecheck('team/a')).toBeUndefined();
    expect(grace.tellNow('team/a', COPY_GRACE_MS)).toBe(false);
    expect(grace.tellNow('team/b', COPY_GRACE_MS)).toBe(true);
  });
});
