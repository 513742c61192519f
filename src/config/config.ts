import { z } from 'zod';
import { checkVariantSet, FITS, FORMAT_CHOICES, MAX_WIDTHS } from '../domain/variant-set';
import type { VariantSet } from '../domain/variant-set';
import { DEFAULT_FIT, DEFAULT_FORMAT, DEFAULT_QUALITY } from '../domain/variant-set';

/**
 * Every setting comes from the environment and is validated here, once, at start. A bad value
 * throws ConfigError naming the variable, and server.ts exits 1: better to refuse to start than
 * to serve with a setting nobody meant. Values are never echoed back (some may be secrets).
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number (digits only)')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(fallback);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const widthList = (fallback: number[]) =>
  z
    .string()
    .regex(/^\d{1,6}(,\d{1,6})*$/, 'must be a comma list of whole numbers, e.g. 320,640,1280')
    .transform((v) => v.split(',').map(Number))
    .default(fallback);

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
  )
  .default({});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535, 3000),
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
  S3_CHECKSUMS: z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']).default('WHEN_SUPPORTED'),
  MAX_UPLOAD_BYTES: wholeNumber(1, 2 ** 31, 25 * 1024 * 1024),
  MAX_INPUT_PIXELS: wholeNumber(1, 2 ** 31, 50_000_000),
  MAX_OUTPUT_DIMENSION: wholeNumber(1, 16383, 8192),
  DEFAULT_WIDTHS: widthList([320, 640, 1280]),
  PRESETS: presetsJson,
});

export type Config = ReturnType<typeof toConfig>;

/** Every variable read by the service (documented in .env.example and the README). */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

function toConfig(env: z.infer<typeof schema>) {
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
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    s3: {
      // Outside production a fixed default keeps `npm run dev` and tests zero-config.
      bucket: env.S3_BUCKET ?? 'images',
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
      keyPrefix: env.S3_KEY_PREFIX,
      publicBaseUrl: env.S3_PUBLIC_BASE_URL?.replace(/\/*$/, '/'),
      checksums: env.S3_CHECKSUMS,
    },
    limits: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      maxInputPixels: env.MAX_INPUT_PIXELS,
      maxOutputDimension: env.MAX_OUTPUT_DIMENSION,
    },
    defaultWidths: env.DEFAULT_WIDTHS,
    presets,
  };
}

export function loadConfig(rawEnv: Readonly<Record<string, string | undefined>>): Config {
  // `VAR=` in a compose file or .env means "not set", not "set to nothing".
  const env = Object.fromEntries(
    Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  const problems: string[] = [];
  const values = parsed.data;
  if (values.NODE_ENV === 'production' && values.S3_BUCKET === undefined) {
    problems.push('S3_BUCKET: is required when NODE_ENV=production');
  }
  const config = toConfig(values);
  const maxDim = config.limits.maxOutputDimension;
  const defaults = checkVariantSet({ ...DEFAULT_SET, widths: config.defaultWidths }, maxDim);
  if (defaults) problems.push(`DEFAULT_WIDTHS: ${defaults.message}`);
  for (const [name, preset] of Object.entries(config.presets)) {
    const problem = checkVariantSet(preset, maxDim);
    if (problem) problems.push(`PRESETS: preset ${name}: ${problem.field}: ${problem.message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const DEFAULT_SET: VariantSet = {
  widths: [],
  fit: DEFAULT_FIT,
  format: DEFAULT_FORMAT,
  quality: DEFAULT_QUALITY,
};
