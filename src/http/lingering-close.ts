import type { IncomingMessage } from 'node:http';

/** How long a refused client may keep sending (discarded) before its connection is cut. */
const LINGER_MS = 2000;

/**
 * For an answer sent before the request body was read (413, 401, 503 busy...): close the
 * connection the way nginx's lingering_close does. Closing a socket that still has unread
 * incoming bytes makes the kernel send a TCP reset, and the client then loses our response
 * before reading it. So: send FIN, discard whatever still arrives, and cut the connection when
 * the client closes or after LINGER_MS, whichever comes first. Nothing is buffered.
 */
export function lingerBeforeClose(req: IncomingMessage): void {
  const socket = req.socket;
  // Node calls destroySoon() once a `Connection: close` response is written.
  socket.destroySoon = () => {
    socket.end();
    req.resume();
    const cut = () => socket.destroy();
    const timer = setTimeout(cut, LINGER_MS);
    timer.unref();
    socket.once('end', () => {
      clearTimeout(timer);
      cut();
    });
  };
}
