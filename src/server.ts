import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { readBuildInfo, type BuildInfo } from './build-info';
import { ConfigError, loadConfig, type Config } from './config/config';
import { createSharpPipeline } from './image/sharp-pipeline';
import { createLogger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { createImageService } from './service/image-service';
import { createReadiness } from './service/readiness';
import { instrumentStore } from './storage/instrumented-store';
import { createS3Client, createS3ImageStore } from './storage/s3-image-store';

// Under Docker's default 10 s between SIGTERM and SIGKILL, with room to spare.
const SHUTDOWN_TIMEOUT_MS = 8000;

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

/**
 * Wires the real parts from a validated config. Shared by main() and the integration tests, so
 * the tests exercise exactly the production object graph.
 */
export function compose(config: Config, logger: Logger, buildInfo: BuildInfo = readBuildInfo()) {
  const registry = new Registry();
  const metrics = createMetrics(registry, buildInfo);
  const s3 = createS3Client(config.s3);
  const store = instrumentStore(createS3ImageStore(s3, config.s3.bucket), metrics.storageDuration);
  const lifecycle = { shuttingDown: false };
  const readiness = createReadiness(store, () => lifecycle.shuttingDown);
  const service = createImageService({
    pipeline: createSharpPipeline({ maxInputPixels: config.limits.maxInputPixels }),
    store,
    metrics,
    keyPrefix: config.s3.keyPrefix,
    publicBaseUrl: config.s3.publicBaseUrl,
  });
  const app = createApp({
    logger,
    registry,
    metrics,
    service,
    readiness,
    buildInfo,
    params: {
      defaultWidths: config.defaultWidths,
      presets: config.presets,
      maxDimension: config.limits.maxOutputDimension,
    },
    limits: config.limits,
  });
  return { app, s3, registry, lifecycle };
}

/** Exits once buffered log lines are written; never waits more than a second for that. */
function exitAfterFlush(logger: Logger, code: number): void {
  setTimeout(() => process.exit(code), 1000).unref();
  logger.flush(() => process.exit(code));
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
  const buildInfo = readBuildInfo();
  const logger = createLogger({ level: config.logLevel, ...buildInfo });
  const { app, s3, lifecycle } = compose(config, logger, buildInfo);
  // No state lives in the process, so after a bug the safe move is to log and exit non-zero
  // and let the orchestrator start a clean replica.
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      logger.fatal({ err, event }, 'crashing');
      exitAfterFlush(logger, 1);
    });
  }

  const server = app.listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address();
  logger.info({ address, bucket: config.s3.bucket, env: config.env }, 'listening');

  async function shutdown(reason: string) {
    if (lifecycle.shuttingDown) return;
    lifecycle.shuttingDown = true;
    logger.info({ reason }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting with requests still open');
      exitAfterFlush(logger, 1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    s3.destroy();
    await options.afterShutdown?.();
    clearTimeout(timer);
    logger.info('shutdown complete');
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal).then(() => exitAfterFlush(logger, 0)));
  }
  return { server, config, logger, shutdown };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`image-resizer: failed to start: ${String(err)}\n`);
    process.exit(1);
  });
}
