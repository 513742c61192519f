import { z } from 'zod';
import { FITS, FORMAT_CHOICES, MAX_WIDTHS } from '../domain/variant-set';

/**
 * The environment variables the service reads, each parsed strictly: digits only for numbers,
 * true/false only for flags. Messages never repeat the value (it may be a secret).
 */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number (digits only)')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(fallback);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const widthList = z
  .string()
  .regex(/^\d{1,6}(,\d{1,6})*$/, 'must be a comma list of whole numbers, e.g. 320,640,1280')
  .transform((v) => v.split(',').map(Number));

// scheme://host[:port] as browsers send it in Origin: lower case, no path, no trailing slash.
const ORIGIN = String.raw`https?://([a-z0-9-]+\.)*[a-z0-9-]+(:[0-9]{1,5})?`;
const corsOrigins = z
  .string()
  .regex(
    new RegExp(`^(\\*|${ORIGIN}(,${ORIGIN})*)$`),
    'must be * or a comma list of origins such as https://app.example.com,http://localhost:5173 (lower case, no path)',
  )
  .transform((v) => (v === '*' ? ('*' as const) : v.split(',')));

const presetSchema = z.strictObject({
  widths: z.array(z.number()).max(MAX_WIDTHS).optional(),
  height: z.number().optional(),
  fit: z.enum(FITS).optional(),
  format: z.enum(FORMAT_CHOICES).optional(),
  quality: z.number().optional(),
});

const presetsJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string().regex(/^[a-z0-9_-]{1,64}$/i, 'preset names: a-z 0-9 _ -'), presetSchema),
  );

const SECONDS = 1000;

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ENDPOINT: httpUrl.optional(),
  S3_FORCE_PATH_STYLE: flag(false),
  S3_KEY_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, 'must be empty or path segments each ending in /')
    .default(''),
  S3_PUBLIC_BASE_URL: httpUrl.optional(),
  S3_PUBLIC_READ: flag(false),
  S3_CHECKSUMS: z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']).default('WHEN_SUPPORTED'),
  S3_TIMEOUT_MS: wholeNumber(100, 120 * SECONDS).default(3 * SECONDS),
  S3_MAX_ATTEMPTS: wholeNumber(1, 10).default(3),

  MAX_UPLOAD_BYTES: wholeNumber(1, 2 ** 31).default(25 * 1024 * 1024),
  MAX_UPLOAD_MEMORY_BYTES: wholeNumber(1, 2 ** 40).optional(),
  UPLOAD_BUFFER_POOL_BYTES: wholeNumber(0, 2 ** 40).default(32 * 1024 * 1024),
  MAX_INPUT_PIXELS: wholeNumber(1, 2 ** 31).default(50_000_000),
  MAX_INPUT_FRAMES: wholeNumber(1, 100_000).default(1000),
  MAX_OUTPUT_DIMENSION: wholeNumber(1, 16383).default(8192),
  DEFAULT_WIDTHS: widthList.default([320, 640, 1280]),
  PRESETS: presetsJson.default({}),
  JPEG_MOZJPEG: flag(false),
  AVIF_EFFORT: wholeNumber(0, 9).default(3),
  WEBP_EFFORT: wholeNumber(0, 6).default(2),
  ONLY_PRESETS: flag(false),

  MAX_CONCURRENT_JOBS: wholeNumber(1, 256).optional(),
  MAX_QUEUED_JOBS: wholeNumber(0, 10_000).optional(),
  REQUEST_DEADLINE_MS: wholeNumber(1 * SECONDS, 600 * SECONDS).default(30 * SECONDS),
  MAX_QUEUE_WAIT_MS: wholeNumber(0, 600 * SECONDS).default(1 * SECONDS),
  SHARP_CONCURRENCY: wholeNumber(1, 256).default(1),
  UV_THREADPOOL_SIZE: wholeNumber(1, 1024).optional(),
  V8_HEAP_GROWING_PERCENT: wholeNumber(0, 1000).default(200),
  IMAGE_THREADS_NICE: wholeNumber(0, 19).default(10),

  REQUEST_TIMEOUT_MS: wholeNumber(100, 3600 * SECONDS).default(60 * SECONDS),
  HEADERS_TIMEOUT_MS: wholeNumber(100, 600 * SECONDS).default(10 * SECONDS),
  KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 3600 * SECONDS).default(65 * SECONDS),
  SHUTDOWN_DRAIN_MS: wholeNumber(0, 600 * SECONDS).default(1 * SECONDS),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(100, 3600 * SECONDS).default(8 * SECONDS),

  CORS_ALLOWED_ORIGINS: corsOrigins.default([]),
  API_DOCS: flag(true),

  API_KEYS: z.string().optional(),
  API_KEYS_FILE: z.string().optional(),
});

export type Env = z.infer<typeof envSchema>;
