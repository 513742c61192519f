import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** Parsed JSON log lines from stdout. */
  logs(): Record<string, unknown>[];
  waitForListening(): Promise<string>;
  /** Peak resident memory (VmHWM) and current RSS of the process, in MiB (Linux). */
  memory(): { peakMiB: number; rssMiB: number };
}

/** Peak resident memory (VmHWM) and current RSS of a process, in MiB (Linux). */
export function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { peakMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

/**
 * Runs the built server (`node dist/server.js`, as production does; `npm test` builds first)
 * as a child process with only the given environment (and Node options, e.g. --cpu-prof).
 */
export function startServerProcess(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  /** Another checkout's build (bench/ab.ts --rev); this one's by default. */
  cwd = root,
): ServerProcess {
  const child = spawn(process.execPath, [...nodeArgs, 'dist/server.js'], {
    cwd,
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
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  // 'close', not 'exit': only then has all of the child's output been read.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    logs,
    async waitForListening() {
      for (let i = 0; i < 300; i++) {
        const line = logs().find((l) => l.msg === 'listening');
        if (line) return `http://127.0.0.1:${(line.address as { port: number }).port}`;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`server did not start: ${JSON.stringify({ stdout, stderr })}`);
    },
    memory: () => memoryOf(child.pid ?? 0),
  };
}
