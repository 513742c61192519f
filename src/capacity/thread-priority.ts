import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The threads that do image work: libuv's pool (every sharp job runs on it) and libvips' own. */
export const IMAGE_THREAD = /^(libuv-worker|libvips|vips)/;

export type ThreadPriority = { nice: number; threads: number } | { skipped: string };

/**
 * Sets the nice value of the threads that do image work (IMAGE_THREADS_NICE) below the main
 * thread's. With every core encoding, the event loop otherwise gets one fair share among a dozen
 * CPU-bound threads, and what only it does waits behind them: shedding a request once
 * MAX_QUEUE_WAIT_MS has passed, answering /readyz and /metrics, reading uploads. Under a storm
 * through nginx, ~0.7 s went by before a replica's event loop got to a small request, which it
 * then shed after its 1 s in line (docs/operations.md, "Limits, overload and slow clients").
 * libvips starts its workers from a pool thread, so the ones it starts later get the same value.
 * Linux only, where a nice value belongs to one thread; lowering one's own priority needs no
 * privilege.
 */
export function lowerImageThreadPriority(nice: number): ThreadPriority {
  if (nice === 0) return { skipped: 'IMAGE_THREADS_NICE is 0' };
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return { skipped: 'no /proc/self/task (not Linux)' };
  }
  let threads = 0;
  for (const tid of tids) {
    let name: string;
    try {
      name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue; // the thread ended meanwhile
    }
    if (!IMAGE_THREAD.test(name)) continue;
    try {
      setPriority(Number(tid), nice);
    } catch (err) {
      return { skipped: `setpriority failed: ${(err as Error).message}` };
    }
    threads++;
  }
  return { nice, threads };
}
