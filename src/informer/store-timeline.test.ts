import { asRevision, StoreTimeline } from './store-timeline.ts';

describe('StoreTimeline', () => {
  it('finds the store gone back once a revision older than the highest seen is read, and starts a new epoch from it', () => {
    const timeline = new StoreTimeline();
    expect(timeline.wentBack('5', timeline.mark())).toBe(false); // nothing seen yet
    timeline.saw('240');
    timeline.saw('252');
    timeline.saw('100'); // an older event does not lower the floor
    expect(timeline.wentBack('252', timeline.mark())).toBe(false);
    expect(timeline.wentBack('260', timeline.mark())).toBe(false);
    expect(timeline.epoch).toBe(0);
    // Two informers read the store at once; one's answer is handled first.
    const first = timeline.mark();
    const second = timeline.mark();
    expect(timeline.wentBack('241', first)).toBe(true);
    expect(timeline.epoch).toBe(1);
    // Counted once: the other finds it by the epoch, not again.
    expect(timeline.wentBack('241', second)).toBe(false);
    expect(timeline.wentBack('243', timeline.mark())).toBe(false);
    expect(timeline.epoch).toBe(1);
  });

  it('judges a read against what was seen when it was sent: newer versions seen meanwhile (a busy server) are no going back', () => {
    const timeline = new StoreTimeline();
    timeline.saw('100');
    const sent = timeline.mark();
    timeline.saw('130'); // another informer's events while the read is on its way
    expect(timeline.wentBack('120', sent)).toBe(false);
    expect(timeline.epoch).toBe(0);
  });

  it('compares only versions written as integers (an aggregated API may write others)', () => {
    const timeline = new StoreTimeline();
    timeline.saw('abc');
    timeline.saw('90');
    expect(timeline.wentBack('opaque', timeline.mark())).toBe(false);
    expect(timeline.wentBack(undefined, timeline.mark())).toBe(false);
    expect(asRevision('12345678901234567890')).toBe(12345678901234567890n);
    expect(asRevision('1e3')).toBeUndefined();
    expect(asRevision('')).toBeUndefined();
  });
});
