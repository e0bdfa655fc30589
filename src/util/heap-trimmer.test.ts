import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { FakeClock } from './clock.ts';
import {
  HeapTrimmer,
  memoryReducerCollections,
  memoryReducingCollection,
  type HeapTrimmerOptions,
} from './heap-trimmer.ts';

/** A trimmer on a fake clock whose process CPU the test drives: `burn(ms)` spends CPU. */
function rig(options: Partial<HeapTrimmerOptions> = {}) {
  const clock = new FakeClock();
  let cpuMicros = 0;
  let reducerRuns = 0;
  const collections: number[] = [];
  const trimmer = new HeapTrimmer({
    clock,
    cpuMicros: () => cpuMicros,
    reducerCollections: () => reducerRuns,
    collect: () => collections.push(clock.now()),
    ...options,
  });
  trimmer.start();
  return {
    clock,
    collections,
    trimmer,
    burn: (ms: number) => (cpuMicros += ms * 1000),
    /** V8's memory reducer runs a collection of its own. */
    reducerCollects: () => reducerRuns++,
    /** Advances in the trimmer's 5 s checks, spending cpuMsPerCheck before each. */
    run(seconds: number, cpuMsPerCheck = 0) {
      for (let t = 0; t < seconds; t += 5) {
        cpuMicros += cpuMsPerCheck * 1000;
        clock.advance(5_000);
      }
    },
  };
}

describe('HeapTrimmer', () => {
  it('collects once when the process goes quiet after work, not again while it stays idle', () => {
    const r = rig();
    r.run(20, 1_000); // a burst: a core's fifth for 20 s
    expect(r.collections).toHaveLength(0);
    r.run(5);
    expect(r.collections).toHaveLength(0); // quiet for 5 s only
    r.run(5);
    expect(r.collections).toHaveLength(1); // quiet for 10 s
    r.run(600, 10); // idle, with the little CPU an idle syncer uses
    expect(r.collections).toHaveLength(1);
  });

  it('does not collect after too little work (start-up alone, a few reconciles)', () => {
    const r = rig();
    r.burn(300);
    r.run(120);
    expect(r.collections).toHaveLength(0);
    r.burn(300); // 600 ms since start: enough
    r.run(15);
    expect(r.collections).toHaveLength(1);
  });

  it('waits out a steady load, however long', () => {
    const r = rig();
    r.run(300, 200); // 4% of a core, every check
    expect(r.collections).toHaveLength(0);
  });

  it('collects at most once a minute under intermittent work', () => {
    const r = rig();
    for (let i = 0; i < 20; i++) {
      r.burn(1_000); // a second of work, then 15 s quiet: 300 s in all
      r.run(15);
    }
    // Quiet for 10 s after work every 15 s, but at least 60 s apart: at 20 s, 80 s, 140 s, ...
    expect(r.collections.length).toBeGreaterThanOrEqual(4);
    expect(r.collections.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < r.collections.length; i++)
      expect(r.collections[i]! - r.collections[i - 1]!).toBeGreaterThanOrEqual(60_000);
  });

  it("leaves the heap to V8's memory reducer when it trimmed in the quiet time", () => {
    const r = rig();
    r.run(20, 1_000);
    r.burn(150); // the reducer's collections: their CPU makes no busy interval
    r.reducerCollects();
    r.run(5);
    r.run(600, 10);
    expect(r.collections).toHaveLength(0);
    r.run(20, 1_000); // the next burst, and no reducer after it
    r.run(15);
    expect(r.collections).toHaveLength(1);
  });

  it("does not count the collection's own CPU as work", () => {
    let cpu = 0;
    const clock = new FakeClock();
    let collections = 0;
    const trimmer = new HeapTrimmer({
      clock,
      cpuMicros: () => cpu,
      reducerCollections: () => 0,
      collect: () => {
        collections++;
        cpu += 2_000_000; // a slow collection: 2 s of CPU
      },
    });
    trimmer.start();
    cpu += 1_000_000;
    clock.advance(15_000);
    expect(collections).toBe(1);
    clock.advance(600_000);
    expect(collections).toBe(1);
  });

  it('reports each trim and stops checking after stop()', () => {
    const trims: unknown[] = [];
    const r = rig({ onTrim: (t) => trims.push(t) });
    r.burn(1_000);
    r.run(15);
    expect(trims).toEqual([
      { heapBytesBefore: expect.any(Number), heapBytesAfter: expect.any(Number), cpuMs: 0 },
    ]);
    r.trimmer.stop();
    expect(r.clock.pendingTimers()).toBe(0);
    r.burn(1_000);
    r.run(120);
    expect(r.collections).toHaveLength(1);
  });
});

describe('memoryReducerCollections', () => {
  it("counts V8's memory reducer trimming a node process that went quiet after a burst", async () => {
    // In a child process: the reducer's timing is V8's own (it first looks about 8 s after the
    // burst's last full collection), and this test process's own work would keep it waiting. Its timer
    // cannot be injected, so the child waits for the reducer's collection itself, however long that
    // takes; only a reducer that never runs (or is not counted) hits the kill below, and fails.
    const child = `
      import { memoryReducerCollections, memoryReducingCollection } from ${JSON.stringify(join(import.meta.dirname, 'heap-trimmer.ts'))};
      const count = memoryReducerCollections();
      memoryReducingCollection();
      let live = [];
      for (let i = 0; i < 2e6; i++) { live.push({ i, s: 'x' + i }); if (live.length > 4e5) live = live.slice(2e5); }
      const timer = setInterval(() => {
        if (count() === 0) return;
        clearInterval(timer);
        console.log(count());
      }, 100);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', child], {
      encoding: 'utf8',
      timeout: 110_000, // V8's watchdog collects about 100 s after the burst at the latest
    });
    expect(Number(stdout.trim())).toBeGreaterThan(0);
  }, 120_000);

  it("does not count the trimmer's own collection or the ones allocation triggers", async () => {
    const count = memoryReducerCollections();
    // Every gc entry, to know when those of the collections below have all been delivered.
    const entries: PerformanceEntry[] = [];
    let arrived = () => {};
    const observer = new PerformanceObserver((list) => {
      entries.push(...list.getEntries());
      arrived();
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      const before = count();
      const collect = memoryReducingCollection()!;
      const start = performance.now();
      collect();
      heapAfterGarbage(1_000_000);
      // One more collection, after the others: entries arrive in order, so once its own has arrived,
      // so have theirs, to every observer (all are handed the same batch, in one turn of the loop).
      const marked = performance.now();
      collect();
      while (!entries.some((e) => e.startTime >= marked)) await new Promise<void>((r) => (arrived = r));
      await new Promise((resolve) => setImmediate(resolve));
      // The collections under test did arrive: the trimmer's (two or more) and the allocation's.
      expect(entries.filter((e) => e.startTime >= start && e.startTime < marked).length).toBeGreaterThan(2);
      expect(count()).toBe(before);
    } finally {
      observer.disconnect();
    }
  });
});

describe('memoryReducingCollection', () => {
  it('gives this runtime a collection that hands a grown heap back, without a global gc', () => {
    const collect = memoryReducingCollection();
    expect(collect).toBeInstanceOf(Function);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const grown = heapAfterGarbage(400_000);
    collect!();
    // About 30 MB of small objects became garbage; the heap reserved drops by more than half of it.
    expect(grown - getHeapStatistics().total_heap_size).toBeGreaterThan(15 << 20);
  });
});

/** Fills the heap with count small objects that are garbage once this returns; the heap reserved then. */
function heapAfterGarbage(count: number): number {
  const garbage = Array.from({ length: count }, (_, i) => ({ i, s: `item-${i}` }));
  expect(garbage).toHaveLength(count);
  return getHeapStatistics().total_heap_size;
}
