import { createServer, type AddressInfo } from 'node:net';
import { listenOn } from './listen.ts';
import { silentLogger, type Logger } from './log.ts';

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    ...silentLogger,
    warn: (message: string) => void lines.push(message),
    child: () => logger,
  };
  return logger;
}

describe('listenOn', () => {
  it('rejects with the caller’s message when the port is taken', async () => {
    const first = createServer();
    await listenOn(first, 0, '127.0.0.1', (err) => new Error(`first: ${err.code}`), silentLogger, 'first');
    const { port } = first.address() as AddressInfo;
    const second = createServer();
    await expect(
      listenOn(
        second,
        port,
        '127.0.0.1',
        (err) => new Error(`cannot listen: ${err.code}`),
        silentLogger,
        'x',
      ),
    ).rejects.toThrow('cannot listen: EADDRINUSE');
    first.close();
  });

  it('logs an error emitted once it listens (an accept that failed) instead of ending the process', async () => {
    const lines: string[] = [];
    const server = createServer();
    await listenOn(server, 0, '127.0.0.1', (err) => err, recordingLogger(lines), 'kubelet endpoint');
    expect(() =>
      server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' })),
    ).not.toThrow();
    expect(lines).toEqual(['kubelet endpoint: server error']);
    server.close();
  });
});
