import { readFileSync } from 'node:fs';
import { statFields, threadsOf } from '../../test/support/proc-threads';

// CPU time of a process and of its threads, from Linux's /proc (memory: memoryOf in
// test/support/server-process.ts).

/** CPU seconds (user + system) used so far by a process, its exited threads included. */
export function processCpuSeconds(pid: number): number {
  const { user, system } = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (user + system) / 1000;
}

export const GROUPS = ['main', 'libuv', 'libvips', 'other', 'system'] as const;
export type Usage = Record<(typeof GROUPS)[number], number>;

/**
 * CPU ms used so far by a Node process's thread groups: the main thread, libuv's pool and
 * libvips' workers (sharp's work), "other" (the rest of its user time: V8's helpers), and the
 * system time of them all.
 */
export function cpuByGroup(pid: number): Usage {
  const threads = threadsOf(pid); // read before the total, so the groups never exceed it
  const total = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const user = (pick: (name: string, tid: number) => boolean) =>
    threads.filter((t) => pick(t.name, t.tid)).reduce((sum, t) => sum + t.user, 0);
  const main = user((_, tid) => tid === pid);
  const libuv = user((name) => name === 'libuv-worker');
  const libvips = user((name) => name.startsWith('libvips'));
  return { main, libuv, libvips, other: total.user - main - libuv - libvips, system: total.system };
}
