import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults for development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      s3: {
        bucket: 'images',
        region: 'us-east-1',
        forcePathStyle: false,
        keyPrefix: '',
        checksums: 'WHEN_SUPPORTED',
      },
      limits: {
        maxUploadBytes: 25 * 1024 * 1024,
        maxInputPixels: 50_000_000,
        maxOutputDimension: 8192,
      },
      defaultWidths: [320, 640, 1280],
      presets: {},
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      S3_BUCKET: 'my-bucket',
      S3_REGION: 'eu-west-1',
      S3_ENDPOINT: 'http://s3:8333',
      S3_FORCE_PATH_STYLE: 'true',
      S3_KEY_PREFIX: 'variants/v1/',
      S3_PUBLIC_BASE_URL: 'https://cdn.example.com/img',
      S3_CHECKSUMS: 'WHEN_REQUIRED',
      MAX_UPLOAD_BYTES: '1000',
      MAX_INPUT_PIXELS: '2000',
      MAX_OUTPUT_DIMENSION: '300',
      DEFAULT_WIDTHS: '100,200',
      PRESETS: '{"avatar":{"widths":[64,128],"height":128,"fit":"cover","format":"webp"}}',
    });
    expect(config).toMatchObject({
      env: 'production',
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'warn',
      s3: {
        bucket: 'my-bucket',
        region: 'eu-west-1',
        endpoint: 'http://s3:8333',
        forcePathStyle: true,
        keyPrefix: 'variants/v1/',
        publicBaseUrl: 'https://cdn.example.com/img/',
        checksums: 'WHEN_REQUIRED',
      },
      limits: { maxUploadBytes: 1000, maxInputPixels: 2000, maxOutputDimension: 300 },
      defaultWidths: [100, 200],
      presets: {
        avatar: { widths: [64, 128], height: 128, fit: 'cover', format: 'webp', quality: 80 },
      },
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', S3_ENDPOINT: '' })).toMatchObject({
      port: 3000,
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
  const assignments = Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('lists every variable the service reads, and nothing else', () => {
    expect(Object.keys(assignments).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('is a valid configuration as written', () => {
    expect(() => loadConfig(assignments)).not.toThrow();
  });

  it('has every variable in the README config table', () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const name of CONFIG_VARIABLES) expect(readme).toContain(`| \`${name}\``);
  });
});
