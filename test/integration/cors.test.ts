import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config/config';
import { heldPipeline } from '../support/held-pipeline';
import * as images from '../support/images';
import { listen, until } from '../support/listen';
import { buildTestApp, inMemory } from '../support/test-app';

const errorOf = (res: { body: unknown }) =>
  (res.body as { error: { code: string; message: string } }).error;

const PAGE = 'https://app.example.com';
const allowing = (origins: string, env: Record<string, string> = {}) =>
  buildTestApp(inMemory(), { CORS_ALLOWED_ORIGINS: origins, ...env }).app;
const preflight = (app: Parameters<typeof request>[0], origin = PAGE) =>
  request(app)
    .options('/v1/images')
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'authorization, content-type');

describe('CORS', () => {
  it('by default no page of another origin may read an answer', async () => {
    const app = buildTestApp(inMemory()).app;
    const res = await request(app).get('/healthz').set('Origin', PAGE).expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await preflight(app).expect(204);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('an allowed origin gets its preflight answered and cached, with the headers it may send', async () => {
    const res = await preflight(allowing(`http://localhost:5173,${PAGE}`)).expect(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'Authorization, Content-Type, X-Request-Id',
      'access-control-max-age': '7200',
    });
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('another origin gets the same 204 with nothing allowed', async () => {
    const res = await preflight(allowing(PAGE), 'https://evil.example.com').expect(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('an upload from an allowed page can read the answer and the headers it needs', async () => {
    const res = await request(allowing(PAGE))
      .post('/v1/images?widths=64')
      .set('Origin', PAGE)
      .set('Content-Type', 'image/jpeg')
      .send(await images.jpeg(200, 150))
      .expect(201);
    expect(res.headers['access-control-allow-origin']).toBe(PAGE);
    expect(res.headers['access-control-expose-headers']).toBe(
      'X-Request-Id, Retry-After, ETag, X-Image-Width, X-Image-Height',
    );
  });

  it('errors carry the CORS headers too, so the page reads the message, not a CORS failure', async () => {
    const app = allowing(PAGE, { MAX_UPLOAD_BYTES: '1000', API_KEYS: 'cors-test-key-0123456789' });
    const unauthorized = await request(app).post('/v1/images').set('Origin', PAGE).expect(401);
    expect(unauthorized.headers['access-control-allow-origin']).toBe(PAGE);
    const tooLarge = await request(app)
      .post('/v1/images')
      .set('Origin', PAGE)
      .set('Authorization', 'Bearer cors-test-key-0123456789')
      .set('Content-Type', 'image/jpeg')
      .send(Buffer.alloc(5000))
      .expect(413);
    expect(tooLarge.headers['access-control-allow-origin']).toBe(PAGE);
    expect(errorOf(tooLarge).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('the preflight is answered before the API key check', async () => {
    const res = await preflight(allowing(PAGE, { API_KEYS: 'cors-test-key-0123456789' })).expect(
      204,
    );
    expect(res.headers['access-control-allow-origin']).toBe(PAGE);
  });

  it('the preflight is answered before admission: a full server still answers it', async () => {
    const held = heldPipeline();
    const built = buildTestApp(
      inMemory(),
      { CORS_ALLOWED_ORIGINS: PAGE, MAX_CONCURRENT_JOBS: '1', MAX_QUEUED_JOBS: '0' },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    try {
      const photo = await images.jpeg(200, 150);
      const post = () =>
        fetch(`${server.url}/v1/images?widths=64`, {
          method: 'POST',
          headers: { 'Content-Type': 'image/jpeg', Origin: PAGE },
          body: images.withComment(photo, String(Math.random())),
        });
      const first = post();
      expect(await until(() => held.started() === 1, 5000)).toBe(true);
      const busy = await post();
      expect(busy.status).toBe(503);
      expect(busy.headers.get('access-control-allow-origin')).toBe(PAGE);
      const pre = await fetch(`${server.url}/v1/images`, {
        method: 'OPTIONS',
        headers: { Origin: PAGE, 'Access-Control-Request-Method': 'POST' },
      });
      expect([pre.status, pre.headers.get('access-control-allow-origin')]).toEqual([204, PAGE]);
      held.letGo();
      expect((await first).status).toBe(201);
    } finally {
      held.letGo();
      await server.close();
    }
  });

  it("'*' lets any page read answers, the same for all, Origin or not (no Vary: Origin)", async () => {
    const app = allowing('*');
    for (const res of [
      await request(app).get('/healthz').set('Origin', PAGE).expect(200),
      await request(app).get('/healthz').expect(200),
    ]) {
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers.vary ?? '').not.toMatch(/Origin/);
    }
  });

  it('answers any OPTIONS with 204 before the key check, on any path', async () => {
    const app = allowing(PAGE, { API_KEYS: 'cors-test-key-0123456789' });
    await request(app).options('/v1/images').expect(204);
    await request(app).options('/healthz').set('Origin', PAGE).expect(204);
    const res = await preflight(app).expect(204);
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST');
  });

  it.each([
    'https://app.example.com/',
    'https://App.example.com',
    'app.example.com',
    'https://a.com/path',
    'https://a.com,*',
    ' https://a.com',
  ])('refuses CORS_ALLOWED_ORIGINS=%j at start, naming the variable', (value) => {
    expect(() => loadConfig({ CORS_ALLOWED_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ALLOWED_ORIGINS: value })).toThrow(
      /CORS_ALLOWED_ORIGINS: must be/,
    );
  });
});
