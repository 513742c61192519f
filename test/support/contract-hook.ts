/**
 * Every response a test gets through supertest is checked against the OpenAPI document of the
 * app that answered it (createApp keeps it in app.locals.openapi): a response the document does
 * not describe fails the test that received it, whatever that test asserts. Loaded by jest
 * (setupFilesAfterEnv). Responses to fetch() from a server started with test/support/listen.ts
 * are checked the same way (listen registers the server's document under its URLs), and any
 * violation fails the test in afterEach even if the test caught the error.
 */
import type { IncomingMessage, Server } from 'node:http';
import { Test } from 'supertest';
import type { OpenApiDocument } from '../../src/http/openapi/openapi-document';
import { contractChecker, type SeenResponse } from './openapi-contract';
import { servedDocuments } from './served-documents';

export { servedDocuments };

type Checker = ReturnType<typeof contractChecker>;
const checkers = new WeakMap<object, Checker>();

export function checkerFor(doc: OpenApiDocument): Checker {
  let checker = checkers.get(doc);
  if (!checker) {
    checker = contractChecker(doc);
    checkers.set(doc, checker);
  }
  return checker;
}

/** The document of the Express app behind a server supertest talks to, if it has one. */
function documentOf(target: unknown): OpenApiDocument | undefined {
  const server = target as Partial<Server> | undefined;
  const handler = server?.listeners?.('request')[0] as
    { locals?: { openapi?: OpenApiDocument } } | undefined;
  return handler?.locals?.openapi;
}

interface SupertestResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: unknown;
  text?: string;
}

function seen(test: { method: string; url: string }, res: SupertestResponse): SeenResponse {
  const length = Number(res.headers['content-length']);
  const bodyBytes = Number.isFinite(length)
    ? length
    : Buffer.isBuffer(res.body)
      ? res.body.length
      : Buffer.byteLength(res.text ?? '');
  return {
    method: test.method,
    path: new URL(test.url).pathname,
    status: res.status,
    headers: res.headers,
    body: res.body,
    bodyBytes,
  };
}

/**
 * Responses outside the contract seen during the current test. Failing the test in afterEach
 * (as well as at once, for supertest) means a test that catches errors, e.g. one expecting an
 * aborted request, cannot swallow a violation.
 */
const violations: string[] = [];
const pending = new Set<Promise<void>>();

function record(problems: string[]): Error | undefined {
  if (problems.length === 0) return undefined;
  violations.push(...problems);
  return new Error(`response outside the OpenAPI contract:\n  ${problems.join('\n  ')}`);
}

/** The violations seen so far, cleared (for the test that proves the check can fail). */
export async function takeViolations(): Promise<string[]> {
  await Promise.all(pending);
  return violations.splice(0);
}

afterEach(async () => {
  const seenNow = await takeViolations();
  if (seenNow.length > 0) {
    throw new Error(`responses outside the OpenAPI contract:\n  ${seenNow.join('\n  ')}`);
  }
});

type AssertFn = (this: Test, resError: unknown, res: unknown, fn: unknown) => unknown;
const proto = Test.prototype as unknown as { assert: AssertFn; app: unknown };
const original = proto.assert;
proto.assert = function (
  this: Test & { app: unknown; method: string; url: string },
  resError,
  res,
  fn,
) {
  const doc = documentOf(this.app);
  const error =
    doc && res ? record(checkerFor(doc)(seen(this, res as SupertestResponse))) : undefined;
  if (error) return (fn as (err: Error, res: unknown) => unknown).call(this, error, res);
  return original.call(this, resError, res, fn);
};

async function checkFetched(doc: OpenApiDocument, method: string, url: URL, res: Response) {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await res.arrayBuffer());
  } catch {
    return; // the test aborted the request: there is no whole response to judge
  }
  const type = res.headers.get('content-type') ?? '';
  let body: unknown = bytes;
  if (type.startsWith('application/json')) {
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      body = bytes.toString('utf8');
    }
  }
  record(
    checkerFor(doc)({
      method,
      path: url.pathname,
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body,
      bodyBytes: bytes.length,
    }),
  );
}

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const res = await realFetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  const doc = servedDocuments.get(url.origin);
  if (!doc) return res;
  // The test gets the response as it comes; a copy is read and judged alongside, and afterEach
  // waits for the judgement.
  const method = (input instanceof Request ? input.method : init?.method) ?? 'GET';
  const check = checkFetched(doc, method, url, res.clone());
  pending.add(check);
  void check.finally(() => pending.delete(check));
  return res;
};
