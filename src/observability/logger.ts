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
 * Written synchronously: a line is on stdout when the call returns. pino's default stream
 * writes through libuv's pool, behind running encodes, and `process.exit()` drops the line in
 * flight: the crash's `fatal` line or "shutdown complete" went missing that way. One write(2)
 * per line costs microseconds; if the log reader stalls, the service waits for it rather than
 * buffering lines without bound.
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
