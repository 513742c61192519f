import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { BuildInfo } from '../build-info';

/**
 * All metrics live in a Registry created by the composition root and passed in (never the
 * global one), so tests and several app instances in one process never share counters.
 */
export function createMetrics(registry: Registry, buildInfo: BuildInfo) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'build_info',
    help: 'Always 1; labels say which build is running',
    labelNames: ['version', 'revision'],
    registers,
  }).set({ version: buildInfo.version, revision: buildInfo.revision }, 1);

  return {
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, by route pattern (never the raw URL)',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    imageProcessing: new Histogram({
      name: 'image_processing_duration_seconds',
      help: 'Time to decode, resize and encode the variants of one request, by output format',
      labelNames: ['format'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    variantsProduced: new Counter({
      name: 'image_variants_produced_total',
      help: 'Variants rendered and stored (not counting ones that already existed)',
      labelNames: ['format'],
      registers,
    }),
    variantsDeduplicated: new Counter({
      name: 'image_variants_deduplicated_total',
      help: 'Variants requested that already existed in storage, so were not processed again',
      registers,
    }),
    sourceBytes: new Histogram({
      name: 'image_source_bytes',
      help: 'Size of accepted uploads in bytes',
      buckets: [10e3, 100e3, 500e3, 1e6, 2.5e6, 5e6, 10e6, 25e6, 50e6],
      registers,
    }),
    requestsRejected: new Counter({
      name: 'http_requests_rejected_total',
      help: 'Requests answered with an error, by error code (e.g. SERVER_BUSY, UNAUTHORIZED)',
      labelNames: ['code'],
      registers,
    }),
    jobsRunning: new Gauge({
      name: 'image_jobs_running',
      help: 'Image jobs holding a processing slot',
      registers,
    }),
    jobsQueued: new Gauge({
      name: 'image_jobs_queued',
      help: 'Image jobs waiting for a processing slot',
      registers,
    }),
    requestsAdmitted: new Gauge({
      name: 'image_requests_admitted',
      help: 'Image requests admitted and not yet answered (receiving, queued or running)',
      registers,
    }),
    uploadMemoryReserved: new Gauge({
      name: 'image_upload_memory_reserved_bytes',
      help: 'Bytes of MAX_UPLOAD_MEMORY_BYTES reserved by uploads being read or held',
      registers,
    }),
    uploadsWaitingForMemory: new Gauge({
      name: 'image_uploads_waiting_for_memory',
      help: 'Admitted uploads waiting, unread, for upload memory',
      registers,
    }),
    storageDuration: new Histogram({
      name: 's3_operation_duration_seconds',
      help: 'Storage operation duration, by operation and outcome',
      labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
