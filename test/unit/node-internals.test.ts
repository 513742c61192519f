import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import { connect } from 'node:net';
import { beforeWriteHead, lingerBeforeClose } from '../../src/http/node-internals';
import { listenOnLoopback, until, watchSocket } from '../support/listen';

// The service's two reaches into Node's HTTP internals, against a bare Node server, so a Node
// upgrade that changes what they rely on fails here first.

async function serve(handler: RequestListener) {
  const server = createServer(handler);
  const { port, url } = await listenOnLoopback(server);
  return {
    port,
    url,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('beforeWriteHead', () => {
  it.each([
    ['an explicit writeHead', (res: Parameters<RequestListener>[1]) => res.writeHead(200).end('x')],
    ['headers written implicitly by end()', (res: Parameters<RequestListener>[1]) => res.end('x')],
  ])('runs its hook before %s', async (_, respond) => {
    const server = await serve((_req, res) => {
      beforeWriteHead(res, () => res.setHeader('X-Hook', 'ran'));
      respond(res);
    });
    try {
      const answer = await fetch(server.url);
      expect([answer.status, answer.headers.get('x-hook')]).toEqual([200, 'ran']);
    } finally {
      await server.close();
    }
  });
});

describe('lingerBeforeClose', () => {
  /** Answers 413 with Connection: close before reading a byte of the body. */
  const refuseEarly = (lingerMs: number) =>
    serve((req, res) => {
      lingerBeforeClose(req, lingerMs);
      res
        .writeHead(413, { Connection: 'close', 'Content-Type': 'text/plain', 'Content-Length': 9 })
        .end('too large');
    });

  const startUpload = async (port: number, bytes: number) => {
    // Half-open allowed: a client that goes on sending after the server's FIN, as uploaders do.
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(socket, 'connect');
    const watched = watchSocket(socket);
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${bytes}\r\n\r\n`);
    return { socket, watched };
  };

  it('lets the refused client finish sending and read the answer: a clean close, no reset', async () => {
    const server = await refuseEarly(5000);
    try {
      const { socket, watched } = await startUpload(server.port, 32 * 1024 * 1024);
      const errors: string[] = [];
      socket.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
      let ended = false;
      socket.on('end', () => (ended = true));
      expect(await until(() => watched.status() === 413, 2000)).toBe(true);
      expect(watched.body()).toBe('too large');
      // Without lingering, Node destroys the socket once the answer is written; the bytes still
      // arriving then make the kernel reset the connection (the client's writes fail).
      const chunk = Buffer.alloc(256 * 1024);
      for (let i = 0; i < 128 && errors.length === 0 && !socket.destroyed; i++) {
        if (!socket.write(chunk))
          await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
      }
      socket.end();
      expect(await until(() => watched.closed(), 3000)).toBe(true);
      expect([errors, ended]).toEqual([[], true]);
    } finally {
      await server.close();
    }
  });

  it('keeps reading (and discarding) for the linger time, then cuts a client that never stops', async () => {
    const server = await refuseEarly(300);
    try {
      const { socket, watched } = await startUpload(server.port, 100 * 1024 * 1024);
      const started = Date.now();
      const trickle = setInterval(() => socket.write(Buffer.alloc(1024)), 20);
      try {
        expect(await until(() => watched.status() === 413, 2000)).toBe(true);
        // Still open while it lingers: Node's own close would have cut it at once.
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect(watched.closed()).toBe(false);
        expect(await until(() => watched.closed(), 3000)).toBe(true);
        expect(Date.now() - started).toBeGreaterThanOrEqual(250);
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        clearInterval(trickle);
      }
    } finally {
      await server.close();
    }
  });
});
