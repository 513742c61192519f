import { createServer } from 'node:net';
import os from 'node:os';
import { IMAGE_THREAD } from '../../src/capacity/thread-priority';
import { imageProcessEnv } from '../support/config-files';
import * as images from '../support/images';
import { listenOnLoopback } from '../support/listen';
import { threadsOf } from '../support/proc-threads';
import { useS3 } from '../support/s3-server';
import { startServerProcess } from '../support/server-process';

describe('the server process', () => {
  it.each([
    [{ NODE_ENV: 'production' }, 'S3_BUCKET'],
    [{ MAX_UPLOAD_BYTES: 'lots' }, 'MAX_UPLOAD_BYTES'],
    [{ PRESETS: '{"x":' }, 'PRESETS'],
  ])('refuses to start with %j: exit 1 and a message naming %s', async (env, variable) => {
    const run = startServerProcess(env);
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(new RegExp(`invalid configuration:[\\s\\S]*${variable}`));
  });

  describe('with S3', () => {
    const s3 = useS3();

    it('serves on PORT, logs JSON lines, and when idle exits 0 on SIGTERM in well under a second', async () => {
      const run = startServerProcess({
        ...s3.env,
        PORT: '0',
        HOST: '127.0.0.1',
        SHUTDOWN_DRAIN_MS: '0',
      });
      try {
        const url = await run.waitForListening();
        const health = await fetch(`${url}/healthz`);
        expect(health.status).toBe(200);
        expect(((await health.json()) as { status: string }).status).toBe('ok');
        // The probes left an idle keep-alive connection: it must not hold the process open.
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        const signalledAt = Date.now();
        run.child.kill('SIGTERM');
        expect(await run.exited).toBe(0);
        expect(Date.now() - signalledAt).toBeLessThan(1000);
        const lines = run.output().stdout.trim().split('\n');
        for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
        expect(lines.at(-1)).toContain('shutdown complete');
      } finally {
        run.child.kill('SIGKILL');
      }
    });
    // A body sent as a JPEG to /v1/resize: an image, or bytes that only claim to be one.
    const postJpeg = (url: string, body: Buffer) =>
      fetch(`${url}/v1/resize?widths=16`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg' },
        body,
      });

    const libuvThreads = (pid: number) =>
      threadsOf(pid).filter((t) => t.name === 'libuv-worker').length;

    it("sizes libuv's thread pool from the config (sharp must not have started it first)", async () => {
      const run = startServerProcess({
        ...s3.env,
        PORT: '0',
        HOST: '127.0.0.1',
        MAX_CONCURRENT_JOBS: '3',
        SHUTDOWN_DRAIN_MS: '0',
      });
      try {
        const url = await run.waitForListening();
        const res = await postJpeg(url, await images.jpeg(64, 48));
        expect(res.status).toBe(200);
        // MAX_CONCURRENT_JOBS + 4, not libuv's default 4: with 4, the running jobs would hold
        // every thread and header probes and DNS lookups would wait behind them.
        expect(libuvThreads(run.child.pid ?? 0)).toBe(7);
      } finally {
        run.child.kill('SIGKILL');
      }
    });

    describe('image work below the main thread (IMAGE_THREADS_NICE)', () => {
      const niceByKind = async (env: Record<string, string>) => {
        const run = startServerProcess({
          ...s3.env,
          PORT: '0',
          HOST: '127.0.0.1',
          SHUTDOWN_DRAIN_MS: '0',
          ...env,
        });
        try {
          const url = await run.waitForListening();
          // A resize makes libvips start its workers, from a pool thread, after the start-up.
          expect((await postJpeg(url, await images.jpeg(640, 480))).status).toBe(200);
          const pid = run.child.pid ?? 0;
          const kinds = new Map<string, Set<number>>();
          for (const t of threadsOf(pid)) {
            const kind = t.tid === pid ? 'main' : IMAGE_THREAD.test(t.name) ? t.name : 'other';
            kinds.set(kind, (kinds.get(kind) ?? new Set()).add(t.nice));
          }
          const listening = run.logs().find((l) => l.msg === 'listening');
          return {
            kinds: Object.fromEntries([...kinds].map(([k, v]) => [k, [...v]])),
            pool: libuvThreads(pid),
            listening,
          };
        } finally {
          run.child.kill('SIGKILL');
        }
      };

      it("runs libuv's pool and libvips' workers at nice 10, the main thread and V8's at 0", async () => {
        const { kinds, pool, listening } = await niceByKind({});
        expect(kinds).toEqual({
          main: [0],
          other: [0],
          'libuv-worker': [10],
          // Started by a pool thread after the start-up: they inherit its value.
          'libvips worker': [10],
        });
        // At the start only the pool's threads exist.
        expect(listening?.threadPriority).toEqual({ nice: 10, threads: pool });
      });

      it("leaves every thread at the main thread's with IMAGE_THREADS_NICE=0", async () => {
        const { kinds, listening } = await niceByKind({ IMAGE_THREADS_NICE: '0' });
        expect(new Set(Object.values(kinds).flat())).toEqual(new Set([0]));
        expect(listening?.threadPriority).toEqual({ skipped: 'IMAGE_THREADS_NICE is 0' });
      });
    });

    describe("V8's young generation, bounded by the image's NODE_OPTIONS", () => {
      // The image's setting (Dockerfile ENV) measured in the running process: the size of V8's
      // new space after some uploads, from the process's own metrics.
      const imageEnv = imageProcessEnv();
      const semiMiB = Number(/--max-semi-space-size=(\d+)/.exec(imageEnv.NODE_OPTIONS ?? '')?.[1]);
      const bound = 2 * semiMiB * 2 ** 20; // two semi-spaces
      const newSpaceBytes = async (env: Record<string, string>) => {
        const run = startServerProcess({
          ...s3.env,
          ...env,
          PORT: '0',
          HOST: '127.0.0.1',
          SHUTDOWN_DRAIN_MS: '0',
        });
        try {
          const url = await run.waitForListening();
          const body = await images.jpeg(64, 48);
          for (let i = 0; i < 20; i++) {
            const res = await postJpeg(url, body);
            expect(res.status).toBe(200);
          }
          const metrics = await (await fetch(`${url}/metrics`)).text();
          return Number(
            /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(metrics)?.[1],
          );
        } finally {
          run.child.kill('SIGKILL');
        }
      };

      it('stays within two semi-spaces of the size the image sets', async () => {
        expect(semiMiB).toBeGreaterThan(0);
        const withImageEnv = await newSpaceBytes(imageEnv);
        expect(withImageEnv).toBeGreaterThan(0);
        expect(withImageEnv).toBeLessThanOrEqual(bound);
      });

      // Node sizes its own from the memory it may use: 32 MiB at 768 MiB (a memory cgroup) and on
      // this 24 GiB machine, where it grows to 64; 2 MiB at 512 MiB or less, where the image's
      // flag raises it (docs/operations.md). Only where it is larger
      // does the check above tell the flag from Node's own choice: there, this shows it does.
      const memory = Math.min(os.totalmem(), process.constrainedMemory() || Infinity);
      (memory >= 2 ** 30 ? it : it.skip)(
        "is larger without it, on a host of 1 GiB or more (Node's own choice)",
        async () => {
          expect(await newSpaceBytes({ ...imageEnv, NODE_OPTIONS: '' })).toBeGreaterThan(bound);
        },
      );
    });

    it("sets V8's heap growing factor from V8_HEAP_GROWING_PERCENT, from the first collection on", async () => {
      // --trace-gc-verbose prints "[HeapController] factor F" after every full collection,
      // through C's stdio: buffered, flushed at arbitrary points. With the log at "error" nothing
      // else writes to stdout (a JSON line could otherwise land inside a trace line), and the
      // buffer is complete once the process has exited.
      const probe = createServer();
      const { port } = await listenOnLoopback(probe);
      probe.close();
      const run = startServerProcess(
        {
          ...s3.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'error',
          SHUTDOWN_DRAIN_MS: '0',
          V8_HEAP_GROWING_PERCENT: '150',
        },
        ['--trace-gc-verbose'],
      );
      try {
        const url = `http://127.0.0.1:${port}`;
        let up = false;
        for (let i = 0; i < 200 && !up && run.child.exitCode === null; i++) {
          up = await fetch(`${url}/healthz`).then(
            (r) => r.ok,
            () => false,
          );
          if (!up) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(up).toBe(true);
        // Buffers count toward the heap: 96 MiB of bodies (not images: 415, once read) pass
        // V8's 64 MiB external-memory step, so at least one collection comes after start-up's.
        const body = Buffer.alloc(16 * 1024 * 1024, 7);
        for (let i = 0; i < 6; i++) {
          const res = await postJpeg(url, body);
          expect(res.status).toBe(415);
        }
        run.child.kill('SIGTERM');
        expect(await run.exited).toBe(0);
        const factors = [
          ...run.output().stdout.matchAll(/\[HeapController\] factor ([\d.]+)/g),
        ].map((m) => m[1]);
        expect(factors.length).toBeGreaterThan(1);
        // V8's own factor varies with its measured GC and allocation speeds (1.1 to 4.0 here).
        expect(new Set(factors)).toEqual(new Set(['2.5']));
      } finally {
        run.child.kill('SIGKILL');
      }
    });
  });
});
