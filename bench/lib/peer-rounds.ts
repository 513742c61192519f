import type { BodyParts } from './corpus';
import { inTurn } from './in-turn';
import { startIpx } from './ipx-peer';
import { runLoad } from './load';
import { MULTIPART_TYPE, multipartParts } from './naive';
import { processCpuSeconds } from './proc';
import type { PeerRound } from './report';
import { withService } from './service';
import { startSinkS3 } from './sink-s3';
import { ROUTES } from './routes';

/**
 * The peer: unjs/ipx in its own process against the service's /v1/resize with a multipart
 * upload (as a client sends it), the same resize (12 MP -> 800 px JPEG q80, progressive),
 * rounds alternating level by level; the report compares them within each round.
 */
export async function runPeerRounds(options: {
  rounds: number;
  levels: number[];
  requests: (concurrency: number) => number;
  photo: (i: number) => BodyParts;
  serviceEnv: Record<string, string>;
  log: (line: string) => void;
}): Promise<PeerRound[]> {
  const { photo } = options;
  const ipx = await startIpx((i) => Buffer.concat(photo(i)), 64);
  let sink: Awaited<ReturnType<typeof startSinkS3>> | undefined;
  const peer: PeerRound[] = [];
  try {
    sink = await startSinkS3();
    await withService(
      { S3_ENDPOINT: sink.endpoint, S3_BUCKET: 'bench', ...options.serviceEnv },
      async (url, server) => {
        let from = 5e6;
        for (let round = 0; round < options.rounds; round++) {
          for (const c of options.levels) {
            const requests = options.requests(c);
            // Odd rounds run the service first: neither side always follows the other.
            const [ipxRun, serviceRun] = await inTurn(
              round % 2 === 1,
              () =>
                runLoad({
                  url: ipx.url,
                  path: (i) => ipx.path(from + i),
                  concurrency: c,
                  requests,
                  serverCpu: () => processCpuSeconds(ipx.pid),
                }),
              () =>
                runLoad({
                  url: `${url}${ROUTES.resize}`,
                  concurrency: c,
                  requests,
                  body: (i) => multipartParts(photo(from + i)),
                  contentType: MULTIPART_TYPE,
                  serverCpu: () => processCpuSeconds(server.child.pid!),
                }),
            );
            from += 1e4;
            peer.push({ round, concurrency: c, ipx: ipxRun, service: serviceRun });
          }
          options.log(`peer round ${round + 1}/${options.rounds} done`);
        }
      },
    );
  } finally {
    await ipx.stop();
    await sink?.close();
  }
  return peer;
}
