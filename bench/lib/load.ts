import { Agent, request } from 'node:http';
import type { BodyParts } from './corpus';

/** A request body: one buffer, or parts written one after another. */
export type Body = Buffer | BodyParts;

export interface LoadResult {
  concurrency: number;
  requests: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
  /**
   * CPU time per request: of the process under test (`server`, when given a way to read it) and
   * of this process (`client`: the load generator, or sharp itself for in-process work).
   */
  cpuMs: { server?: number; client: number; clientSystem: number };
}

/** Starts measuring CPU; the returned function gives ms per request since the start. */
function cpuMeter(serverCpu?: () => number) {
  const client = process.cpuUsage();
  const server = serverCpu?.();
  return (requests: number) => {
    const used = process.cpuUsage(client);
    return {
      server: server === undefined ? undefined : ((serverCpu!() - server) * 1000) / requests,
      client: (used.user + used.system) / 1000 / requests,
      /** The kernel's part of `client` (sockets, page faults). */
      clientSystem: used.system / 1000 / requests,
    };
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function summarize(
  concurrency: number,
  started: bigint,
  latencies: number[],
  statuses: Record<number, number>,
  cpu: ReturnType<typeof cpuMeter>,
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
    cpuMs: cpu(Math.max(1, latencies.length)),
  };
}

function send(
  agent: Agent,
  url: URL,
  body: Body | undefined,
  contentType: string,
): Promise<number> {
  const parts = body === undefined ? [] : Buffer.isBuffer(body) ? [body] : body;
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: body ? 'POST' : 'GET',
        agent,
        headers: body ? { 'Content-Type': contentType, 'Content-Length': length } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
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
  /** POST this body; without it, GET `url` + `path(i)` (the ipx peer reads its files itself). */
  body?: (i: number) => Body;
  path?: (i: number) => string;
  contentType?: string;
  serverCpu?: () => number;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  // Bodies are made before the clock starts: making them is not the service's work.
  const bodies = Array.from({ length: options.requests }, (_, i) => options.body?.(i));
  const urls = Array.from(
    { length: options.requests },
    (_, i) => new URL(options.url + (options.path?.(i) ?? '')),
  );
  const cpu = cpuMeter(options.serverCpu);
  const started = process.hrtime.bigint();
  const client = async () => {
    while (next < options.requests) {
      const i = next++;
      const t = process.hrtime.bigint();
      const status = await send(agent, urls[i]!, bodies[i], options.contentType ?? 'image/jpeg');
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  agent.destroy();
  return summarize(options.concurrency, started, latencies, statuses, cpu);
}

/** The same shape of measurement for in-process work (the raw sharp ceiling). */
export async function runInProcess(options: {
  concurrency: number;
  requests: number;
  input: (i: number) => Buffer;
  work: (input: Buffer) => Promise<unknown>;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const inputs = Array.from({ length: options.requests }, (_, i) => options.input(i));
  const cpu = cpuMeter();
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < options.requests) {
      const i = next++;
      const t = process.hrtime.bigint();
      await options.work(inputs[i] as Buffer);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return summarize(options.concurrency, started, latencies, {}, cpu);
}

/**
 * Open-loop load for the soak: starts a request every 1/rate seconds for `seconds` (so the
 * offered load stays fixed whatever the latency), at most `maxInFlight` at once. `sample` is
 * called every `sampleEveryMs` (e.g. to read the server's RSS).
 */
export async function runAtRate(options: {
  url: string;
  rate: number;
  seconds: number;
  body: (i: number) => Body;
  maxInFlight?: number;
  sampleEveryMs?: number;
  sample?: (elapsedSeconds: number) => void;
}): Promise<LoadResult & { offered: number; skipped: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight ?? 32 });
  const url = new URL(options.url);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const pending = new Set<Promise<void>>();
  let skipped = 0;
  const cpu = cpuMeter();
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const sampler = setInterval(() => options.sample?.(elapsed()), options.sampleEveryMs ?? 10_000);
  const total = Math.round(options.rate * options.seconds);
  for (let i = 0; i < total; i++) {
    const due = i / options.rate;
    if (due > elapsed()) await new Promise((r) => setTimeout(r, (due - elapsed()) * 1000));
    // Never pile up more than maxInFlight: past it the server is not keeping up, say so.
    if (pending.size >= (options.maxInFlight ?? 32)) {
      skipped++;
      continue;
    }
    const t = process.hrtime.bigint();
    const request = send(agent, url, options.body(i), 'image/jpeg').then(
      (status) => {
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        statuses[status] = (statuses[status] ?? 0) + 1;
      },
      () => {
        statuses[0] = (statuses[0] ?? 0) + 1;
      },
    );
    pending.add(request);
    void request.finally(() => pending.delete(request));
  }
  await Promise.all(pending);
  clearInterval(sampler);
  options.sample?.(elapsed());
  agent.destroy();
  return { ...summarize(0, started, latencies, statuses, cpu), offered: options.rate, skipped };
}
