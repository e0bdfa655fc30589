import { ApiError } from '../kube/errors.ts';
import { FakeClock } from '../util/clock.ts';
import { Controller, type ReconcileOutcome } from './controller.ts';
import { TerminalError } from './errors.ts';

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

describe('Controller', () => {
  it('reconciles each key, once for many adds while queued', async () => {
    const seen: string[] = [];
    const controller = new Controller({
      name: 'dedupe',
      workers: 2,
      clock: new FakeClock(0),
      reconcile: async (key) => void seen.push(key),
    });
    controller.enqueue('a');
    controller.enqueue('a');
    controller.enqueue('b');
    controller.enqueue('a');
    controller.start();
    await settle();
    expect(seen.sort()).toEqual(['a', 'b']);
    await controller.stop(100);
  });

  it('retries conflicts quietly with backoff, never as terminal', async () => {
    let calls = 0;
    const { clock, controller, outcomes, terminal } = setup(async () => {
      calls++;
      if (calls === 1) throw new ApiError('host', 409, { reason: 'Conflict' }, 'conflict');
    });
    controller.enqueue('a');
    await settle();
    expect(calls).toBe(1);
    clock.advance(5);
    await settle();
    expect(calls).toBe(2);
    expect(outcomes).toEqual(['conflict', 'success']);
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
