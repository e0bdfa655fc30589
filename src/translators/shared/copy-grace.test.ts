import { COPY_GRACE_MS, CopyGrace } from './copy-grace.ts';

describe('CopyGrace', () => {
  it('tells nothing until the grace is over, asking for one re-check at its end', () => {
    const grace = new CopyGrace();
    expect(grace.tellNow('team/web', 1000, ['x'])).toBe(false);
    expect(grace.takeRecheck('team/web')).toBe(COPY_GRACE_MS);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
    expect(grace.tellNow('team/web', 3000, ['x'])).toBe(false);
    expect(grace.takeRecheck('team/web')).toBe(COPY_GRACE_MS - 2000);
    expect(grace.tellNow('team/web', 1000 + COPY_GRACE_MS, ['x'])).toBe(true);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
  });

  it('what a new object was told at once is told again while it stays away, with no grace', () => {
    const grace = new CopyGrace();
    grace.toldAtOnce('team/web', 1000, ['x']);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
    expect(grace.tellNow('team/web', 1001, ['x'])).toBe(true);
    grace.settled('team/web');
    expect(grace.tellNow('team/web', 1002, ['x'])).toBe(false);
  });

  it('another copy on its way gets a grace of its own; one told at once is told even in an open grace', () => {
    const grace = new CopyGrace();
    expect(grace.tellNow('team/web', 0, ['a'])).toBe(false);
    // At 4.9 s the object names another copy on its way: 5 s from then, not from the first.
    expect(grace.tellNow('team/web', 4900, ['b'])).toBe(false);
    expect(grace.tellNow('team/web', 5000, ['b'])).toBe(false);
    expect(grace.tellNow('team/web', 4900 + COPY_GRACE_MS, ['b'])).toBe(true);
    // Made anew (told at once) during another grace: told again at its next look.
    expect(grace.tellNow('team/x', 0, ['a'])).toBe(false);
    grace.toldAtOnce('team/x', 1000, ['a']);
    expect(grace.tellNow('team/x', 1001, ['a'])).toBe(true);
  });

  it('a settled object starts a grace of its own next time; others keep theirs', () => {
    const grace = new CopyGrace();
    grace.tellNow('team/a', 0, ['x']);
    grace.tellNow('team/b', 0, ['x']);
    grace.settled('team/a');
    expect(grace.takeRecheck('team/a')).toBeUndefined();
    expect(grace.tellNow('team/a', COPY_GRACE_MS, ['x'])).toBe(false);
    expect(grace.tellNow('team/b', COPY_GRACE_MS, ['x'])).toBe(true);
  });
});
