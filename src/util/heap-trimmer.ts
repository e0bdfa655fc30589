import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { realClock, type Clock } from './clock.ts';

export interface HeapTrimmerOptions {
  /** A full, memory-reducing collection (`memoryReducingCollection()`). */
  collect: () => void;
  clock?: Clock;
  /** CPU time the process has used so far, in microseconds (process.cpuUsage by default). */
  cpuMicros?: () => number;
  /** Collections V8's memory reducer has finished so far (`memoryReducerCollections()` by default). */
  reducerCollections?: () => number;
  /** How often the process's CPU use is looked at. */
  checkEveryMs?: number;
  /** How long the process must stay quiet before a trim. */
  quietMs?: number;
  /** A check interval counts as quiet when the process used at most this share of one core in it. */
  quietCpuShare?: number;
  /** CPU the process must have spent busy since the last trim (or start) for a trim to be worth its pause. */
  minWorkCpuMs?: number;
  /** Trims are at least this far apart, which bounds their cost under light, intermittent load. */
  minIntervalMs?: number;
  onTrim?: (trim: HeapTrim) => void;
}

export interface HeapTrim {
  /** V8 heap reserved before and after (what the process holds for its heap, used or not). */
  heapBytesBefore: number;
  heapBytesAfter: number;
  /** CPU time the collection took. */
  cpuMs: number;
}

const DEFAULTS = {
  checkEveryMs: 5_000,
  quietMs: 10_000,
  quietCpuShare: 0.02,
  minWorkCpuMs: 500,
  minIntervalMs: 60_000,
};

/**
 * Returns the heap's unused memory to the operating system once the process goes quiet after work:
 * one memory-reducing collection when the process has used at least `minWorkCpuMs` of CPU since the
 * last one and then next to none for `quietMs`, unless V8's memory reducer, which does the same when
 * it sees the quiet, has collected since. The collection pauses the process (tens of milliseconds
 * for a 200-pod heap, a few hundred for 10,000 pods), which is why it waits for quiet and runs at
 * most once per `minIntervalMs`.
 *
 * Why it exists: after a burst V8 keeps the heap it grew, and gives it back only when its memory
 * reducer judges the allocation rate low. It judges from samples taken at collections, and an idle
 * syncer allocates too little to collect at all, so the burst's rate stands and the reducer may wait
 * until its watchdog collects about 100 s later (measured: RSS stayed 114 MB for 100 s after a
 * 200-pod burst, then fell to 100 MB). In other runs it collected within 10 s: a second V8 context,
 * as memoryReducingCollection() makes, gets a plain node process's reducer to see the quiet, for
 * reasons internal to V8. The trimmer is the backstop for when it does not.
 */
export class HeapTrimmer {
  private readonly options: Required<Omit<HeapTrimmerOptions, 'onTrim'>> & Pick<HeapTrimmerOptions, 'onTrim'>;
  private lastCpuMicros: number;
  private workSinceTrimMicros = 0;
  private quietSince: number;
  private lastReducerCollections: number;
  private lastTrimAt = -Infinity;
  private cancelTimer: (() => void) | undefined;

  constructor(options: HeapTrimmerOptions) {
    this.options = {
      clock: realClock,
      cpuMicros: processCpuMicros,
      reducerCollections: options.reducerCollections ?? memoryReducerCollections(),
      ...DEFAULTS,
      ...options,
    };
    this.lastCpuMicros = this.options.cpuMicros();
    this.quietSince = this.options.clock.now();
    this.lastReducerCollections = this.options.reducerCollections();
  }

  start(): void {
    if (this.cancelTimer) return;
    this.schedule();
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** One look at the CPU used since the last; trims when the conditions hold. Public for tests. */
  check(): HeapTrim | undefined {
    const { clock, cpuMicros, reducerCollections, checkEveryMs, quietCpuShare, quietMs, minWorkCpuMs } =
      this.options;
    const now = clock.now();
    const cpu = cpuMicros();
    const used = Math.max(0, cpu - this.lastCpuMicros);
    this.lastCpuMicros = cpu;
    const reducer = reducerCollections();
    if (reducer > this.lastReducerCollections) {
      // V8's memory reducer saw the quiet and trimmed the heap itself: that counts as a trim, and the
      // CPU its collections took is not work.
      this.lastReducerCollections = reducer;
      this.workSinceTrimMicros = 0;
      return undefined;
    }
    if (used > quietCpuShare * checkEveryMs * 1000) {
      // Only busy intervals count as work: an idle process's timers and watches would otherwise add
      // up to a trim every few minutes.
      this.workSinceTrimMicros += used;
      this.quietSince = now;
      return undefined;
    }
    if (now - this.quietSince < quietMs) return undefined;
    if (this.workSinceTrimMicros < minWorkCpuMs * 1000) return undefined;
    if (now - this.lastTrimAt < this.options.minIntervalMs) return undefined;
    return this.trim(now);
  }

  private trim(now: number): HeapTrim {
    const { collect, cpuMicros, onTrim } = this.options;
    const heapBytesBefore = getHeapStatistics().total_heap_size;
    const cpuBefore = cpuMicros();
    collect();
    const cpuAfter = cpuMicros();
    const trim: HeapTrim = {
      heapBytesBefore,
      heapBytesAfter: getHeapStatistics().total_heap_size,
      cpuMs: (cpuAfter - cpuBefore) / 1000,
    };
    // The collection's own CPU is not work that calls for another trim.
    this.lastCpuMicros = cpuAfter;
    this.workSinceTrimMicros = 0;
    this.lastTrimAt = now;
    onTrim?.(trim);
    return trim;
  }

  private schedule(): void {
    this.cancelTimer = this.options.clock.setTimer(() => {
      this.check();
      if (this.cancelTimer) this.schedule();
    }, this.options.checkEveryMs);
  }
}

/**
 * A count of the full collections V8's memory reducer has run, from Node's `gc` performance entries
 * (delivered shortly after each collection): the reducer's are the full collections made with
 * "all external memory" among their callback flags; the collections a burst's allocation triggers
 * have none, and the trimmer's own have none either. One observer per process, shared.
 */
export function memoryReducerCollections(): () => number {
  if (!reducerObserver) {
    reducerObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as { detail?: { kind?: number; flags?: number } }).detail;
        if (
          detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR &&
          ((detail.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) !== 0
        )
          reducerCollectionsSeen++;
      }
    });
    reducerObserver.observe({ entryTypes: ['gc'] });
  }
  return () => reducerCollectionsSeen;
}
let reducerObserver: PerformanceObserver | undefined;
let reducerCollectionsSeen = 0;

function processCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * V8's full collection in its memory-reducing form (the one its memory reducer and low-memory
 * notifications run: compacts, shrinks the young generation, releases empty pages), or undefined
 * where this runtime does not offer it. Node exposes it only through the `gc` function of
 * --expose-gc; the flag is set just long enough to make a fresh context that has the function, so
 * no global `gc` appears in the syncer's own context for other code to call.
 */
export function memoryReducingCollection(): (() => void) | undefined {
  let gc: unknown;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('typeof gc === "function" ? gc : undefined');
  } catch {
    gc = undefined;
  } finally {
    // A process started with --expose-gc keeps its global gc; this only stops new contexts getting one.
    if (typeof globalThis.gc !== 'function') setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc !== 'function') return undefined;
  const collect = gc as (options: object) => void;
  return () => collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
