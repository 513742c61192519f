import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  DEFAULT_FIT,
  DEFAULT_FORMAT,
  DEFAULT_QUALITY,
  checkVariantSet,
  type VariantSet,
} from '../domain/variant-set';
import { envSchema, type Env } from './env-schema';

/**
 * Every setting comes from the environment and is validated here, once, at start. A bad value
 * throws ConfigError naming the variable, and server.ts exits 1: better to refuse to start than
 * to serve with a setting nobody meant. Values are never echoed back (some are secrets).
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** What the machine contributes to defaults; injectable so tests don't depend on the host. */
export interface HostFacts {
  cpus: number;
  readFile: (path: string) => string;
}

const realHost: HostFacts = {
  cpus: availableParallelism(),
  readFile: (path) => readFileSync(path, 'utf8'),
};

/** Every variable read by the service (documented in .env.example and docs/operations.md). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

// Long random tokens only: a short key is guessable, and whitespace is a copy-paste accident.
const API_KEY = /^[A-Za-z0-9._~+/=-]{16,256}$/;

function parseApiKeys(env: Env, host: HostFacts, problems: string[]): string[] {
  if (env.API_KEYS !== undefined && env.API_KEYS_FILE !== undefined) {
    problems.push('API_KEYS_FILE: set either API_KEYS or API_KEYS_FILE, not both');
    return [];
  }
  let text = env.API_KEYS;
  let name = 'API_KEYS';
  if (env.API_KEYS_FILE !== undefined) {
    name = 'API_KEYS_FILE';
    try {
      text = host.readFile(env.API_KEYS_FILE);
    } catch {
      problems.push('API_KEYS_FILE: cannot read the file');
      return [];
    }
  }
  if (text === undefined) return [];
  // One key per line or comma-separated; blank lines and # comments are ignored.
  const keys = text
    .split(/[\n,]/)
    .map((k) => k.trim())
    .filter((k) => k !== '' && !k.startsWith('#'));
  if (keys.length === 0) problems.push(`${name}: contains no key`);
  if (keys.some((k) => !API_KEY.test(k))) {
    problems.push(`${name}: every key must be 16-256 characters of A-Z a-z 0-9 . _ ~ + / = -`);
  }
  return keys;
}

function toPresets(env: Env): Record<string, VariantSet> {
  const presets: Record<string, VariantSet> = {};
  for (const [name, p] of Object.entries(env.PRESETS)) {
    presets[name] = {
      widths: p.widths ?? (p.height === undefined ? env.DEFAULT_WIDTHS : []),
      height: p.height,
      fit: p.fit ?? DEFAULT_FIT,
      format: p.format ?? DEFAULT_FORMAT,
      quality: p.quality ?? DEFAULT_QUALITY,
    };
  }
  return presets;
}

function toConfig(env: Env, host: HostFacts, problems: string[]) {
  // Two jobs per CPU: with one libvips thread per job, a job alone does not keep a core busy
  // (JPEG decoding and encoding have serial stretches, and the job waits while the Node thread
  // handles HTTP). The measurements: docs/performance.md, "Jobs per CPU".
  const maxConcurrentJobs = env.MAX_CONCURRENT_JOBS ?? 2 * host.cpus;
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      port: env.PORT,
      host: env.HOST,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: Math.min(env.HEADERS_TIMEOUT_MS, env.REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
      shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    },
    s3: {
      // Outside production a fixed default keeps `npm run dev` and tests zero-config.
      bucket: env.S3_BUCKET ?? 'images',
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
      keyPrefix: env.S3_KEY_PREFIX,
      publicBaseUrl: env.S3_PUBLIC_BASE_URL?.replace(/\/*$/, '/'),
      publicRead: env.S3_PUBLIC_READ,
      checksums: env.S3_CHECKSUMS,
      timeoutMs: env.S3_TIMEOUT_MS,
      maxAttempts: env.S3_MAX_ATTEMPTS,
    },
    limits: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      // One largest upload per CPU being processed plus one arriving. Uploads that size keep the
      // CPUs busy with one job each, and typical uploads are far smaller, so this rarely binds
      // except in a burst of huge ones, which is when it should (docs/performance.md, "Upload
      // memory budget": a larger budget bought no speed, only memory).
      maxUploadMemoryBytes: env.MAX_UPLOAD_MEMORY_BYTES ?? env.MAX_UPLOAD_BYTES * (host.cpus + 1),
      // Idle upload buffers kept for reuse, on top of the uploads in flight: each one reused
      // spares V8 a full collection's share (src/capacity/upload-buffers.ts).
      uploadBufferPoolBytes: env.UPLOAD_BUFFER_POOL_BYTES,
      maxInputPixels: env.MAX_INPUT_PIXELS,
      maxInputFrames: env.MAX_INPUT_FRAMES,
      maxOutputDimension: env.MAX_OUTPUT_DIMENSION,
    },
    jobs: {
      maxConcurrent: maxConcurrentJobs,
      // A short queue: waiting longer than a couple of jobs' time is worse for the client than
      // a fast 503 it can retry elsewhere.
      maxQueued: env.MAX_QUEUED_JOBS ?? 2 * maxConcurrentJobs,
      // One deadline per request, from admission to the answer: every wait, the body, the
      // processing and S3. nginx's proxy timeouts must stay above it (docs/operations.md, nginx).
      requestDeadlineMs: env.REQUEST_DEADLINE_MS,
      // A queued request that has not got its turn within this is shed (503): under a storm of
      // slow jobs a fast, retryable 503 serves a client better than a long wait.
      maxQueueWaitMs: Math.min(env.MAX_QUEUE_WAIT_MS, env.REQUEST_DEADLINE_MS),
      sharpConcurrency: env.SHARP_CONCURRENCY,
      // One pool thread per running job plus headroom for DNS, fs and zlib, so image work can
      // never starve the S3 client's DNS lookups.
      uvThreadpoolSize: env.UV_THREADPOOL_SIZE ?? maxConcurrentJobs + 4,
      // V8's own factor made it collect every ~6 uploads; 0 gives it back for a new Node to be
      // measured against (docs/performance.md, "Garbage collection").
      heapGrowingPercent: env.V8_HEAP_GROWING_PERCENT,
      // Image work yields the CPU to the event loop: shedding and probes stay on time when
      // every core is encoding (capacity/thread-priority.ts).
      imageThreadsNice: env.IMAGE_THREADS_NICE,
    },
    auth: { apiKeys: parseApiKeys(env, host, problems), onlyPresets: env.ONLY_PRESETS },
    api: { corsAllowedOrigins: env.CORS_ALLOWED_ORIGINS, referencePage: env.API_DOCS },
    defaultWidths: env.DEFAULT_WIDTHS,
    jpegMozjpeg: env.JPEG_MOZJPEG,
    avifEffort: env.AVIF_EFFORT,
    webpEffort: env.WEBP_EFFORT,
    presets: toPresets(env),
  };
}

export type Config = ReturnType<typeof toConfig>;

/** Variables an older release read: refusing them beats silently ignoring an operator's intent. */
const RENAMED: Record<string, string> = {
  JOB_TIMEOUT_MS:
    'use REQUEST_DEADLINE_MS (one deadline for the whole request) and MAX_QUEUE_WAIT_MS',
};

const DEFAULT_SET: VariantSet = {
  widths: [],
  fit: DEFAULT_FIT,
  format: DEFAULT_FORMAT,
  quality: DEFAULT_QUALITY,
};

export function loadConfig(
  rawEnv: Readonly<Record<string, string | undefined>>,
  host: HostFacts = realHost,
): Config {
  // `VAR=` in a compose file or .env means "not set", not "set to nothing".
  const env = Object.fromEntries(
    Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`),
    );
  }
  const problems: string[] = [];
  for (const [old, replacement] of Object.entries(RENAMED)) {
    if (env[old] !== undefined) problems.push(`${old}: no longer read; ${replacement}`);
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.S3_BUCKET === undefined) {
    problems.push('S3_BUCKET: is required when NODE_ENV=production');
  }
  const config = toConfig(parsed.data, host, problems);
  const maxDim = config.limits.maxOutputDimension;
  const defaults = checkVariantSet({ ...DEFAULT_SET, widths: config.defaultWidths }, maxDim);
  if (defaults) problems.push(`DEFAULT_WIDTHS: ${defaults.message}`);
  for (const [name, preset] of Object.entries(config.presets)) {
    const problem = checkVariantSet(preset, maxDim);
    if (problem) problems.push(`PRESETS: preset ${name}: ${problem.field}: ${problem.message}`);
  }
  if (config.limits.maxUploadMemoryBytes < config.limits.maxUploadBytes) {
    problems.push(
      'MAX_UPLOAD_MEMORY_BYTES: must be at least MAX_UPLOAD_BYTES (or no upload of the maximum size could ever be read)',
    );
  }
  if (config.auth.onlyPresets && Object.keys(config.presets).length === 0) {
    problems.push('ONLY_PRESETS: is true but PRESETS defines none');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
