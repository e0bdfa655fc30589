import { jest } from '@jest/globals';
import { FakeClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { Controller } from './controller.ts';

jest.setTimeout(10_000);

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('Controller against reconcilers that throw non-Error values', () => {
  it.each([
    [
      'a circular object',
      () => {
        const o: Record<string, unknown> = { message: 'boom' };
        o.self = o;
        return o;
      },
    ],
    ['a BigInt', () => 1n],
  ])(
    'a reconcile throwing %s keeps every worker alive (JSON logger, as in production)',
    async (_what, make) => {
      const clock = new FakeClock(0);
      const lines: string[] = [];
      const seen: string[] = [];
      const controller = new Controller({
        name: 'test',
        workers: 1, // plus one urgent worker
        clock,
        logger: createLogger({ level: 'info', format: 'json', write: (l) => lines.push(l) }),
        reconcile: async (key) => {
          seen.push(key);
          if (key.startsWith('bad')) throw make();
        },
      });
      const workers = (controller as unknown as { workers: Promise<void>[] }).workers;
      controller.start(['bad-1']);
      controller.enqueue('bad-2', { urgent: true });
      await settle();
      const died: unknown[] = [];
      for (const w of workers) w.catch((e) => died.push(e));
      await settle();
      // A good key afterwards must still be reconciled.
      controller.enqueue('good');
      await settle();
      clock.advance(60_000);
      await settle();
      expect(died).toEqual([]);
      expect(seen).toContain('good');
      await controller.stop(100);
    },
  );
});
