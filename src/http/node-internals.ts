import type { IncomingMessage, ServerResponse } from 'node:http';

// The two places where this service reaches into Node's HTTP internals, each for a behaviour
// Node has no public hook for. Kept here, small and unit-tested, so a Node upgrade that changes
// them breaks one file's tests, not the service in production.

/** Runs `hook` just before the response's headers are written, whoever writes them. */
export function beforeWriteHead(res: ServerResponse, hook: () => void): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = (...args: unknown[]) => {
    hook();
    return writeHead(...args);
  };
}

/** How long a refused client may keep sending (discarded) before its connection is cut. */
export const LINGER_MS = 2000;

/**
 * For an answer sent before the request body was read (413, 401, 503 busy...): close the
 * connection the way nginx's lingering_close does. Closing a socket that still has unread
 * incoming bytes makes the kernel send a TCP reset, and the client then loses our response
 * before reading it. So: send FIN, discard whatever still arrives, and cut the connection when
 * the client closes or after `lingerMs`, whichever comes first. Nothing is buffered.
 * Node calls socket.destroySoon() once a `Connection: close` response is written: that is the
 * moment replaced here.
 */
export function lingerBeforeClose(req: IncomingMessage, lingerMs = LINGER_MS): void {
  const socket = req.socket;
  socket.destroySoon = () => {
    socket.end();
    req.resume();
    const cut = () => socket.destroy();
    const timer = setTimeout(cut, lingerMs);
    timer.unref();
    socket.once('end', () => {
      clearTimeout(timer);
      cut();
    });
  };
}
