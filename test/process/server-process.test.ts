import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { startS3, type TestS3 } from '../support/s3-server';

const root = path.join(__dirname, '..', '..');

/** Runs src/server.ts as its own process, the way `npm run dev` does (through tsx). */
function runServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // 'close', not 'exit': only then has all of the child's output been read.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitForListening(output: () => { stdout: string }): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const line = output()
      .stdout.split('\n')
      .find((l) => l.includes('"msg":"listening"'));
    if (line) return (JSON.parse(line) as { address: { port: number } }).address.port;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not start: ${JSON.stringify(output())}`);
}

describe('the server process', () => {
  it.each([
    [{ NODE_ENV: 'production' }, 'S3_BUCKET'],
    [{ MAX_UPLOAD_BYTES: 'lots' }, 'MAX_UPLOAD_BYTES'],
    [{ PRESETS: '{"x":' }, 'PRESETS'],
  ])('refuses to start with %j: exit 1 and a message naming %s', async (env, variable) => {
    const run = runServer(env);
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(new RegExp(`invalid configuration:[\\s\\S]*${variable}`));
  });

  describe('with S3', () => {
    let s3: TestS3;
    beforeAll(async () => {
      s3 = await startS3();
    });
    afterAll(async () => {
      await s3.stop();
    });

    it('serves on PORT, logs JSON lines, and exits 0 on SIGTERM', async () => {
      const run = runServer({ ...s3.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
      try {
        const port = await waitForListening(run.output);
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(health.status).toBe(200);
        expect(((await health.json()) as { status: string }).status).toBe('ok');
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
        run.child.kill('SIGTERM');
        expect(await run.exited).toBe(0);
        const lines = run.output().stdout.trim().split('\n');
        for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
        expect(lines.at(-1)).toContain('shutdown complete');
      } finally {
        run.child.kill('SIGKILL');
      }
    });
  });
});
