import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { readBuildInfo, type BuildInfo } from './build-info';
import { createCapacity } from './capacity/capacity';
import { createUploadBuffers } from './capacity/upload-buffers';
import type { Config } from './config/config';
import type { ImagePipeline } from './image/image-pipeline';
import { configureSharp, createSharpPipeline } from './image/sharp-pipeline';
import { createMetrics } from './observability/metrics';
import { createImageService } from './service/image-service';
import { createReadiness } from './service/readiness';
import { Draining } from './shutdown/draining';
import type { ImageStore } from './storage/image-store';
import { instrumentStore } from './storage/instrumented-store';
import { createS3Client, createS3ImageStore } from './storage/s3-image-store';

// Part of the composition root (server.ts), in a module of its own because loading sharp starts
// libuv's thread pool: server.ts sizes the pool first, then imports this.

/** What tests (and nothing in production) replace. */
export interface Seams {
  buildInfo?: BuildInfo;
  /** Instead of S3: for tests that are not about storage. */
  store?: ImageStore;
  /** Instead of sharp: for tests that need work of a known length. */
  pipeline?: ImagePipeline;
  /** The clock of readiness caching. */
  now?: () => number;
}

/**
 * Builds the service's object graph from a validated config. Shared by main() and the tests,
 * so the tests exercise exactly the production graph, except for the seams they name.
 */
export function wire(config: Config, logger: Logger, seams: Seams = {}) {
  const buildInfo = seams.buildInfo ?? readBuildInfo();
  const registry = new Registry();
  const metrics = createMetrics(registry, buildInfo);
  const s3 = createS3Client(config.s3);
  const store = instrumentStore(
    seams.store ?? createS3ImageStore(s3, config.s3.bucket),
    metrics.storageDuration,
  );
  const draining = new Draining();
  const capacity = createCapacity({
    maxConcurrent: config.jobs.maxConcurrent,
    maxQueued: config.jobs.maxQueued,
    uploadMemoryBytes: config.limits.maxUploadMemoryBytes,
    maxWaitMs: config.jobs.maxQueueWaitMs,
    onChange: (stats) => {
      metrics.requestsAdmitted.set(stats.admitted);
      metrics.jobsRunning.set(stats.running);
      metrics.jobsQueued.set(stats.queued);
      metrics.uploadMemoryReserved.set(stats.uploadMemoryReserved);
      metrics.uploadsWaitingForMemory.set(stats.uploadsWaitingForMemory);
    },
  });
  const uploadBuffers = createUploadBuffers(config.limits.uploadBufferPoolBytes);
  configureSharp({ threadsPerImage: config.jobs.sharpConcurrency });
  const pipeline =
    seams.pipeline ??
    createSharpPipeline({
      maxInputPixels: config.limits.maxInputPixels,
      maxInputFrames: config.limits.maxInputFrames,
      mozjpeg: config.jpegMozjpeg,
      avifEffort: config.avifEffort,
      webpEffort: config.webpEffort,
    });
  const service = createImageService({
    pipeline,
    store,
    capacity,
    metrics,
    maxOutputDimension: config.limits.maxOutputDimension,
    keyPrefix: config.s3.keyPrefix,
    publicBaseUrl: config.s3.publicBaseUrl,
  });
  const app = createApp({
    logger,
    registry,
    metrics,
    service,
    capacity,
    uploadBuffers,
    readiness: createReadiness(store, () => draining.active, { now: seams.now }),
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
    draining: () => draining.active,
    corsAllowedOrigins: config.api.corsAllowedOrigins,
    referencePage: config.api.referencePage,
  });
  return { app, s3, registry, draining, capacity, uploadBuffers };
}
