import { readdirSync, readFileSync } from 'node:fs';

// Linux's /proc, read by the benchmarks: CPU time of a process and of its threads (memory:
// memoryOf in test/support/server-process.ts).

/**
 * utime and stime of a `stat` line, in ms: fields 14 and 15, i.e. 11 and 12 after "pid (comm) ",
 * in clock ticks of USER_HZ, which Linux fixes at 100 on every mainstream architecture.
 */
function cpuOf(stat: string) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

/** CPU seconds (user + system) used so far by a process, its exited threads included. */
export function processCpuSeconds(pid: number): number {
  const { user, system } = cpuOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (user + system) / 1000;
}

/** CPU ms (user, system) used so far by a process, and by each of its live threads by name. */
function threadCpu(pid: number) {
  const threads: { tid: number; name: string; user: number; system: number }[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile; the process's total still counts it
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    threads.push({ tid: Number(tid), name, ...cpuOf(stat) });
  }
  return { process: cpuOf(readFileSync(`/proc/${pid}/stat`, 'utf8')), threads };
}

export const GROUPS = ['main', 'libuv', 'libvips', 'other', 'system'] as const;
export type Usage = Record<(typeof GROUPS)[number], number>;

/**
 * CPU ms used so far by a Node process's thread groups: the main thread, libuv's pool and
 * libvips' workers (sharp's work), "other" (the rest of its user time: V8's helpers), and the
 * system time of them all.
 */
export function cpuByGroup(pid: number): Usage {
  const { process: total, threads } = threadCpu(pid);
  const user = (pick: (name: string, tid: number) => boolean) =>
    threads.filter((t) => pick(t.name, t.tid)).reduce((sum, t) => sum + t.user, 0);
  const main = user((_, tid) => tid === pid);
  const libuv = user((name) => name === 'libuv-worker');
  const libvips = user((name) => name.startsWith('libvips'));
  return { main, libuv, libvips, other: total.user - main - libuv - libvips, system: total.system };
}
