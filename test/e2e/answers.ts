/**
 * For the container tests: `count` distinct small uploads (two variants each) at `concurrency`
 * through nginx, and what came back. Prints a JSON summary: answers by status and error code,
 * and every answer that is not a 2xx nor `expect` (a status and code, e.g. 503:STORAGE_UNAVAILABLE)
 * in the service's JSON error shape with Retry-After. Exits 1 if there is any.
 *   tsx test/e2e/answers.ts http://127.0.0.1:8080 12 4 503:STORAGE_UNAVAILABLE
 */
import { jpeg, withComment } from '../support/images';

async function main() {
  const [url = 'http://127.0.0.1:8080', countText = '12', concurrencyText = '4', expect = ''] =
    process.argv.slice(2);
  const [expectedStatus, expectedCode] = expect.split(':');
  const photo = await jpeg(640, 480);
  const started = Date.now();
  const tally: Record<string, number> = {};
  const unexpected: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < Number(countText); i = next++) {
      const res = await fetch(`${url}/v1/images?widths=32,64`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg' },
        body: withComment(photo, `answers ${started} ${i}`),
      });
      const text = await res.text();
      let code = '';
      if (res.status >= 400) {
        try {
          code = (JSON.parse(text) as { error: { code: string } }).error.code;
        } catch {
          code = `not JSON: ${text.slice(0, 60)}`;
        }
      }
      const key = `${res.status}${code ? ` ${code}` : ''}`;
      tally[key] = (tally[key] ?? 0) + 1;
      const ok =
        res.ok ||
        (String(res.status) === expectedStatus &&
          code === expectedCode &&
          res.headers.get('retry-after') !== null);
      if (!ok) unexpected.push(`#${i}: ${key} retry-after=${res.headers.get('retry-after')}`);
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
  process.stdout.write(
    `${JSON.stringify({ seconds: (Date.now() - started) / 1000, tally, unexpected })}\n`,
  );
  process.exit(unexpected.length === 0 ? 0 : 1);
}

void main();
