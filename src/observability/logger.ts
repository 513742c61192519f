import pino, { type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  version: string;
  revision: string;
}

/**
 * Headers that can carry credentials. pino removes them before a line is written, so no code
 * path (request logs, error logs with a request attached) can leak them.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * JSON lines to stdout (factor XI): shipping and storing them is the platform's job.
 *
 * Written synchronously: a line is on stdout, in order, when the call returns. pino's default
 * stream writes through libuv's pool, behind running encodes; at `process.exit()` it wrote what
 * it still held at once, and the line in flight came after it ("shutting down: draining" after
 * "shutdown complete" in CI). One write(2) per line costs microseconds (no measurable change in
 * the main thread's CPU per request, docs/performance.md). If the log reader stops reading, the
 * service stops with it until it reads again (as under Docker's default, blocking, log mode)
 * rather than holding unwritten lines in memory without bound. Node makes stdout non-blocking
 * at the first `stream.pipe()` (multer pipes every upload; `pipe()` compares its destination
 * with `process.stdout`, which opens it), so a full pipe means EAGAIN, and sonic-boom then
 * sleeps 100 ms and tries again: the stop comes in 100 ms steps.
 */
export function createLogger(
  options: LoggerOptions,
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'image-resizer', version: options.version, revision: options.revision },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
