import request from 'supertest';
import * as images from '../support/images';
import { useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

const s3 = useS3();

/** The raw text of the one line logged for a request, found by its X-Request-Id. */
function rawLineOf(rawLogLines: string[], id: string): string {
  const lines = rawLogLines.filter((l) => l.includes(`"id":"${id}"`));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const routeKeys = (line: string) => line.match(/"route":/g)?.length ?? 0;

describe('request log line', () => {
  it('carries "route" exactly once, with the route that served the request', async () => {
    const { app, rawLogLines } = buildTestApp(s3);
    await request(app)
      .post('/v1/images?widths=10')
      .set('X-Request-Id', 'route-once-201')
      .attach('image', await images.jpeg(20, 20), 'a.jpg')
      .expect(201);
    const line = rawLineOf(rawLogLines, 'route-once-201');
    expect(routeKeys(line)).toBe(1);
    expect(line).toContain('"route":"/v1/images"');
  });

  it('carries "route" exactly once on an error line (5xx) too', async () => {
    const { app, draining, rawLogLines } = buildTestApp(s3);
    draining.start();
    await request(app).get('/readyz').set('X-Request-Id', 'route-once-503').expect(503);
    const line = rawLineOf(rawLogLines, 'route-once-503');
    expect(routeKeys(line)).toBe(1);
    expect(line).toContain('"route":"/readyz"');
  });

  it('names the route asked for when middleware answered before the router (401)', async () => {
    const { app, rawLogLines } = buildTestApp(s3, { API_KEYS: 'request-log-key-0123456789' });
    await request(app).post('/v1/images').set('X-Request-Id', 'route-once-401').send().expect(401);
    const line = rawLineOf(rawLogLines, 'route-once-401');
    expect(routeKeys(line)).toBe(1);
    expect(line).toContain('"route":"/v1/images"');
  });

  it('says "unmatched", once, for a path no route serves', async () => {
    const { app, rawLogLines } = buildTestApp(s3);
    await request(app).get('/nope').set('X-Request-Id', 'route-once-404').expect(404);
    const line = rawLineOf(rawLogLines, 'route-once-404');
    expect(routeKeys(line)).toBe(1);
    expect(line).toContain('"route":"unmatched"');
  });

  it('names the error code and message of an error answer, so the log says why', async () => {
    const { app, logLines } = buildTestApp(s3);
    await request(app)
      .post('/v1/resize?widths=10')
      .set('X-Request-Id', 'error-fields-415')
      .set('Content-Type', 'image/png')
      .send(Buffer.from('not an image at all'))
      .expect(415);
    const line = logLines.find(
      (l) => (l.req as { id?: string } | undefined)?.id === 'error-fields-415',
    );
    expect(line).toMatchObject({
      errorCode: 'UNSUPPORTED_IMAGE_FORMAT',
      errorMessage: expect.stringContaining('not an image format we accept') as unknown,
    });
  });
});
