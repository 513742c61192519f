import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';
import { listen, sleep, until, watchSocket } from '../support/listen';

const s3 = useS3();

async function openSocket(port: number) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return { socket, watch: watchSocket(socket) };
}

/**
 * Sends 16 KiB chunks of a chunked body, as a client that would send 4 MiB, until the server
 * answers or closes. Returns how many body bytes went out.
 */
async function streamChunksUntilAnswered(socket: Socket, watch: ReturnType<typeof watchSocket>) {
  const chunk = Buffer.alloc(16 * 1024, 0xff);
  let sent = 0;
  while (sent < 4 * 1024 * 1024 && !watch.received() && !watch.closed()) {
    socket.write(`${chunk.length.toString(16)}\r\n`);
    socket.write(chunk);
    socket.write('\r\n');
    sent += chunk.length;
    await sleep(2);
  }
  return sent;
}

const code = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

describe('transport limits (real sockets)', () => {
  it('413 while a chunked body is still streaming: the excess is never read, the connection is closed', async () => {
    const server = await listen(buildTestApp(s3, { MAX_UPLOAD_BYTES: '100000' }));
    try {
      const { socket, watch } = await openSocket(server.port);
      socket.write(
        'POST /v1/images HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const sent = await streamChunksUntilAnswered(socket, watch);
      expect(await until(() => watch.closed(), 5000)).toBe(true);
      expect(watch.status()).toBe(413);
      expect(watch.received()).toMatch(/\r\nConnection: close\r\n/i);
      expect(code(watch.body())).toBe('PAYLOAD_TOO_LARGE');
      expect(sent).toBeLessThan(1024 * 1024);
    } finally {
      await server.close();
    }
  });

  it('413 for a multipart upload over the limit, also chunked', async () => {
    const server = await listen(buildTestApp(s3, { MAX_UPLOAD_BYTES: '100000' }));
    try {
      const { socket, watch } = await openSocket(server.port);
      const head =
        '--b\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n';
      socket.write(
        'POST /v1/images HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      socket.write(`${Buffer.byteLength(head).toString(16)}\r\n${head}\r\n`);
      const sent = await streamChunksUntilAnswered(socket, watch);
      expect(await until(() => watch.received() !== '', 5000)).toBe(true);
      expect(watch.status()).toBe(413);
      expect(code(watch.body())).toBe('PAYLOAD_TOO_LARGE');
      expect(sent).toBeLessThan(1024 * 1024);
    } finally {
      await server.close();
    }
  });

  it('413 from a declared Content-Length before any of the body is sent', async () => {
    const server = await listen(buildTestApp(s3, { MAX_UPLOAD_BYTES: '100000' }));
    try {
      const { socket, watch } = await openSocket(server.port);
      socket.write(
        'POST /v1/images HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 10000000\r\n\r\n',
      );
      expect(await until(() => watch.closed(), 5000)).toBe(true);
      expect(watch.status()).toBe(413);
    } finally {
      await server.close();
    }
  });

  it('431 for oversized headers (Node limit: 16 KiB)', async () => {
    const server = await listen(buildTestApp(s3));
    try {
      const res = await fetch(`${server.url}/healthz`, {
        headers: { 'X-Big': 'a'.repeat(20_000) },
      });
      expect(res.status).toBe(431);
    } finally {
      await server.close();
    }
  });

  it('408 REQUEST_TIMEOUT for a client sending its body a byte at a time', async () => {
    const server = await listen(buildTestApp(s3, { REQUEST_TIMEOUT_MS: '1000' }));
    try {
      const { socket, watch } = await openSocket(server.port);
      socket.write(
        'POST /v1/images HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n\r\n',
      );
      const started = Date.now();
      while (!watch.received() && !watch.closed() && Date.now() - started < 8000) {
        socket.write(Buffer.from([0xff]));
        await sleep(100);
      }
      expect(watch.status()).toBe(408);
      expect(code(watch.body())).toBe('REQUEST_TIMEOUT');
      expect(await until(() => watch.closed(), 2000)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('drops a client that never finishes its headers', async () => {
    const server = await listen(buildTestApp(s3, { HEADERS_TIMEOUT_MS: '500' }));
    try {
      const { socket, watch } = await openSocket(server.port);
      socket.write('POST /v1/images HTTP/1.1\r\nHost: x\r\n');
      const started = Date.now();
      while (!watch.closed() && Date.now() - started < 8000) {
        socket.write('X-Slow: 1\r\n');
        await sleep(200);
      }
      expect(watch.closed()).toBe(true);
      expect(watch.status()).toBe(408);
    } finally {
      await server.close();
    }
  });
});
