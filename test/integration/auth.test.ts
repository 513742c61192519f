import request from 'supertest';
import * as images from '../support/images';
import { useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

const s3 = useS3();

const KEY = 'test-key-4f2b9c1e8d7a6b5c';
const OTHER = 'second-key-0a1b2c3d4e5f6a7b';
const env = { API_KEYS: `${KEY},${OTHER}` };
const errorOf = (res: request.Response) =>
  (res.body as { error: { code: string; message: string } }).error;

describe('API keys', () => {
  it('401 UNAUTHORIZED with WWW-Authenticate when /v1 is called without a key', async () => {
    const res = await request(buildTestApp(s3, env).app)
      .post('/v1/images?widths=10')
      .attach('image', await images.jpeg(20, 20), 'a.jpg');
    expect(res.status).toBe(401);
    expect(errorOf(res).code).toBe('UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="image-resizer"');
  });

  it('401 for a wrong key or another scheme, and never echoes the key', async () => {
    const { app, logLines } = buildTestApp(s3, env);
    for (const header of [
      `Bearer ${KEY}x`,
      `Bearer ${KEY.slice(0, -1)}`,
      `Basic ${KEY}`,
      'Bearer',
    ]) {
      const res = await request(app)
        .post('/v1/resize?widths=10')
        .set('Authorization', header)
        .send();
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(KEY.slice(0, 12));
    }
    expect(JSON.stringify(logLines)).not.toContain(KEY.slice(0, 12));
  });

  it('accepts every configured key', async () => {
    const { app, logLines } = buildTestApp(s3, env);
    for (const key of [KEY, OTHER]) {
      const res = await request(app)
        .post('/v1/images?widths=10')
        .set('Authorization', `Bearer ${key}`)
        .attach('image', await images.jpeg(20, 20), 'a.jpg');
      expect(res.status).toBe(201);
    }
    expect(JSON.stringify(logLines)).not.toContain(KEY.slice(0, 12));
    expect(
      logLines.filter((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === 201),
    ).toHaveLength(2);
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    const { app } = buildTestApp(s3, env);
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await request(app).get(path)).status).toBe(200);
  });

  it('reads keys from API_KEYS_FILE', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const file = `${await mkdtemp(`${tmpdir()}/keys-`)}/api-keys`;
    await writeFile(file, `# the one key\n${KEY}\n`);
    const { app } = buildTestApp(s3, { API_KEYS_FILE: file });
    const res = await request(app)
      .post('/v1/resize?widths=10')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Content-Type', 'image/jpeg')
      .send(await images.jpeg(20, 20));
    expect(res.status).toBe(200);
  });
});

describe('ONLY_PRESETS', () => {
  const presetEnv = { ONLY_PRESETS: 'true', PRESETS: '{"thumb":{"widths":[16],"format":"webp"}}' };

  it('403 PRESET_REQUIRED for arbitrary sizes (or none), naming the presets', async () => {
    const { app } = buildTestApp(s3, presetEnv);
    for (const query of ['widths=100', '']) {
      const res = await request(app)
        .post(`/v1/images?${query}`)
        .attach('image', await images.jpeg(20, 20), 'a.jpg');
      expect(res.status).toBe(403);
      expect(errorOf(res)).toMatchObject({
        code: 'PRESET_REQUIRED',
        message: expect.stringContaining('thumb') as string,
      });
    }
  });

  it('serves the presets', async () => {
    const res = await request(buildTestApp(s3, presetEnv).app)
      .post('/v1/images?preset=thumb')
      .attach('image', await images.jpeg(40, 20), 'a.jpg');
    expect(res.status).toBe(201);
    expect((res.body as { variants: { width: number; format: string }[] }).variants).toMatchObject([
      { width: 16, format: 'webp' },
    ]);
  });
});

describe('security headers', () => {
  it('sets nosniff and a locked-down CSP, and no X-Powered-By', async () => {
    const res = await request(buildTestApp(s3).app).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
