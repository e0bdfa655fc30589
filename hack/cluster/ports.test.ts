import { createServer, type Server } from 'node:net';
import { freePortRange, portInUse } from './ports.ts';

describe('freePortRange', () => {
  it('hands out a range whose every port is free, never one that runs into a listening port, and never twice', async () => {
    const first = await freePortRange(10);
    const ports = Array.from({ length: 10 }, (_, i) => first + i);
    expect(await Promise.all(ports.map(portInUse))).toEqual(Array(10).fill(false));
    // A listener in the middle of that range: a range handed out now never includes it.
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(first + 5, '127.0.0.1', resolve));
    try {
      for (let i = 0; i < 20; i++) {
        const next = await freePortRange(10);
        expect(next + 9 < first || next > first + 9).toBe(true);
      }
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
