import { variantOf } from './corpus';
import { multipart, startNaiveServer } from './naive';
import type { Report } from './report';
import { withService } from './service';
import { ROUTES } from './routes';

type Memory = Report['memory']['service'];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function send(url: string, file: Buffer) {
  const { data, type } = multipart(file);
  return fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body: data }).then(
    (r) => r.status,
  );
}

/**
 * 16 concurrent uploads of `big` at once, then RSS twice: 3 s later, idle, and after 10 ordinary
 * uploads. The bodies are garbage once answered, but V8 frees them only when it next collects,
 * which an idle process does not do; further traffic makes it collect.
 */
async function burst(
  url: string,
  big: Buffer,
  ordinary: Buffer,
  rss: () => { peakMiB: number; rssMiB: number },
): Promise<Memory> {
  const before = rss().rssMiB;
  const statuses = await Promise.all(
    Array.from({ length: 16 }, (_, i) => send(url, variantOf(big, i))),
  );
  await pause(3000);
  const { peakMiB, rssMiB: idleMiB } = rss();
  for (let i = 0; i < 10; i++) await send(url, variantOf(ordinary, 6e6 + i));
  return { statuses, before, peakMiB, idleMiB, rssMiB: rss().rssMiB };
}

/** The same multipart burst to the service's /v1/images and to the naive baseline. */
export async function measureMemory(
  corpus: { jpeg20mb: Buffer; photo12mp: Buffer },
  /** The service's environment: its S3 settings and any tuning under test. */
  env: Record<string, string>,
): Promise<Report['memory']> {
  const service = await withService(env, (url, server) =>
    burst(`${url}${ROUTES.images}`, corpus.jpeg20mb, corpus.photo12mp, () => server.memory()),
  );
  const naive = await startNaiveServer();
  try {
    const measured = await burst(
      `${naive.url}/resize?widths=320,640,1280`,
      corpus.jpeg20mb,
      corpus.photo12mp,
      () => naive.memory(),
    );
    return { service, naive: measured, uploadBytes: corpus.jpeg20mb.length };
  } finally {
    await naive.stop();
  }
}
