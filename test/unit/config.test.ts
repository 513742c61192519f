import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig, type HostFacts } from '../../src/config/config';
import { parseEnvFile } from '../support/config-files';

const host: HostFacts = {
  cpus: 4,
  readFile: (file) => {
    if (file === '/run/secrets/api-keys')
      return '# rotated 2026-11\nkey-one-0123456789abcdef\n\nkey-two-0123456789abcdef\n';
    throw new Error('ENOENT');
  },
};
const load = (env: Record<string, string>) => loadConfig(env, host);

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults for development', () => {
    expect(load({})).toEqual({
      env: 'development',
      logLevel: 'info',
      http: {
        port: 3000,
        host: '0.0.0.0',
        requestTimeoutMs: 60_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 65_000,
        shutdownDrainMs: 1000,
        shutdownTimeoutMs: 8000,
      },
      s3: {
        bucket: 'images',
        region: 'us-east-1',
        endpoint: undefined,
        forcePathStyle: false,
        keyPrefix: '',
        publicBaseUrl: undefined,
        publicRead: false,
        checksums: 'WHEN_SUPPORTED',
        timeoutMs: 3000,
        maxAttempts: 3,
      },
      limits: {
        maxUploadBytes: 25 * 1024 * 1024,
        // one largest upload per CPU plus one arriving
        maxUploadMemoryBytes: 25 * 1024 * 1024 * (4 + 1),
        uploadBufferPoolBytes: 32 * 1024 * 1024,
        maxInputPixels: 50_000_000,
        maxInputFrames: 1000,
        maxOutputDimension: 8192,
      },
      jobs: {
        maxConcurrent: 8,
        maxQueued: 16,
        requestDeadlineMs: 30_000,
        maxQueueWaitMs: 1000,
        sharpConcurrency: 1,
        uvThreadpoolSize: 12,
        heapGrowingPercent: 200,
        imageThreadsNice: 10,
      },
      auth: { apiKeys: [], onlyPresets: false },
      api: { corsAllowedOrigins: [], referencePage: true },
      defaultWidths: [320, 640, 1280],
      jpegMozjpeg: false,
      avifEffort: 3,
      webpEffort: 2,
      presets: {},
    });
  });

  it('reads every variable', () => {
    const config = load({
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      S3_BUCKET: 'my-bucket',
      S3_REGION: 'eu-west-1',
      S3_ENDPOINT: 'http://s3:8333',
      S3_FORCE_PATH_STYLE: 'true',
      S3_KEY_PREFIX: 'variants/v1/',
      S3_PUBLIC_READ: 'true',
      S3_PUBLIC_BASE_URL: 'https://cdn.example.com/img',
      S3_CHECKSUMS: 'WHEN_REQUIRED',
      S3_TIMEOUT_MS: '1500',
      S3_MAX_ATTEMPTS: '2',
      MAX_UPLOAD_BYTES: '1000',
      MAX_UPLOAD_MEMORY_BYTES: '5000',
      UPLOAD_BUFFER_POOL_BYTES: '0',
      MAX_INPUT_PIXELS: '2000',
      MAX_INPUT_FRAMES: '5',
      MAX_OUTPUT_DIMENSION: '300',
      DEFAULT_WIDTHS: '100,200',
      PRESETS: '{"avatar":{"widths":[64,128],"height":128,"fit":"cover","format":"webp"}}',
      ONLY_PRESETS: 'true',
      JPEG_MOZJPEG: 'true',
      AVIF_EFFORT: '6',
      WEBP_EFFORT: '6',
      MAX_CONCURRENT_JOBS: '3',
      MAX_QUEUED_JOBS: '0',
      REQUEST_DEADLINE_MS: '5000',
      MAX_QUEUE_WAIT_MS: '250',
      SHARP_CONCURRENCY: '2',
      UV_THREADPOOL_SIZE: '16',
      V8_HEAP_GROWING_PERCENT: '0',
      IMAGE_THREADS_NICE: '5',
      REQUEST_TIMEOUT_MS: '20000',
      HEADERS_TIMEOUT_MS: '30000',
      KEEP_ALIVE_TIMEOUT_MS: '5000',
      SHUTDOWN_DRAIN_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '4000',
      API_KEYS: 'key-one-0123456789abcdef,key-two-0123456789abcdef',
      CORS_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173',
      API_DOCS: 'false',
    });
    expect(config).toEqual({
      env: 'production',
      logLevel: 'warn',
      http: {
        port: 8080,
        host: '127.0.0.1',
        requestTimeoutMs: 20_000,
        // never longer than the whole request may take
        headersTimeoutMs: 20_000,
        keepAliveTimeoutMs: 5000,
        shutdownDrainMs: 0,
        shutdownTimeoutMs: 4000,
      },
      s3: {
        bucket: 'my-bucket',
        region: 'eu-west-1',
        endpoint: 'http://s3:8333',
        forcePathStyle: true,
        keyPrefix: 'variants/v1/',
        publicBaseUrl: 'https://cdn.example.com/img/',
        publicRead: true,
        checksums: 'WHEN_REQUIRED',
        timeoutMs: 1500,
        maxAttempts: 2,
      },
      limits: {
        maxUploadBytes: 1000,
        maxUploadMemoryBytes: 5000,
        uploadBufferPoolBytes: 0,
        maxInputPixels: 2000,
        maxInputFrames: 5,
        maxOutputDimension: 300,
      },
      jobs: {
        maxConcurrent: 3,
        maxQueued: 0,
        requestDeadlineMs: 5000,
        maxQueueWaitMs: 250,
        sharpConcurrency: 2,
        uvThreadpoolSize: 16,
        heapGrowingPercent: 0,
        imageThreadsNice: 5,
      },
      auth: {
        apiKeys: ['key-one-0123456789abcdef', 'key-two-0123456789abcdef'],
        onlyPresets: true,
      },
      api: {
        corsAllowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
        referencePage: false,
      },
      defaultWidths: [100, 200],
      jpegMozjpeg: true,
      avifEffort: 6,
      webpEffort: 6,
      presets: {
        avatar: { widths: [64, 128], height: 128, fit: 'cover', format: 'webp', quality: 80 },
      },
    });
  });

  it('reads API keys from API_KEYS_FILE, one per line, skipping blanks and comments', () => {
    expect(load({ API_KEYS_FILE: '/run/secrets/api-keys' }).auth.apiKeys).toEqual([
      'key-one-0123456789abcdef',
      'key-two-0123456789abcdef',
    ]);
  });

  it('treats an empty variable as unset', () => {
    expect(load({ PORT: '', S3_ENDPOINT: '' })).toMatchObject({
      http: { port: 3000 },
      s3: { endpoint: undefined },
    });
  });

  it('requires S3_BUCKET in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'S3_BUCKET: is required when NODE_ENV=production',
    ]);
  });

  it.each([
    ['MAX_UPLOAD_BYTES', 'lots'],
    ['MAX_UPLOAD_BYTES', '0'],
    ['MAX_UPLOAD_BYTES', '10MB'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['MAX_OUTPUT_DIMENSION', '20000'],
    ['S3_FORCE_PATH_STYLE', 'yes'],
    ['S3_ENDPOINT', 'not a url'],
    ['S3_PUBLIC_BASE_URL', 'ftp://example.com/'],
    ['S3_KEY_PREFIX', '/leading-slash'],
    ['S3_BUCKET', 'Not_A_Bucket'],
    ['S3_CHECKSUMS', 'sometimes'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['DEFAULT_WIDTHS', '320,,640'],
    ['DEFAULT_WIDTHS', '0'],
    ['PRESETS', '{not json'],
    ['PRESETS', '{"x":{"widths":[100],"colour":"red"}}'],
    ['PRESETS', '{"x":{"widths":[100],"fit":"cover"}}'],
    ['PRESETS', '{"bad name!":{"widths":[100]}}'],
    ['MAX_CONCURRENT_JOBS', '0'],
    ['MAX_QUEUED_JOBS', '-1'],
    ['MAX_UPLOAD_MEMORY_BYTES', '0'],
    ['MAX_UPLOAD_MEMORY_BYTES', '1000'],
    ['UPLOAD_BUFFER_POOL_BYTES', '32MiB'],
    ['REQUEST_DEADLINE_MS', '5s'],
    ['REQUEST_DEADLINE_MS', '10'],
    ['MAX_QUEUE_WAIT_MS', '1.5'],
    // Renamed: an operator who still sets it is told, not silently ignored.
    ['JOB_TIMEOUT_MS', '30000'],
    ['S3_TIMEOUT_MS', '10'],
    ['S3_MAX_ATTEMPTS', '0'],
    ['UV_THREADPOOL_SIZE', '2000'],
    ['V8_HEAP_GROWING_PERCENT', '1001'],
    ['IMAGE_THREADS_NICE', '20'],
    ['IMAGE_THREADS_NICE', '-1'],
    ['V8_HEAP_GROWING_PERCENT', '2.5'],
    ['SHUTDOWN_TIMEOUT_MS', 'soon'],
    ['ONLY_PRESETS', 'yes'],
    ['JPEG_MOZJPEG', 'on'],
    ['AVIF_EFFORT', '10'],
    ['WEBP_EFFORT', '7'],
    ['MAX_INPUT_FRAMES', '0'],
    ['API_KEYS', 'short'],
    ['API_KEYS', 'has space 0123456789abcdef'],
    ['API_KEYS', ' , '],
    ['API_KEYS_FILE', '/no/such/file'],
    ['CORS_ALLOWED_ORIGINS', 'https://app.example.com/'],
    ['API_DOCS', 'no'],
  ])('names %s when it is %j', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}\\b`));
  });

  it('checks presets and default widths against MAX_OUTPUT_DIMENSION', () => {
    expect(
      problemsOf({
        MAX_OUTPUT_DIMENSION: '500',
        DEFAULT_WIDTHS: '600',
        PRESETS: '{"big":{"widths":[1000]}}',
      }),
    ).toEqual([
      'DEFAULT_WIDTHS: 600 is above the maximum 500',
      'PRESETS: preset big: widths: 1000 is above the maximum 500',
    ]);
  });

  it('never echoes a value back in its message', () => {
    expect(problemsOf({ S3_ENDPOINT: 'http//secret-token@host' }).join()).not.toContain(
      'secret-token',
    );
  });
});

describe('.env.example', () => {
  const text = readFileSync(path.join(__dirname, '..', '..', '.env.example'), 'utf8');
  const assignments = parseEnvFile(text);

  it('lists every variable the service reads, and nothing else', () => {
    expect(Object.keys(assignments).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('is a valid configuration as written', () => {
    expect(() => loadConfig(assignments, host)).not.toThrow();
  });

  it('has every variable in the docs/operations.md config table', () => {
    const operations = readFileSync(
      path.join(__dirname, '..', '..', 'docs', 'operations.md'),
      'utf8',
    );
    for (const name of CONFIG_VARIABLES) expect(operations).toContain(`| \`${name}\``);
  });
});
