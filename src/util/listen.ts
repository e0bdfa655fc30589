import type { Server } from 'node:net';
import type { Logger } from './log.ts';

/**
 * Starts a server listening; a failure to listen rejects with `refusal(err)`. Once it listens, an
 * error the server emits (a connection it could not accept: too many open files) is logged: with no
 * listener, an 'error' event ends the process.
 */
export async function listenOn(
  server: Server,
  port: number,
  host: string | undefined,
  refusal: (err: NodeJS.ErrnoException) => Error,
  logger: Logger,
  what: string,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(refusal(err));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  server.on('error', (err: NodeJS.ErrnoException) =>
    logger.warn(`${what}: server error`, { error: err.code ?? err.message }),
  );
}
