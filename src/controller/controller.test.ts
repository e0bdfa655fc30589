import { ApiError } from '../kube/errors.ts';
import { FakeClock } from '../util/clock.ts';
import { Controller, type ReconcileOutcome } from './controller.ts';
import { TerminalError, WaitingError } from './errors.ts';
import { UnreachableApiLog } from './unreachable-log.ts';
import { silentLogger, type Logger } from '../util/log.ts';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function setup(reconcile: (key: string) => Promise<{ requeueAfterMs?: number } | void>) {
  const clock = new FakeClock(0);
  const outcomes: ReconcileOutcome[] = [];
  const terminal: string[] = [];
  const controller = new Controller({
    name: 'test',
    workers: 2,
    clock,
    reconcile,
    onTerminalError: (key, err) => void terminal.push(`${key}: ${err.message}`),
    metrics: { reconciled: (_n, o) => outcomes.push(o), reconcileError: () => {} },
  });
  controller.start();
  return { clock, controller, outcomes, terminal };
}

/** A logger that keeps each line as `<level> <message>`. */
function recordingLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const logger: Logger = {
    debug: (msg) => void lines.push(`debug ${msg}`),
    info: (msg) => void lines.push(`info ${msg}`),
    warn: (msg) => void lines.push(`warn ${msg}`),
    error: (msg) => void lines.push(`error ${msg}`),
    child: () => logger,
  };
  return { lines, logger };
}

describe('Controller', () => {
  it('an urgent key is reconciled while every ordinary worker is stuck', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const controller = new Controller({
      name: 'lanes',
      workers: 2,
      clock: new FakeClock(0),
      reconcile: async (key) => {
        seen.push(key);
        if (key.startsWith('create')) await stuck;
      },
    });
    controller.start(['create-1', 'create-2', 'create-3']);
    await settle();
    controller.enqueue('status', { urgent: true });
    await settle();
    expect(seen).toEqual(['create-1', 'create-2', 'status']);
    release();
    await settle();
    expect(seen).toContain('create-3');
    await controller.stop(100);
  });

  it('reconciles each key, once for many adds while queued', async () => {
    const seen: string[] = [];
    const controller = new Controller({
      name: 'dedupe',
      workers: 2,
      clock: new FakeClock(0),
      reconcile: async (key) => void seen.push(key),
    });
    controller.start(['a', 'a', 'b', 'a']);
    await settle();
    expect(seen.sort()).toEqual(['a', 'b']);
    await controller.stop(100);
  });

  it('drops changes before start (a standby queues nothing), and starts from the keys that exist', async () => {
    const seen: string[] = [];
    const controller = new Controller({
      name: 'standby',
      workers: 1,
      clock: new FakeClock(0),
      reconcile: async (key) => void seen.push(key),
    });
    for (let i = 0; i < 1000; i++) controller.enqueue(`gone-${i}`);
    expect(controller.isStarted).toBe(false);
    controller.start(['live']);
    await settle();
    expect(seen).toEqual(['live']);
    controller.enqueue('later');
    await settle();
    expect(seen).toEqual(['live', 'later']);
    await controller.stop(100);
  });

  it('retries conflicts quietly, never as terminal: when a watch event brings the key back, else after 250 ms', async () => {
    let calls = 0;
    const { clock, controller, outcomes, terminal } = setup(async () => {
      calls++;
      if (calls <= 2) throw new ApiError('host', 409, { reason: 'Conflict' }, 'conflict');
    });
    controller.enqueue('a');
    await settle();
    expect(calls).toBe(1);
    // No event: not before 250 ms (an immediate retry would read the same stale cache).
    clock.advance(249);
    await settle();
    expect(calls).toBe(1);
    clock.advance(1);
    await settle();
    expect(calls).toBe(2);
    // The other writer's change reaches the cache: tried again at once.
    clock.advance(5);
    controller.enqueue('a');
    await settle();
    expect(calls).toBe(3);
    expect(outcomes).toEqual(['conflict', 'conflict', 'success']);
    expect(terminal).toEqual([]);
    await controller.stop(100);
  });

  it('reports terminal and invalid errors once and does not retry them', async () => {
    let calls = 0;
    const { clock, controller, terminal } = setup(async (key) => {
      calls++;
      if (key === 'a') throw new TerminalError('name taken');
      throw new ApiError('host', 422, { reason: 'Invalid', message: 'spec.x: Invalid value' }, 'invalid');
    });
    controller.enqueue('a');
    controller.enqueue('b');
    await settle();
    clock.advance(60_000);
    await settle();
    expect(calls).toBe(2);
    expect(terminal.sort()).toEqual(['a: name taken', 'b: spec.x: Invalid value']);
    await controller.stop(100);
  });

  it.each([
    [
      'a ValidatingAdmissionPolicy',
      `pods "bad" is forbidden: ValidatingAdmissionPolicy 'no-bad-pods' with binding 'no-bad-pods' denied request: failed expression: !has(object.metadata.labels.bad)`,
    ],
    ['an admission webhook', 'admission webhook "validate.example.com" denied the request: no'],
  ])(
    'reports an invalid answer of %s at once and tries again a minute later, then less often (1, 2, 4, 8, 16 minutes apart): the admin may lift it, which no watch tells',
    async (_what, message) => {
      let calls = 0;
      const { clock, controller, terminal } = setup(async () => {
        calls++;
        if (calls <= 6) throw new ApiError('host', 422, { reason: 'Invalid', message }, 'invalid');
      });
      controller.enqueue('a');
      await settle();
      expect(terminal).toEqual([`a: ${message}`]);
      const callsAfter = async (minutes: number) => {
        clock.advance(minutes * 60_000 - 1);
        await settle();
        const before = calls;
        clock.advance(1);
        await settle();
        return [before, calls];
      };
      expect(await callsAfter(1)).toEqual([1, 2]);
      expect(await callsAfter(2)).toEqual([2, 3]);
      expect(await callsAfter(4)).toEqual([3, 4]);
      expect(await callsAfter(8)).toEqual([4, 5]);
      expect(await callsAfter(16)).toEqual([5, 6]);
      expect(await callsAfter(16)).toEqual([6, 7]);
      // Accepted at last: nothing more.
      clock.advance(60 * 60_000);
      await settle();
      expect(calls).toBe(7);
      await controller.stop(100);
    },
  );

  it('reports a reconcile that ran out of stack (an object nested too deep) once, as terminal', async () => {
    let calls = 0;
    const { clock, controller, outcomes, terminal } = setup(async () => {
      calls++;
      const deep = JSON.parse(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`);
      JSON.stringify(deep);
    });
    controller.enqueue('ns/deep');
    await settle();
    clock.advance(60_000);
    await settle();
    expect(calls).toBe(1);
    expect(outcomes).toEqual(['terminal']);
    expect(terminal).toEqual([expect.stringMatching(/^ns\/deep: the object nests too deeply/)]);
    await controller.stop(100);
  });

  it('retries other errors with growing backoff and keeps running', async () => {
    let calls = 0;
    const { clock, controller, outcomes } = setup(async () => {
      calls++;
      throw new Error('boom');
    });
    controller.enqueue('a');
    await settle();
    clock.advance(5);
    await settle();
    clock.advance(10);
    await settle();
    expect(calls).toBe(3);
    expect(outcomes).toEqual(['error', 'error', 'error']);
    await controller.stop(100);
  });

  it('requeues after the requested time', async () => {
    let calls = 0;
    const { clock, controller } = setup(async () => {
      calls++;
      return calls === 1 ? { requeueAfterMs: 1000 } : undefined;
    });
    controller.enqueue('a');
    await settle();
    clock.advance(999);
    await settle();
    expect(calls).toBe(1);
    clock.advance(1);
    await settle();
    expect(calls).toBe(2);
    await controller.stop(100);
  });

  it('a requeue delay that is no number (NaN, Infinity) is tried again with backoff, never lost', async () => {
    for (const odd of [NaN, Infinity]) {
      let calls = 0;
      const { clock, controller } = setup(async () => {
        calls++;
        return calls === 1 ? { requeueAfterMs: odd } : undefined;
      });
      controller.enqueue('a');
      await settle();
      clock.advance(60_000);
      await settle();
      expect({ odd, calls }).toEqual({ odd, calls: 2 });
      await controller.stop(100);
    }
  });

  it('a requeue delay that is no number every time backs off as failures do, growing', async () => {
    let calls = 0;
    const { clock, controller } = setup(async () => {
      calls++;
      return { requeueAfterMs: NaN };
    });
    controller.enqueue('a');
    await settle();
    for (let ms = 0; ms < 10_000; ms += 5) {
      clock.advance(5);
      await settle();
    }
    // 5 ms doubling: 5, 10, 20, ... about 11 tries in ten seconds, not 2,000.
    expect(calls).toBeLessThan(20);
    expect(calls).toBeGreaterThan(5);
    await controller.stop(100);
  });

  it('stop waits for in-flight work, and reports when the deadline passes first', async () => {
    let release!: () => void;
    const { controller } = setup(() => new Promise<void>((r) => (release = r)));
    controller.enqueue('slow');
    await settle();
    expect(controller.busy).toBe(1);
    expect(await controller.stop(20)).toBe(false);
    release();
    const { controller: c2 } = setup(async () => {});
    c2.enqueue('x');
    await settle();
    expect(await c2.stop(1000)).toBe(true);
  });
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Controller: keys', () => {
  it('never reconciles a key twice at once, and re-runs it for a change seen meanwhile', async () => {
    const gates: (() => void)[] = [];
    let running = 0;
    let maxRunning = 0;
    const seen: string[] = [];
    const { controller } = setup(async (key) => {
      seen.push(key);
      running++;
      maxRunning = Math.max(maxRunning, running);
      const gate = deferred();
      gates.push(gate.resolve);
      await gate.promise;
      running--;
    });
    controller.enqueue('a');
    await settle();
    controller.enqueue('a'); // changed while being reconciled
    controller.enqueue('a');
    await settle();
    expect(seen).toEqual(['a']);
    controller.enqueue('b'); // a different key runs on the other worker meanwhile
    await settle();
    expect(seen).toEqual(['a', 'b']);
    expect(controller.busy).toBe(2);
    gates.shift()!();
    await settle();
    expect(seen).toEqual(['a', 'b', 'a']);
    gates.shift()!();
    gates.shift()!();
    await settle();
    expect(seen).toHaveLength(3);
    expect(maxRunning).toBe(2);
    expect(controller.busy).toBe(0);
    await controller.stop(100);
  });

  it('refuses a worker count that is not a positive integer', () => {
    for (const workers of [0, -1, 1.5])
      expect(() => new Controller({ name: 'x', workers, reconcile: async () => {} })).toThrow(/workers/);
  });
});

describe('Controller: failures', () => {
  it('tells each retried failure (not a wait) with the failures in a row before it, counted afresh after a success', async () => {
    const told: string[] = [];
    const clock = new FakeClock(0);
    const failures: unknown[] = [
      new WaitingError('a copy first'),
      new ApiError('host', 409, { reason: 'Conflict' }, 'conflict'),
      new WaitingError('a copy first'),
      new ApiError('host', 500, { reason: 'InternalError' }, 'internal'),
      undefined,
      new ApiError('host', 409, { reason: 'Conflict' }, 'conflict'),
    ];
    const controller = new Controller({
      name: 'told',
      workers: 1,
      clock,
      reconcile: async () => {
        const next = failures.shift();
        if (next) throw next;
      },
      onRetriedError: (key, err, before) =>
        void told.push(`${key} ${(err as ApiError).statusCode} ${before}`),
    });
    controller.start();
    controller.enqueue('a');
    for (let i = 0; i < 6; i++) {
      await settle();
      clock.advance(2000);
    }
    await settle();
    controller.enqueue('a');
    await settle();
    expect(told).toEqual(['a 409 0', 'a 500 1', 'a 409 0']);
    await controller.stop(100);
  });

  it('backs conflicts off exponentially per key past the 250 ms floor (AlreadyExists too) and resets after a success', async () => {
    let calls = 0;
    let failNext = 7;
    const { clock, controller, outcomes, terminal } = setup(async () => {
      calls++;
      if (failNext > 0) {
        failNext--;
        throw calls === 1
          ? new ApiError('host', 409, { reason: 'Conflict' }, 'conflict')
          : new ApiError('host', 409, { reason: 'AlreadyExists' }, 'exists');
      }
    });
    controller.enqueue('a');
    await settle();
    // 5 ms doubling per failure: the first six retries wait the floor, the seventh 5 * 2^6 = 320 ms.
    for (let retry = 1; retry <= 6; retry++) {
      clock.advance(249);
      await settle();
      expect(calls).toBe(retry);
      clock.advance(1);
      await settle();
      expect(calls).toBe(retry + 1);
    }
    clock.advance(319);
    await settle();
    expect(calls).toBe(7);
    clock.advance(1);
    await settle();
    expect(calls).toBe(8);
    expect(outcomes).toEqual([...Array(7).fill('conflict'), 'success']);
    expect(terminal).toEqual([]);
    // Success forgot the failures: the next conflict waits the floor again.
    failNext = 1;
    controller.enqueue('a');
    await settle();
    clock.advance(250);
    await settle();
    expect(calls).toBe(10);
    await controller.stop(100);
  });

  it('reports a terminal error once per failure, even if reporting throws, and runs again on the next change', async () => {
    let calls = 0;
    const reported: string[] = [];
    const reasons: string[] = [];
    const clock = new FakeClock(0);
    const controller = new Controller({
      name: 't',
      workers: 1,
      clock,
      reconcile: async () => {
        calls++;
        throw new TerminalError('host name taken', 'NameConflict');
      },
      onTerminalError: (key, err) => {
        reported.push(`${key} ${err.reason}`);
        throw new Error('event recorder down');
      },
      metrics: { reconciled: () => {}, reconcileError: (_n, r) => reasons.push(r) },
    });
    controller.start();
    controller.enqueue('a');
    await settle();
    clock.advance(10 * 60_000);
    await settle();
    expect(calls).toBe(1);
    expect(reported).toEqual(['a NameConflict']);
    expect(reasons).toEqual(['NameConflict']);
    controller.enqueue('a'); // the object changed: look again
    await settle();
    expect(calls).toBe(2);
    expect(reported).toHaveLength(2);
    await controller.stop(100);
  });

  it('keeps every failure inside: sync throws, non-Error throws, and rejected promises are retried', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const calls = new Map<string, number>();
      const reasons: string[] = [];
      const clock = new FakeClock(0);
      const controller = new Controller({
        name: 'crashy',
        workers: 1,
        clock,
        reconcile: (key) => {
          calls.set(key, (calls.get(key) ?? 0) + 1);
          if (key === 'sync') throw new TypeError('cannot read properties of undefined');
          if (key === 'string') return Promise.reject('a string, not an Error');
          if (key === 'api') return Promise.reject(new ApiError('host', 503, undefined, 'unavailable'));
          return Promise.resolve();
        },
        metrics: { reconciled: () => {}, reconcileError: (_n, r) => reasons.push(r) },
      });
      controller.start();
      for (const key of ['sync', 'string', 'api', 'fine']) controller.enqueue(key);
      await settle();
      expect(calls.get('fine')).toBe(1); // one worker, still alive after three crashes
      expect(reasons).toEqual(['exception', 'exception', 'unavailable']);
      clock.advance(5);
      await settle();
      expect([calls.get('sync'), calls.get('string'), calls.get('api'), calls.get('fine')]).toEqual([
        2, 2, 2, 1,
      ]);
      expect(await controller.stop(100)).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Controller: requeue and stop', () => {
  it('runs again at once for requeueAfterMs 0, and an earlier change does not cancel a later requeue', async () => {
    let calls = 0;
    const { clock, controller, outcomes } = setup(async () => {
      calls++;
      if (calls === 1) return { requeueAfterMs: 0 };
      if (calls === 2) return { requeueAfterMs: 1000 };
    });
    controller.enqueue('a');
    await settle();
    expect(calls).toBe(2);
    controller.enqueue('a'); // a change before the requeue is due
    await settle();
    expect(calls).toBe(3);
    clock.advance(1000);
    await settle();
    expect(calls).toBe(4);
    expect(outcomes).toEqual(['requeue', 'requeue', 'success', 'success']);
    await controller.stop(100);
  });

  it('stop hands out no more keys, drops later adds and requeues, and waits for the one in flight', async () => {
    const seen: string[] = [];
    const gate = deferred();
    const clock = new FakeClock(0);
    const controller = new Controller({
      name: 'stopping',
      workers: 1,
      clock,
      reconcile: async (key) => {
        seen.push(key);
        if (key === 'a') {
          await gate.promise;
          return { requeueAfterMs: 10 };
        }
      },
    });
    controller.start();
    controller.enqueue('a');
    controller.enqueue('b');
    await settle();
    expect(seen).toEqual(['a']);
    let stopped: boolean | undefined;
    const stopping = controller.stop(1000).then((r) => (stopped = r));
    await settle();
    expect(stopped).toBeUndefined(); // 'a' is still in flight
    controller.enqueue('c');
    gate.resolve();
    await stopping;
    expect(stopped).toBe(true);
    clock.advance(60_000);
    await settle();
    expect(seen).toEqual(['a']);
    expect(controller.busy).toBe(0);
  });

  it('an API server that cannot be reached is warned of once for all controllers and keys, every 30 s at most; other failures per key', async () => {
    const { lines, logger } = recordingLogger();
    const clock = new FakeClock(0);
    const unreachable = new UnreachableApiLog(logger, clock);
    const refused = () => new ApiError('host', 0, undefined, 'connect ECONNREFUSED 127.0.0.1:6443');
    const controllers = ['pods', 'secrets'].map(
      (name) =>
        new Controller({
          name,
          workers: 2,
          clock,
          logger,
          unreachable,
          reconcile: async (key) => {
            if (key === 'failing') throw new ApiError('host', 500, { reason: 'InternalError' }, 'HTTP 500');
            throw refused();
          },
        }),
    );
    for (const c of controllers) c.start(['a', 'b', 'c']);
    await settle();
    const warnings = () => lines.filter((l) => l.startsWith('warn'));
    expect(warnings()).toEqual([
      "warn the host cluster's API server cannot be reached; retrying with backoff",
    ]);
    expect(lines.filter((l) => l === 'debug reconcile failed, retrying')).toHaveLength(6);
    clock.advance(30_000);
    await settle();
    expect(warnings()).toHaveLength(2);
    controllers[0]!.enqueue('failing');
    await settle();
    expect(warnings()).toContain('warn reconcile failed, retrying');
    for (const c of controllers) await c.stop(100);
  });

  it('a first 404 (an object deleted while it was written) is retried at debug; one that comes again is warned of', async () => {
    const { lines, logger } = recordingLogger();
    const clock = new FakeClock(0);
    let calls = 0;
    const controller = new Controller({
      name: 'pods',
      workers: 1,
      clock,
      logger,
      reconcile: async () => {
        calls++;
        if (calls <= 2) throw new ApiError('virtual', 404, { reason: 'NotFound' }, 'pods "p" not found');
      },
    });
    controller.start(['team/p']);
    await settle();
    expect(lines).toEqual(['debug reconcile failed, retrying']);
    clock.advance(5);
    await settle();
    expect(lines).toEqual(['debug reconcile failed, retrying', 'warn reconcile failed, retrying']);
    await controller.stop(100);
  });

  it('retries a waiting reconcile with backoff, logged at debug (waiting is normal), never as terminal', async () => {
    const { lines, logger } = recordingLogger();
    const clock = new FakeClock(0);
    let calls = 0;
    const controller = new Controller({
      name: 'test',
      workers: 1,
      clock,
      logger,
      reconcile: async () => {
        calls++;
        if (calls === 1) throw new WaitingError('waiting for a host copy');
      },
    });
    controller.start();
    controller.enqueue('a');
    await settle();
    clock.advance(5);
    await settle();
    expect(calls).toBe(2);
    expect(lines.filter((l) => l.startsWith('warn') || l.startsWith('error'))).toEqual([]);
    expect(lines).toContain('debug waiting, retrying');
    await controller.stop(100);
  });

  it("retries a wait that says when at that time, outside the rate limiter: many such waits spend none of the budget other keys' retries share", async () => {
    const clock = new FakeClock(0);
    const calls = new Map<string, number>();
    const controller = new Controller({
      name: 'test',
      workers: 1,
      clock,
      logger: silentLogger,
      reconcile: async (key) => {
        const n = (calls.get(key) ?? 0) + 1;
        calls.set(key, n);
        if (key.startsWith('wait-') && n === 1) throw new WaitingError('a copy', { retryAfterMs: 1_000 });
        if (key === 'failing' && n === 1) throw new Error('a conflict');
      },
    });
    controller.start();
    // More waits than the overall bucket's burst (100): rate limited, they would hold the next retry.
    for (let i = 0; i < 300; i++) controller.enqueue(`wait-${i}`);
    await settle();
    clock.advance(999);
    await settle();
    expect(calls.get('wait-0')).toBe(1);
    controller.enqueue('failing');
    await settle();
    // The other key's first retry comes at its own backoff (5 ms), not after the waits' debt.
    clock.advance(5);
    await settle();
    expect(calls.get('failing')).toBe(2);
    clock.advance(1);
    await settle();
    expect([...calls].filter(([k, n]) => k.startsWith('wait-') && n === 2)).toHaveLength(300);
    await controller.stop(100);
  });

  it('retries a wait that asks for no time (0, negative) after a floor, never at once', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const controller = new Controller({
      name: 'test',
      workers: 1,
      clock,
      logger: silentLogger,
      reconcile: async () => {
        calls++;
        throw new WaitingError('a copy', { retryAfterMs: calls === 1 ? 0 : -5 });
      },
    });
    controller.start();
    controller.enqueue('a');
    await settle();
    await settle();
    expect(calls).toBe(1);
    clock.advance(50);
    await settle();
    expect(calls).toBe(2);
    await controller.stop(100);
  });
});
