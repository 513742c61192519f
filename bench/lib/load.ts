import { Agent, request } from 'node:http';

export interface LoadResult {
  concurrency: number;
  requests: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function summarize(
  concurrency: number,
  started: bigint,
  latencies: number[],
  statuses: Record<number, number>,
): LoadResult {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    requests: latencies.length,
    seconds,
    throughput: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
  };
}

function post(agent: Agent, url: URL, body: Buffer, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': contentType, 'Content-Length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Closed-loop load: `concurrency` clients, each sending its next request when the last one is
 * answered, `requests` in all. Keep-alive connections, like a real client or nginx.
 */
export async function runLoad(options: {
  url: string;
  concurrency: number;
  requests: number;
  body: (i: number) => Buffer;
  contentType?: string;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(options.url);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = process.hrtime.bigint();
  const client = async () => {
    while (next < options.requests) {
      const body = options.body(next++);
      const t = process.hrtime.bigint();
      const status = await post(agent, url, body, options.contentType ?? 'image/jpeg');
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  agent.destroy();
  return summarize(options.concurrency, started, latencies, statuses);
}

/** The same shape of measurement for in-process work (the raw sharp ceiling). */
export async function runInProcess(options: {
  concurrency: number;
  requests: number;
  work: (i: number) => Promise<unknown>;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < options.requests) {
      const i = next++;
      const t = process.hrtime.bigint();
      await options.work(i);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return summarize(options.concurrency, started, latencies, {});
}
