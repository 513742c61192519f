/**
 * Load for the container tests: `count` distinct uploads at `concurrency`, through nginx.
 * Prints a JSON summary and exits 1 if any upload failed. 200 counts as success: when a replica
 * dies after storing but before answering, nginx resends the upload to another replica, which
 * finds every variant already stored (idempotent, content-addressed) and answers 200.
 *   tsx test/e2e/load.ts http://127.0.0.1:8080 80 4
 */
import { jpeg, withComment } from '../support/images';

async function main() {
  const [url = 'http://127.0.0.1:8080', countText = '80', concurrencyText = '4'] =
    process.argv.slice(2);
  const count = Number(countText);
  // A 2-megapixel photo-like JPEG: each upload takes long enough (~0.2-0.5 s) for replicas to
  // be killed and stopped while requests are in flight.
  const photo = await jpeg(1800, 1200);
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const body = withComment(photo, `e2e ${started} ${i}`);
      try {
        const res = await fetch(`${url}/v1/images?widths=320,640,1280&format=webp`, {
          method: 'POST',
          headers: { 'Content-Type': 'image/jpeg' },
          body,
        });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status !== 201 && res.status !== 200)
          failures.push(`#${i}: ${res.status} ${(await res.text()).slice(0, 200)}`);
        else await res.arrayBuffer();
      } catch (err) {
        statuses.network = (statuses.network ?? 0) + 1;
        failures.push(`#${i}: ${String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
  process.stdout.write(
    `${JSON.stringify({ count, seconds: (Date.now() - started) / 1000, statuses, failures })}\n`,
  );
  process.exit(failures.length === 0 ? 0 : 1);
}

void main();
