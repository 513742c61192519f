/**
 * The OpenAPI contract through the whole stack, for the container tests: fetches the document
 * the stack serves (GET /openapi.json through nginx), sends requests that end in each part of
 * the stack (the app's answers, its errors, nginx's own 413, 400 and 404, a CORS preflight) and
 * checks every answer against the document, as the integration tests do in-process. Also checks
 * that nginx's own errors carry CORS headers for an allowed page, and none for another.
 *   tsx test/e2e/contract.ts http://127.0.0.1:18080 http://127.0.0.1:18090
 * Prints PASS/FAIL lines and exits 1 on any failure.
 */
import type { OpenApiDocument } from '../../src/http/openapi/openapi-document';
import { contractChecker } from '../support/openapi-contract';
import { jpeg, withComment } from '../support/images';

const [base = 'http://127.0.0.1:8080', page = 'http://127.0.0.1:18090'] = process.argv.slice(2);
let failed = 0;
const report = (ok: boolean, what: string, detail = '') => {
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}${ok || !detail ? '' : `: ${detail}`}`);
};

async function main() {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApiDocument;
  const check = contractChecker(doc);
  const photo = withComment(await jpeg(640, 480), `contract ${Date.now()}`);
  const oversized = Buffer.concat([photo, Buffer.alloc(27 * 1024 * 1024)]);
  const form = (bytes: Buffer) => {
    const body = new FormData();
    body.set('image', new Blob([bytes], { type: 'image/jpeg' }), 'photo.jpg');
    return body;
  };
  const cases: [string, string, RequestInit, number][] = [
    ['liveness', '/healthz', {}, 200],
    ['readiness', '/readyz', {}, 200],
    ['the document', '/openapi.json', {}, 200],
    ['the reference page', '/docs', {}, 200],
    ['an upload', '/v1/images?widths=32,64', { method: 'POST', body: form(photo) }, 201],
    [
      'the same upload again',
      '/v1/images?widths=32,64',
      { method: 'POST', body: form(photo) },
      200,
    ],
    ['a resize', '/v1/resize?widths=48&format=webp', { method: 'POST', body: form(photo) }, 200],
    ['a bad parameter', '/v1/images?widths=0', { method: 'POST', body: form(photo) }, 400],
    ['an unknown parameter', '/v1/images?width=32', { method: 'POST', body: form(photo) }, 400],
    ['not an image', '/v1/images', { method: 'POST', body: form(Buffer.from('plain text')) }, 415],
    [
      'JSON instead of an image',
      '/v1/resize',
      { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } },
      415,
    ],
    [
      "nginx's 413",
      '/v1/images',
      { method: 'POST', body: oversized, headers: { 'Content-Type': 'image/jpeg', Origin: page } },
      413,
    ],
    ["nginx's 400 (URL too long)", `/v1/images?${'x'.repeat(10_000)}`, {}, 400],
    ['no such route', '/nope', {}, 404],
    [
      'a CORS preflight',
      '/v1/images',
      { method: 'OPTIONS', headers: { Origin: page, 'Access-Control-Request-Method': 'POST' } },
      204,
    ],
  ];
  for (const [what, path, init, status] of cases) {
    const res = await fetch(`${base}${path}`, init);
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    const body: unknown = type.startsWith('application/json')
      ? JSON.parse(bytes.toString())
      : bytes;
    const problems = check({
      method: init.method ?? 'GET',
      path: path.split('?')[0] ?? path,
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body,
      bodyBytes: bytes.length,
    });
    if (res.status !== status) problems.unshift(`status ${res.status}, expected ${status}`);
    report(
      problems.length === 0,
      `${what}: ${res.status} as the document describes`,
      problems.join('; '),
    );
    // nginx's own 413 (its limit, 26m), not the app's (MAX_UPLOAD_BYTES): what proves CORS on
    // the errors nginx answers itself.
    if (status === 413 && !bytes.toString().includes('larger than 26m')) {
      report(false, `${what}: answered by nginx`, bytes.toString().slice(0, 200));
    }
    if (init.headers && 'Origin' in init.headers) {
      const allowed = res.headers.get('access-control-allow-origin');
      report(allowed === page, `${what}: readable by the allowed page (${allowed})`);
    }
  }
  const other = await fetch(`${base}/v1/images`, {
    method: 'POST',
    body: oversized,
    headers: { 'Content-Type': 'image/jpeg', Origin: 'https://elsewhere.example.com' },
  });
  report(
    other.status === 413 && other.headers.get('access-control-allow-origin') === null,
    `nginx's 413 for a page not allowed: no CORS headers (${other.status})`,
  );
  console.log(`${cases.length} requests checked against the served document; ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

void main().catch((err: unknown) => {
  console.log(`FAIL contract: ${String(err)}`);
  process.exit(1);
});
