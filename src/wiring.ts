import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { readBuildInfo, type BuildInfo } from './build-info';
import type { Config } from './config/config';
import { createSharpPipeline } from './image/sharp-pipeline';
import { createMetrics } from './observability/metrics';
import { createImageService } from './service/image-service';
import { createJobLimiter } from './service/job-limiter';
import { createUploadMemory } from './service/upload-memory';
import { createReadiness } from './service/readiness';
import { instrumentStore } from './storage/instrumented-store';
import { createS3Client, createS3ImageStore } from './storage/s3-image-store';

// Part of the composition root (server.ts), in a module of its own because loading sharp starts
// libuv's thread pool: server.ts sizes the pool first, then imports this.

/**
 * Wires the real parts from a validated config. Shared by main() and the integration tests, so
 * the tests exercise exactly the production object graph.
 */
export function wire(config: Config, logger: Logger, buildInfo: BuildInfo = readBuildInfo()) {
  const registry = new Registry();
  const metrics = createMetrics(registry, buildInfo);
  const s3 = createS3Client(config.s3);
  const store = instrumentStore(createS3ImageStore(s3, config.s3.bucket), metrics.storageDuration);
  const lifecycle = { shuttingDown: false };
  const limiter = createJobLimiter({
    maxConcurrent: config.jobs.maxConcurrent,
    maxQueued: config.jobs.maxQueued,
    maxWaitMs: config.jobs.maxQueueWaitMs,
    onChange: ({ admitted, running, queued }) => {
      metrics.requestsAdmitted.set(admitted);
      metrics.jobsRunning.set(running);
      metrics.jobsQueued.set(queued);
    },
  });
  const uploadMemory = createUploadMemory({
    totalBytes: config.limits.maxUploadMemoryBytes,
    maxWaitMs: config.jobs.maxQueueWaitMs,
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
      avifEffort: config.avifEffort,
    }),
    store,
    limiter,
    metrics,
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
    requestDeadlineMs: config.jobs.requestDeadlineMs,
    isShuttingDown: () => lifecycle.shuttingDown,
  });
  return { app, s3, registry, lifecycle, limiter, uploadMemory };
}
