import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

// An exit in miniature: libuv's pool busy (as with running encodes), two lines logged, then
// process.exit() at once. pino's default stream writes the first line through the pool, where
// it waits behind the busy thread, and the second synchronously at exit: the two came out
// swapped, and the log's last line was no longer the last thing the process said.
const script = `
const { pbkdf2 } = require('node:crypto');
const { createLogger } = require('./dist/observability/logger.js');
const logger = createLogger({ level: 'info', version: 't', revision: 'r' });
pbkdf2('x', 'salt', 300000, 32, 'sha256', () => {});
logger.info('shutting down: draining');
logger.info('shutdown complete');
process.exit(0);
`;

it('log lines are on stdout, in order, when the call returns, even with the thread pool busy and an immediate exit', async () => {
  const child = spawn(process.execPath, ['-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', UV_THREADPOOL_SIZE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { msg: string; revision: string });
  expect(lines.map((l) => [l.msg, l.revision])).toEqual([
    ['shutting down: draining', 'r'],
    ['shutdown complete', 'r'],
  ]);
});
