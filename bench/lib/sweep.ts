import type { BodyParts } from './corpus';
import { startBareNode } from './bare-node';
import { inTurn } from './in-turn';
import { runInProcess, runLoad, type LoadResult } from './load';
import { startNginx } from './nginx';
import { processCpuSeconds } from './proc';
import { rawSharp } from './raw-sharp';
import { SCENARIOS as S, type TargetRound } from './report';
import { withService } from './service';
import { ROUTES } from './routes';

/**
 * The ceiling (raw sharp in-process, the same work as one request), and the built service into
 * the near-free sink, directly and through nginx (the production configuration), interleaved
 * level by level: this machine's speed drifts by ±10% over minutes, so a ratio must compare runs
 * seconds apart, not a ceiling measured before everything else.
 */
export async function runSweep(options: {
  levels: number[];
  requests: (concurrency: number) => number;
  moreTargetRounds: number;
  photo: (i: number) => BodyParts;
  /** The service's environment: the sink's S3 settings and any tuning under test. */
  env: Record<string, string>;
  log: (line: string) => void;
}) {
  const results: Record<string, LoadResult[]> = {};
  const add = (name: string, result: LoadResult) => (results[name] ??= []).push(result);
  const notes: string[] = [];
  let seed = 1e6;
  // The targets are at c=8: after the sweep, more rounds at that level alone, the order of the
  // ceiling and the service swapped each round, so the report can give medians of alternating
  // rounds (one level of 64 requests moved by +-0.15 on this machine).
  const targetRounds: TargetRound[] = [];
  const targetLevel = 8;
  // The floor beside them (bench/bare-server.ts): node:http doing the ceiling's work, the same
  // uploads, in each target round, so that a run says how far HTTP in Node alone is from sharp.
  const bare = await startBareNode();
  await withService(options.env, async (url, server) => {
    const nginx = await startNginx(Number(new URL(url).port));
    if (typeof nginx === 'string') notes.push(`nginx scenario skipped: ${nginx}`);
    const run = (c: number, base: string, route: string, pid = server.child.pid!) =>
      runLoad({
        url: base + route,
        concurrency: c,
        requests: options.requests(c),
        body: (i) => options.photo(seed + i),
        serverCpu: () => processCpuSeconds(pid),
      }).finally(() => (seed += 1e4));
    const floor = (c: number) => run(c, bare.url, '/', bare.pid);
    // Warmed as the service is by the levels below the target (its first requests compile and
    // start libvips' threads: 0.64 x raw sharp cold, against ~0.8 warm).
    await floor(4);
    const ceiling = (c: number, widths: number[]) =>
      runInProcess({
        concurrency: c,
        requests: options.requests(c),
        input: (i) => Buffer.concat(options.photo(i)),
        work: (x) => rawSharp(x, widths),
      });
    const { resize: one, images: three } = ROUTES;
    try {
      for (const c of options.levels) {
        // Each ceiling just before its service run: the pairs the targets compare are seconds
        // apart (until 2026-12-02, 07:47, the one-width service run, and nginx's when it ran,
        // sat between the three-width pair).
        const viaNginx = (route: string) =>
          typeof nginx === 'string' ? undefined : run(c, nginx.url, route);
        const rawOne = await ceiling(c, [800]);
        const serviceOne = await run(c, url, one);
        const bareOne = c === targetLevel ? await floor(c) : undefined;
        const nginxOne = await viaNginx(one);
        const rawThree = await ceiling(c, [320, 640, 1280]);
        const serviceThree = await run(c, url, three);
        const nginxThree = await viaNginx(three);
        // Added in the report's order (its tables and the chart list scenarios as added).
        add(S.rawOne, rawOne);
        add(S.rawThree, rawThree);
        add(S.serviceOne, serviceOne);
        if (nginxOne) add(S.nginxOne, nginxOne);
        add(S.serviceThree, serviceThree);
        if (nginxThree) add(S.nginxThree, nginxThree);
        if (bareOne) targetRounds.push({ rawOne, serviceOne, bareOne, rawThree, serviceThree });
        options.log(
          `c=${c}: raw sharp and service done (peak RSS so far ${server.memory().peakMiB.toFixed(0)} MiB)`,
        );
      }
    } finally {
      if (typeof nginx !== 'string') await nginx.stop();
    }
    for (let i = 0; i < options.moreTargetRounds; i++) {
      const c = targetLevel;
      // The sweep ran the ceiling first; these rounds start at the other end (the floor, then
      // the service), then take turns.
      const serviceFirst = i % 2 === 0;
      const [rawOne, serviceOne, bareOne] = await inTurn(
        serviceFirst,
        () => ceiling(c, [800]),
        () => run(c, url, one),
        () => floor(c),
      );
      const [rawThree, serviceThree] = await inTurn(
        serviceFirst,
        () => ceiling(c, [320, 640, 1280]),
        () => run(c, url, three),
      );
      targetRounds.push({ rawOne, serviceOne, bareOne, rawThree, serviceThree });
    }
    options.log(
      `c=${targetLevel}: ${targetRounds.length} rounds of raw sharp, the floor and the service done`,
    );
  }).finally(() => bare.stop());
  return { results, targetRounds, notes };
}
