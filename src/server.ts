import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { readBuildInfo, type BuildInfo } from './build-info';
import { ConfigError, loadConfig, type Config } from './config/config';
import { createSharpPipeline } from './image/sharp-pipeline';
import { gracefulShutdown } from './lifecycle/graceful-shutdown';
import { createHttpServer } from './http/http-server';
import { createLogger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { createImageService } from './service/image-service';
import { createJobLimiter } from './service/job-limiter';
import { createUploadMemory } from './service/upload-memory';
import { createReadiness } from './service/readiness';
import { instrumentStore } from './storage/instrumented-store';
import { createS3Client, createS3ImageStore } from './storage/s3-image-store';

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
  const limiter = createJobLimiter({
    maxConcurrent: config.jobs.maxConcurrent,
    maxQueued: config.jobs.maxQueued,
    onChange: ({ admitted, running, queued }) => {
      metrics.requestsAdmitted.set(admitted);
      metrics.jobsRunning.set(running);
      metrics.jobsQueued.set(queued);
    },
  });
  const uploadMemory = createUploadMemory({
    totalBytes: config.limits.maxUploadMemoryBytes,
    waitMs: config.jobs.timeoutMs,
    onChange: ({ reservedBytes, waiting }) => {
      metrics.uploadMemoryReserved.set(reservedBytes);
      metrics.uploadsWaitingForMemory.set(waiting);
    },
  });
  const service = createImageService({
    pipeline: createSharpPipeline({
      maxInputPixels: config.limits.maxInputPixels,
      threadsPerImage: config.jobs.sharpConcurrency,
      mozjpeg: config.jpegMozjpeg,
    }),
    store,
    limiter,
    metrics,
    jobTimeoutMs: config.jobs.timeoutMs,
    keyPrefix: config.s3.keyPrefix,
    publicBaseUrl: config.s3.publicBaseUrl,
  });
  const app = createApp({
    logger,
    registry,
    metrics,
    service,
    limiter,
    uploadMemory,
    readiness: createReadiness(store, () => lifecycle.shuttingDown),
    buildInfo,
    params: {
      defaultWidths: config.defaultWidths,
      presets: config.presets,
      maxDimension: config.limits.maxOutputDimension,
      onlyPresets: config.auth.onlyPresets,
    },
    limits: { ...config.limits, requestTimeoutMs: config.http.requestTimeoutMs },
    apiKeys: config.auth.apiKeys,
    isShuttingDown: () => lifecycle.shuttingDown,
  });
  return { app, s3, registry, lifecycle, limiter, uploadMemory };
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
  // libuv reads this when its pool first starts, which is after this line: nothing above has
  // queued async fs, dns, crypto or sharp work yet.
  process.env.UV_THREADPOOL_SIZE = String(config.jobs.uvThreadpoolSize);
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

  const { http } = config;
  const server = createHttpServer(app, http);
  server.listen(http.port, http.host);
  await once(server, 'listening');
  logger.info(
    { address: server.address(), bucket: config.s3.bucket, env: config.env, jobs: config.jobs },
    'listening',
  );

  const shutdown = gracefulShutdown({
    server,
    logger,
    lifecycle,
    drainMs: http.shutdownDrainMs,
    timeoutMs: http.shutdownTimeoutMs,
    afterClose: async () => {
      s3.destroy();
      await options.afterShutdown?.();
    },
    onTimeout: () => exitAfterFlush(logger, 1),
  });

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
