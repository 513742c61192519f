import { imageProcessEnv } from '../../test/support/config-files';
import { startServerProcess, type ServerProcess } from '../../test/support/server-process';

/**
 * Runs `node dist/server.js` (as production does) with benchmark settings, hands its URL to
 * `run`, and kills it afterwards. `MAX_QUEUED_JOBS=64` and a long `MAX_QUEUE_WAIT_MS` so the
 * closed-loop clients (at most 16) are never shed: the benchmark measures work, not refusals.
 * S3 checksums at their default (WHEN_SUPPORTED) since 2026-12-02; only s3rver, which cannot
 * take them, gets WHEN_REQUIRED (from its own env, test/support/s3-server.ts).
 */
export async function withService<T>(
  env: Record<string, string>,
  run: (url: string, server: ServerProcess) => Promise<T>,
  /** Node's own flags, e.g. --trace-gc (bench/gc-trace.ts). */
  nodeArgs: string[] = [],
  /** The checkout whose build runs (bench/lib/revision.ts); this one's by default. */
  cwd?: string,
): Promise<T> {
  const server = startServerProcess(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      MAX_QUEUED_JOBS: '64',
      MAX_QUEUE_WAIT_MS: '30000',
      S3_FORCE_PATH_STYLE: 'true',
      // As in the container image: MALLOC_ARENA_MAX and NODE_OPTIONS from the Dockerfile of the
      // checkout that runs (another revision's, for bench:ab --rev, is its own).
      ...imageProcessEnv(cwd),
      LOG_LEVEL: 'info',
      ...env,
    },
    nodeArgs,
    cwd,
  );
  try {
    return await run(await server.waitForListening(), server);
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

/** `VAR=value` pairs from a command line (the value may contain `=`) as an environment. */
export const envFromPairs = (pairs: readonly string[]): Record<string, string> =>
  Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`"${pair}": expected VAR=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
