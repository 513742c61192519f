import { once } from 'node:events';
import type { Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import { readBuildInfo } from './build-info';
import { lowerImageThreadPriority } from './capacity/thread-priority';
import { ConfigError, loadConfig, type Config } from './config/config';
import { gracefulShutdown } from './shutdown/graceful-shutdown';
import { createHttpServer } from './http/http-server';
import { createLogger } from './observability/logger';
// Nothing imported above may load sharp (see the thread pool below): only types from the rest.

export interface RunningServer {
  server: Server;
  config: Config;
  logger: Logger;
  shutdown(reason: string): Promise<void>;
}

function loadConfigOrExit(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`image-resizer: ${err.message}\n`);
    process.exit(1);
  }
}

export interface MainOptions {
  /** Runs after the server has closed, before exit (e.g. `npm run dev` stops its S3 server). */
  afterShutdown?: () => Promise<void>;
}

/** The composition root: the only place that reads the environment, listens and exits. */
export async function main(
  env: NodeJS.ProcessEnv = process.env,
  options: MainOptions = {},
): Promise<RunningServer> {
  const config = loadConfigOrExit(env);
  // libuv reads this once, when its pool starts, and loading sharp starts it (so does any async
  // fs, dns or crypto call). Nothing has yet: sharp loads with ./wiring, imported only now. Set
  // too late, the pool keeps libuv's 4 threads, and 4 running jobs then hold every one of them:
  // header probes and S3's DNS lookups wait behind the slowest encodes.
  process.env.UV_THREADPOOL_SIZE = String(config.jobs.uvThreadpoolSize);
  // V8 sets the heap's next limit from what survived its last full collection, times a factor
  // it derives from its own speeds. The JS heap here is ~20 MB but every Buffer (each upload,
  // each encoded image) counts against the limit, so the factor fell to 1.1-2.4 and V8 collected
  // every ~6 uploads: ~5 ms of CPU per request (docs/performance.md, "Garbage collection").
  // NODE_OPTIONS does not accept --heap-growing-percent; V8 reads it at every collection, so set
  // here, before any work, it applies from the first. It also replaces V8's memory-saving factors
  // near the heap's maximum, which still bounds the heap. Re-measure with each Node major.
  const { heapGrowingPercent } = config.jobs;
  if (heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);
  const { wire } = await import('./wiring.js');
  const buildInfo = readBuildInfo();
  const logger = createLogger({ level: config.logLevel, ...buildInfo });
  const { app, s3, draining } = wire(config, logger, { buildInfo });
  // After ./wiring: loading sharp has started libuv's pool, whose threads are the ones lowered.
  const threadPriority = lowerImageThreadPriority(config.jobs.imageThreadsNice);
  // No state lives in the process, so after a bug the safe move is to log and exit non-zero
  // and let the orchestrator start a clean replica.
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      logger.fatal({ err, event }, 'crashing');
      process.exit(1);
    });
  }

  const { http } = config;
  const server = createHttpServer(app, http, config.jobs.requestDeadlineMs);
  server.listen(http.port, http.host);
  await once(server, 'listening');
  logger.info(
    {
      address: server.address(),
      bucket: config.s3.bucket,
      env: config.env,
      jobs: config.jobs,
      threadPriority,
    },
    'listening',
  );

  const shutdown = gracefulShutdown({
    server,
    logger,
    draining,
    drainMs: http.shutdownDrainMs,
    timeoutMs: http.shutdownTimeoutMs,
    afterClose: async () => {
      s3.destroy();
      await options.afterShutdown?.();
    },
    onTimeout: () => process.exit(1),
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal).then(() => process.exit(0)));
  }
  return { server, config, logger, shutdown };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`image-resizer: failed to start: ${String(err)}\n`);
    process.exit(1);
  });
}
