import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Draining } from './draining';

export interface ShutdownOptions {
  server: Server;
  logger: Logger;
  /** Started first: /readyz answers 503 and responses carry Connection: close. */
  draining: Pick<Draining, 'start'>;
  drainMs: number;
  timeoutMs: number;
  /** Releases what outlives the server (S3 sockets, the dev S3 server). */
  afterClose: () => Promise<void>;
  /** Called when the deadline passes with requests still open. */
  onTimeout: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Factor IX: stop taking new work, finish what is in flight, and exit, all within a bound.
 * Returns a function that runs the sequence once, however often it is called.
 */
export function gracefulShutdown(options: ShutdownOptions): (reason: string) => Promise<void> {
  const { server, logger, draining } = options;
  let running: Promise<void> | undefined;

  async function run(reason: string) {
    draining.start();
    logger.info({ reason, drainMs: options.drainMs }, 'shutting down: draining');
    const hardStop = setTimeout(() => {
      logger.error('shutdown timed out; exiting with requests still open');
      options.onTimeout();
    }, options.timeoutMs);
    hardStop.unref();
    // Idle keep-alive connections go now, not when the balancer's keepalive timer fires.
    server.closeIdleConnections();
    // Keep accepting for a moment: load balancers take a little while to notice /readyz.
    await sleep(options.drainMs);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    await options.afterClose();
    clearTimeout(hardStop);
    logger.info('shutdown complete');
  }

  return (reason) => (running ??= run(reason));
}
