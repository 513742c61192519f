/**
 * Steady load for the release tests (test/e2e/swarm-release.sh): small `/v1/resize` requests
 * through nginx at a fixed total rate, below nginx's per-client limit (20 r/s), until a stop file
 * appears (or `maxSeconds` pass); every 5th request is a `GET /healthz` that records which
 * release answered. Prints a JSON summary; exits 1 if any request failed (anything but 200, or
 * no answer) or none was sent.
 *   tsx test/e2e/steady-load.ts <url> <stop file> [requests/s = 12] [concurrency = 4] [maxSeconds = 300]
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';

async function main() {
  const [url, stopFile, rateText = '12', concurrencyText = '4', maxText = '300'] =
    process.argv.slice(2);
  if (!url || !stopFile)
    throw new Error('usage: steady-load.ts <url> <stop file> [rps] [c] [max s]');
  const rate = Number(rateText);
  const concurrency = Number(concurrencyText);
  const until = Date.now() + Number(maxText) * 1000;
  // A small photo-like JPEG: each request is a real decode, resize and encode (a few ms).
  const photo = await sharp({
    create: {
      width: 320,
      height: 240,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();

  const statuses: Record<string, number> = {};
  const revisions: Record<string, number> = {};
  const failures: string[] = [];
  const latencies: number[] = [];
  let sent = 0;
  const started = Date.now();
  const count = (key: string) => (statuses[key] = (statuses[key] ?? 0) + 1);

  const one = async (n: number) => {
    const health = n % 5 === 4;
    const t0 = Date.now();
    try {
      const res = health
        ? await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(40_000) })
        : await fetch(`${url}/v1/resize?widths=64&format=jpeg`, {
            method: 'POST',
            headers: { 'Content-Type': 'image/jpeg' },
            body: photo,
            signal: AbortSignal.timeout(40_000),
          });
      const body = Buffer.from(await res.arrayBuffer());
      latencies.push(Date.now() - t0);
      count(String(res.status));
      if (res.status !== 200) {
        failures.push(
          `${new Date().toISOString()} #${n} ${res.status} ${body.toString().slice(0, 160)}`,
        );
      } else if (health) {
        const { revision } = JSON.parse(body.toString()) as { revision: string };
        revisions[revision] = (revisions[revision] ?? 0) + 1;
      }
    } catch (err) {
      count('network');
      failures.push(`${new Date().toISOString()} #${n} ${String(err)}`);
    }
  };

  // Each worker keeps its share of the rate: one request per `interval`, whatever its latency
  // (a slow answer delays only that worker's next request).
  const interval = (1000 * concurrency) / rate;
  const worker = async (w: number) => {
    await sleep((w * interval) / concurrency);
    while (!existsSync(stopFile) && Date.now() < until) {
      const next = Date.now() + interval;
      await one(sent++);
      await sleep(Math.max(0, next - Date.now()));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));

  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const summary = {
    seconds: (Date.now() - started) / 1000,
    requests: sent,
    failed: failures.length,
    statuses,
    revisions,
    latencyMs: { p50: pct(0.5), p99: pct(0.99), max: latencies.at(-1) },
    failures: failures.slice(0, 20),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(failures.length === 0 && sent > 0 ? 0 : 1);
}

void main();
