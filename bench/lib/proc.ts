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
export function threadCpu(pid: number) {
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
