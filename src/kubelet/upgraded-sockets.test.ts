import { PassThrough } from 'node:stream';
import { UpgradedSockets } from './upgraded-sockets.ts';

describe('UpgradedSockets', () => {
  it('holds sockets until they close, and destroys those still open', async () => {
    const sockets = new UpgradedSockets();
    const [a, b, gone] = [new PassThrough(), new PassThrough(), new PassThrough()];
    gone.destroy();
    for (const s of [a, b, gone]) sockets.track(s);
    expect(sockets.count).toBe(2);
    a.destroy();
    await new Promise((resolve) => a.once('close', resolve));
    expect(sockets.count).toBe(1);
    sockets.destroyAll();
    expect(b.destroyed).toBe(true);
    expect(sockets.count).toBe(0);
  });
});
