import { COPY_GRACE_MS, CopyGrace } from './copy-grace.ts';

describe('CopyGrace', () => {
  it('tells nothing until the grace is over, asking for one re-check at its end', () => {
    const grace = new CopyGrace();
    expect(grace.tell('team/web', 1000, ['x'], true)).toBe(false);
    expect(grace.takeRecheck('team/web')).toBe(COPY_GRACE_MS);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
    expect(grace.tell('team/web', 3000, ['x'], true)).toBe(false);
    expect(grace.takeRecheck('team/web')).toBe(COPY_GRACE_MS - 2000);
    expect(grace.tell('team/web', 1000 + COPY_GRACE_MS, ['x'], true)).toBe(true);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
  });

  it('what a new object was told at once is told again while it stays away, with no grace', () => {
    const grace = new CopyGrace();
    expect(grace.tell('team/web', 1000, ['x'], false)).toBe(true);
    expect(grace.takeRecheck('team/web')).toBeUndefined();
    expect(grace.tell('team/web', 1001, ['x'], true)).toBe(true);
    expect(grace.tell('team/web', 1002, [], true)).toBe(false);
    expect(grace.tell('team/web', 1002, ['x'], true)).toBe(false);
  });

  it('another copy on its way gets a grace of its own; one told at once is told even in an open grace', () => {
    const grace = new CopyGrace();
    expect(grace.tell('team/web', 0, ['a'], true)).toBe(false);
    // At 4.9 s the object names another copy on its way: 5 s from then, not from the first.
    expect(grace.tell('team/web', 4900, ['b'], true)).toBe(false);
    expect(grace.tell('team/web', 5000, ['b'], true)).toBe(false);
    expect(grace.tell('team/web', 4900 + COPY_GRACE_MS, ['b'], true)).toBe(true);
    // Made anew (told at once) during another grace: told again at its next look.
    expect(grace.tell('team/x', 0, ['a'], true)).toBe(false);
    expect(grace.tell('team/x', 1000, ['a'], false)).toBe(true);
    expect(grace.tell('team/x', 1001, ['a'], true)).toBe(true);
  });

  it('a settled object starts a grace of its own next time; others keep theirs', () => {
    const grace = new CopyGrace();
    grace.tell('team/a', 0, ['x'], true);
    grace.tell('team/b', 0, ['x'], true);
    expect(grace.tell('team/a', 0, [], true)).toBe(false);
    expect(grace.takeRecheck('team/a')).toBeUndefined();
    expect(grace.tell('team/a', COPY_GRACE_MS, ['x'], true)).toBe(false);
    expect(grace.tell('team/b', COPY_GRACE_MS, ['x'], true)).toBe(true);
  });
});
