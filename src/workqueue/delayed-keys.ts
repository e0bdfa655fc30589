import { MAX_TIMER_MS, type Clock } from '../util/clock.ts';

interface Entry<K> {
  at: number;
  seq: number;
  key: K;
}

function before<K>(a: Entry<K>, b: Entry<K>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Keys due at a later time, behind one timer: a min-heap by due time, and the timer armed for the
 * earliest. A timer per key cost about 370 bytes (the timer, its callback, the cancel function and the
 * record holding both); every synced pod waits for its token's next check, so in a heap snapshot at ten
 * thousand pods that was 2.1 MB in the queue's map and 1.6 MB of timers and timer lists. Here a key
 * costs a map entry and a heap entry.
 *
 * A key is due once, at the earliest time it was given (client-go's delaying queue keeps the earlier
 * time too). An entry whose key was moved earlier or removed stays in the heap and is skipped when it
 * comes up: the map says which time counts.
 */
export class DelayedKeys<K> {
  private readonly clock: Clock;
  private readonly onDue: (key: K) => void;
  private readonly dueAt = new Map<K, number>();
  /** Entries ordered by time, then by when they were added (keys due together go in the order given). */
  private readonly heap: Entry<K>[] = [];
  private seq = 0;
  private timer: { at: number; cancel: () => void } | undefined;

  constructor(clock: Clock, onDue: (key: K) => void) {
    this.clock = clock;
    this.onDue = onDue;
  }

  /**
   * Makes key due at `at` unless it is due earlier already. `at` is on the clock's monotonic time
   * (Clock.monotonicNow): a wall clock set back would hold every key that long.
   */
  add(key: K, at: number): void {
    const current = this.dueAt.get(key);
    if (current !== undefined && current <= at) return;
    this.dueAt.set(key, at);
    this.push({ at, seq: this.seq++, key });
    this.arm();
  }

  /**
   * Key is no longer due (its object is gone). Its heap entry is skipped when it comes up; once most
   * of the heap is such entries, it is rebuilt from the live ones, so that keys of objects deleted
   * long before their time (a pod whose token would have been checked in a year) take no memory.
   */
  remove(key: K): void {
    if (!this.dueAt.delete(key)) return;
    if (this.heap.length > 64 && this.heap.length > 2 * this.dueAt.size) this.compact();
    this.arm();
  }

  /** When key is due, if it waits. */
  get(key: K): number | undefined {
    return this.dueAt.get(key);
  }

  get size(): number {
    return this.dueAt.size;
  }

  /** Entries in the heap, those to be skipped included (what the keys cost in memory). */
  get entries(): number {
    return this.heap.length;
  }

  /** Forgets every key and stops the timer. */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.dueAt.clear();
    this.heap.length = 0;
  }

  /** Hands out the keys that are due, then arms the timer for the next one. */
  private fire(): void {
    this.timer = undefined;
    const now = this.clock.monotonicNow();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { at, key } = this.pop();
      if (this.dueAt.get(key) !== at) continue; // moved earlier (and handed out), or cleared
      this.dueAt.delete(key);
      this.onDue(key);
    }
    this.arm();
  }

  /** Arms the timer for the earliest live entry, unless it is armed for that time or earlier. */
  private arm(): void {
    while (this.heap.length > 0 && this.dueAt.get(this.heap[0]!.key) !== this.heap[0]!.at) this.pop();
    const next = this.heap[0];
    if (next === undefined) {
      this.timer?.cancel();
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined && this.timer.at <= next.at) return;
    this.timer?.cancel();
    // At least 1 ms: a timer may fire a little before the clock reads its time, and fire() then
    // re-arms. At most Node's longest timer (about 24.8 days): a longer one would fire after 1 ms, and
    // again, a thousand times a second (a token of a month's lifetime is checked after 0.8 of it).
    const wait = Math.min(MAX_TIMER_MS, Math.max(1, next.at - this.clock.monotonicNow()));
    const cancel = this.clock.setTimer(() => this.fire(), wait);
    this.timer = { at: next.at, cancel };
  }

  /** Rebuilds the heap from its live entries (their order kept: time, then when they were added). */
  private compact(): void {
    const live = this.heap.filter((e) => this.dueAt.get(e.key) === e.at);
    this.heap.length = 0;
    for (const entry of live) this.push(entry);
  }

  private push(entry: Entry<K>): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry<K> {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
