#!/usr/bin/env node
import { SyncerApp } from '../src/app.ts';
import { runCheck } from '../src/check/command.ts';
import { runCli } from '../src/cli/program.ts';
import { HeapTrimmer, memoryReducingCollection } from '../src/util/heap-trimmer.ts';
import { createLogger } from '../src/util/log.ts';

const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };

const code = await runCli(process.argv.slice(2), io, {
  check: (config, output, namespaces) => runCheck(config, output, io, undefined, namespaces),
  async start(config) {
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    process.on('unhandledRejection', (reason) =>
      logger.error('unhandled promise rejection', { err: reason }),
    );
    let fatal: string | undefined;
    let finished!: () => void;
    const stopped = new Promise<void>((resolve) => (finished = resolve));
    const app = new SyncerApp({
      config,
      logger,
      onFatal: (reason) => {
        fatal ??= reason;
        void app.stop().then(finished);
      },
    });
    const collect = memoryReducingCollection();
    if (collect) {
      const trimmer = new HeapTrimmer({
        collect,
        onTrim: ({ heapBytesBefore, heapBytesAfter, cpuMs }) => {
          app.metrics.heapTrims.inc();
          logger.info('returned the idle heap to the system', {
            heapMBBefore: Math.round(heapBytesBefore / 2 ** 20),
            heapMBAfter: Math.round(heapBytesAfter / 2 ** 20),
            cpuMs: Math.round(cpuMs),
          });
        },
      });
      trimmer.start();
      void stopped.then(() => trimmer.stop());
    } else logger.info('this Node.js offers no memory-reducing collection; the heap is left to V8');
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal means "now": skip the graceful drain.
      if (++signals > 1) process.exit(1);
      logger.info('shutting down', { signal });
      void app.stop().then(finished);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Informer backoff and lease retries wait on unref'd timers; with no metrics server and every
    // API server down, nothing else would keep the process alive until it is told to stop.
    const keepAlive = setInterval(() => {}, 1 << 30);
    void stopped.then(() => clearInterval(keepAlive));
    // start() may wait (for the owner Service, say); a stop before it returns must still end the process.
    await Promise.race([app.start(), stopped]);
    await stopped;
    if (fatal) logger.error('exiting', { reason: fatal });
    return fatal ? 1 : 0;
  },
});
process.exit(code);
