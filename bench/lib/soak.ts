import type { BodyParts } from './corpus';
import { median, runAtRate, type LoadResult } from './load';
import type { Report } from './report';
import { withService } from './service';
import { ROUTES } from './routes';

/**
 * /v1/images at ~70% of the throughput the sweep measured, RSS sampled as it goes. The rate is
 * the median of the levels from c=4 up, not the best: a rate taken from the machine's fastest
 * minute overloaded the soak of 2026-12-02 once the machine slowed (docs/performance.md).
 */
export async function soak(options: {
  seconds: number;
  sweep: LoadResult[];
  env: Record<string, string>;
  photo: (i: number) => BodyParts;
}): Promise<NonNullable<Report['soak']>> {
  const busy = options.sweep.filter((r) => r.concurrency >= 4);
  const rate = Math.round(0.7 * median(busy.map((r) => r.throughput)) * 10) / 10;
  return withService(options.env, async (url, server) => {
    const rss: [number, number][] = [];
    const load = await runAtRate({
      url: `${url}${ROUTES.images}`,
      rate,
      seconds: options.seconds,
      body: (i) => options.photo(5e6 + i),
      sample: (t) => rss.push([Math.round(t), Math.round(server.memory().rssMiB)]),
    });
    return { seconds: options.seconds, load, rss, peakMiB: server.memory().peakMiB };
  });
}
