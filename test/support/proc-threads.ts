import { readdirSync, readFileSync } from 'node:fs';

// Linux's /proc, read by the process tests and the benchmarks (the service reads its own
// threads' names in src/capacity/thread-priority.ts, which cannot import test code).

/**
 * The fields of a `stat` line after "pid (comm) ", which can hold spaces and parentheses:
 * utime and stime are fields 14 and 15 (11 and 12 here), in clock ticks of USER_HZ, which Linux
 * fixes at 100 on every mainstream architecture; nice is field 19 (16 here).
 */
export function statFields(stat: string) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    user: Number(fields[11]) * 10,
    system: Number(fields[12]) * 10,
    nice: Number(fields[16]),
  };
}

/** A process's live threads: name, CPU ms so far (user, system) and nice value of each. */
export function threadsOf(pid: number) {
  const threads: ({ tid: number } & ReturnType<typeof statFields>)[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    threads.push({ tid: Number(tid), ...statFields(stat) });
  }
  return threads;
}
