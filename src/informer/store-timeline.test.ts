import { asRevision, StoreTimeline } from './store-timeline.ts';

describe('StoreTimeline', () => {
  it('finds the store gone back once a revision older than the highest seen is read, and starts a new epoch from it', () => {
    const timeline = new StoreTimeline();
    expect(timeline.wentBack('5')).toBe(false); // nothing seen yet
    timeline.saw('240');
    timeline.saw('252');
    timeline.saw('100'); // an older event does not lower the floor
    expect(timeline.wentBack('252')).toBe(false);
    expect(timeline.wentBack('260')).toBe(false);
    expect(timeline.epoch).toBe(0);
    expect(timeline.wentBack('241')).toBe(true);
    expect(timeline.epoch).toBe(1);
    // Counted once: the next informer to ask finds it by the epoch, not again.
    expect(timeline.wentBack('243')).toBe(false);
    expect(timeline.epoch).toBe(1);
  });

  it('compares only versions written as integers (an aggregated API may write others)', () => {
    const timeline = new StoreTimeline();
    timeline.saw('abc');
    timeline.saw('90');
    expect(timeline.wentBack('opaque')).toBe(false);
    expect(timeline.wentBack(undefined)).toBe(false);
    expect(asRevision('12345678901234567890')).toBe(12345678901234567890n);
    expect(asRevision('1e3')).toBeUndefined();
    expect(asRevision('')).toBeUndefined();
  });
});
