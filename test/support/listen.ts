import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { createHttpServer } from '../../src/http/http-server';
import { servedDocuments } from './served-documents';
import type { OpenApiDocument } from '../../src/http/openapi/openapi-document';
import type { buildTestApp } from './test-app';

/** Listens on a free port of 127.0.0.1; resolves with the port and the base URL. */
export async function listenOnLoopback(server: Server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, url: `http://127.0.0.1:${address.port}` };
}

/** Serves a test app on a real port, with the production server's timeouts. */
export async function listen(built: ReturnType<typeof buildTestApp>) {
  const server = createHttpServer(
    built.app,
    built.config.http,
    built.config.jobs.requestDeadlineMs,
  );
  const address = await listenOnLoopback(server);
  // Responses to fetch() from this server are checked against its OpenAPI document.
  const doc = built.app.locals.openapi as OpenApiDocument;
  const origins = [address.url, `http://localhost:${address.port}`];
  for (const origin of origins) servedDocuments.set(origin, doc);
  return {
    ...address,
    async close() {
      for (const origin of origins) servedDocuments.delete(origin);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Collects what a raw socket receives, and whether the server has closed it. */
export function watchSocket(socket: Socket) {
  let received = '';
  let closed = false;
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  return {
    received: () => received,
    closed: () => closed,
    status: () => Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0),
    body: () => received.slice(received.indexOf('\r\n\r\n') + 4),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(10);
  }
  return check();
}
