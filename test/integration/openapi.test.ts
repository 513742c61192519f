import { readFileSync } from 'node:fs';
import express from 'express';
import request from 'supertest';
import { PARAMETER_NAMES } from '../../src/domain/parse-params';
import { describeParameters } from '../../src/domain/parameter-docs';
import { errorCodes } from '../../src/errors/app-error';
import type { OpenApiDocument } from '../../src/http/openapi/openapi-document';
import { publishedDocument, PUBLISHED_FILE } from '../../scripts/api/openapi';
import { contractChecker } from '../support/openapi-contract';
import { servedDocuments, takeViolations } from '../support/contract-hook';
import { listenOnLoopback } from '../support/listen';
import { createServer } from 'node:http';
import * as images from '../support/images';
import { buildTestApp, inMemory } from '../support/test-app';

const errorOf = (res: { body: unknown }) =>
  (res.body as { error: { code: string; message: string } }).error;

// Every response the integration tests receive is checked against the document by
// test/support/contract-hook.ts. Here: that the document says what the code does, and that the
// check itself fails when a response strays.

const docOf = (built: { app: { locals: Record<string, unknown> } }) =>
  built.app.locals.openapi as OpenApiDocument;
type Param = { name: string; schema: { type: string } };
const queryParams = (doc: OpenApiDocument, path: string) =>
  (doc.paths[path]?.post?.parameters ?? []) as Param[];

describe('the OpenAPI document', () => {
  it('is served at /openapi.json, and docs/openapi.json is what a default deployment serves', async () => {
    const built = buildTestApp(inMemory());
    const res = await request(built.app).get('/openapi.json').expect(200);
    expect(res.body).toEqual(docOf(built));
    expect((res.body as { openapi: string }).openapi).toBe('3.1.1');
    expect(readFileSync(PUBLISHED_FILE, 'utf8')).toBe(publishedDocument());
  });

  it('lists exactly the parameters the parser knows, for both upload routes', () => {
    const doc = docOf(buildTestApp(inMemory()));
    for (const path of ['/v1/images', '/v1/resize']) {
      expect(queryParams(doc, path).map((p) => p.name)).toEqual([...PARAMETER_NAMES]);
    }
  });

  it('every listed parameter is read by the parser, in the query and as a form field', async () => {
    const built = buildTestApp(inMemory(), { PRESETS: '{"thumbs":{"widths":[64]}}' });
    const photo = await images.jpeg(200, 150);
    const params = describeParameters(paramsOf(built));
    for (const name of PARAMETER_NAMES) {
      const bad = params[name].invalidExample;
      const inQuery = await request(built.app)
        .post(`/v1/images?${name}=${encodeURIComponent(bad)}`)
        .set('Content-Type', 'image/jpeg')
        .send(photo);
      const inForm = await request(built.app)
        .post('/v1/images')
        .field(name, bad)
        .attach('image', photo, 'photo.jpg');
      for (const res of [inQuery, inForm]) {
        expect([name, res.status, errorOf(res).code]).toEqual([name, 400, 'INVALID_PARAMETER']);
        expect(errorOf(res).message).toMatch(new RegExp(`^${name}: `));
      }
    }
  });

  it('a parameter the document does not list is refused as unknown', async () => {
    const res = await request(buildTestApp(inMemory()).app)
      .post('/v1/images?width=320')
      .set('Content-Type', 'image/jpeg')
      .send(await images.jpeg(200, 150))
      .expect(400);
    expect(errorOf(res).code).toBe('UNKNOWN_PARAMETER');
  });

  it('its parameter limits follow the deployment (MAX_OUTPUT_DIMENSION, PRESETS)', () => {
    const doc = docOf(
      buildTestApp(inMemory(), { MAX_OUTPUT_DIMENSION: '2000', PRESETS: '{"a":{"widths":[64]}}' }),
    );
    const byName = Object.fromEntries(queryParams(doc, '/v1/images').map((p) => [p.name, p]));
    expect(byName.height?.schema).toMatchObject({ maximum: 2000 });
    expect(byName.preset?.schema).toMatchObject({ enum: ['a'] });
  });

  it('lists exactly the error codes of the error table a client can get', () => {
    const doc = docOf(buildTestApp(inMemory()));
    const listed = (doc.components.schemas.ErrorCode as { enum: string[] }).enum;
    const table = Object.entries(errorCodes).filter(([, s]) => s.scope !== 'none');
    expect(listed).toEqual(table.map(([code]) => code));
    const description = (doc.components.schemas.ErrorCode as { description: string }).description;
    for (const [code, spec] of table) expect(description).toContain(`| ${code} | ${spec.status} |`);
  });

  it('describes the API key only when the deployment requires one', () => {
    const open = docOf(buildTestApp(inMemory()));
    const keyed = docOf(buildTestApp(inMemory(), { API_KEYS: 'openapi-key-0123456789' }));
    expect(open.components).not.toHaveProperty('responses.UploadError401');
    expect(open.paths['/v1/images']?.post).toMatchObject({ security: [] });
    expect(keyed.paths['/v1/images']?.post).toMatchObject({ security: [{ apiKey: [] }] });
    expect(keyed.components).toHaveProperty('securitySchemes.apiKey.scheme', 'bearer');
    expect(keyed.components).toHaveProperty('responses.UploadError401');
  });

  it('GET /docs renders it as a page without scripts; API_DOCS=false turns the page off', async () => {
    const res = await request(buildTestApp(inMemory()).app).get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.text).not.toMatch(/<script/i);
    for (const text of ['POST /v1/images', 'PAYLOAD_TOO_LARGE', 'widths'])
      expect(res.text).toContain(text);
    // Shared responses are resolved: a 503 row names its codes and its Retry-After header.
    expect(res.text).toMatch(
      /<td>503<\/td><td>application\/json<\/td><td>X-Request-Id, Retry-After<\/td><td>SERVER_BUSY: /,
    );
    const off = buildTestApp(inMemory(), { API_DOCS: 'false' });
    await request(off.app).get('/docs').expect(404);
    expect(docOf(off).paths).not.toHaveProperty('/docs');
  });
});

describe('the contract check', () => {
  const doc = docOf(buildTestApp(inMemory()));
  const check = contractChecker(doc);
  const ok = { method: 'GET', path: '/healthz', status: 200, bodyBytes: 40 };
  const id = { 'x-request-id': 'r1', 'content-type': 'application/json' };

  it('passes a response the document describes', () => {
    const body = { status: 'ok', version: '1', revision: 'x' };
    expect(check({ ...ok, headers: id, body })).toEqual([]);
  });

  it.each([
    ['an undocumented status', { ...ok, status: 418, headers: id, body: {} }, /does not describe/],
    ['a body of the wrong shape', { ...ok, headers: id, body: { status: 'fine' } }, /body/],
    [
      'a missing required header',
      {
        ...ok,
        headers: { 'content-type': 'application/json' },
        body: { status: 'ok', version: '1', revision: 'x' },
      },
      /X-Request-Id is missing/,
    ],
    [
      'an error code of another status',
      {
        ...ok,
        path: '/v1/images',
        method: 'POST',
        status: 400,
        headers: id,
        body: { error: { code: 'SERVER_BUSY', message: 'm', requestId: 'r1' } },
      },
      /body/,
    ],
    [
      'a 503 without Retry-After',
      {
        ...ok,
        path: '/v1/images',
        method: 'POST',
        status: 503,
        headers: id,
        body: { error: { code: 'SERVER_BUSY', message: 'm', requestId: 'r1' } },
      },
      /Retry-After is missing/,
    ],
    [
      'HTML where JSON is documented',
      { ...ok, headers: { ...id, 'content-type': 'text/html' }, body: '<h1>502</h1>' },
      /content type "text\/html"/,
    ],
  ])('fails %s', (_what, seen, problem) => {
    expect(check(seen).join('\n')).toMatch(problem);
  });

  it('records a fetch response that strays, even when the test swallows errors', async () => {
    const rogue = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"status":"fine"}');
    });
    const { url } = await listenOnLoopback(rogue);
    servedDocuments.set(url, doc);
    try {
      await fetch(`${url}/healthz`).catch(() => undefined);
      expect((await takeViolations()).join('\n')).toMatch(
        /GET \/healthz -> 200: .*X-Request-Id is missing/,
      );
    } finally {
      servedDocuments.delete(url);
      rogue.close();
    }
  });

  it('fails a supertest request whose response strays, whatever the test asserts', async () => {
    const rogue = express();
    rogue.locals.openapi = doc;
    rogue.get('/healthz', (_req, res) => void res.json({ status: 'fine' }));
    await expect(request(rogue).get('/healthz')).rejects.toThrow(/outside the OpenAPI contract/);
    expect((await takeViolations()).length).toBeGreaterThan(0); // recorded too, for afterEach
  });
});

function paramsOf(built: ReturnType<typeof buildTestApp>) {
  return {
    defaultWidths: built.config.defaultWidths,
    presets: built.config.presets,
    maxDimension: built.config.limits.maxOutputDimension,
  };
}
