/**
 * Every response a test gets through supertest is checked against the OpenAPI document of the
 * app that answered it (createApp keeps it in app.locals.openapi): a response the document does
 * not describe fails the test that received it, whatever that test asserts. Loaded by jest
 * (setupFilesAfterEnv). Responses to fetch() from a server started with test/support/listen.ts
 * are checked the same way (listen registers the server's document under its URL).
 */
import type { IncomingMessage, Server } from 'node:http';
import { Test } from 'supertest';
import type { OpenApiDocument } from '../../src/http/openapi/openapi-document';
import { contractChecker, type SeenResponse } from './openapi-contract';

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
  if (doc && res) {
    const problems = checkerFor(doc)(seen(this, res as SupertestResponse));
    if (problems.length > 0) {
      const error = new Error(`response outside the OpenAPI contract:\n  ${problems.join('\n  ')}`);
      return (fn as (err: Error, res: unknown) => unknown).call(this, error, res);
    }
  }
  return original.call(this, resError, res, fn);
};

/** Servers started by listen(): their base URL and the document of the app they serve. */
export const servedDocuments = new Map<string, OpenApiDocument>();

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const res = await realFetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  const doc = servedDocuments.get(url.origin);
  if (!doc) return res;
  // The test reads the original; the check reads a copy, to its end, before the test goes on.
  const bytes = Buffer.from(await res.clone().arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  let body: unknown = bytes;
  if (type.startsWith('application/json')) {
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      body = bytes.toString('utf8');
    }
  }
  const problems = checkerFor(doc)({
    method: (input instanceof Request ? input.method : init?.method) ?? 'GET',
    path: url.pathname,
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body,
    bodyBytes: bytes.length,
  });
  if (problems.length > 0) {
    throw new Error(`response outside the OpenAPI contract:\n  ${problems.join('\n  ')}`);
  }
  return res;
};
