/**
 * Overload through nginx, for the container tests: a storm of slow jobs (12 MP JPEG -> 1600 px
 * AVIF by default: ~1.5 s of a core each, seconds of wall time when 12 share 2 cores), more than
 * the stack can hold (replicas x (slots + queue)), all sent at once, while small
 * requests go one at a time; then one more small request after the storm. Prints a JSON summary;
 * exits 1 if any answer breaks the overload contract:
 *   - storm answers: 200/201, or JSON 503 SERVER_BUSY with Retry-After, or JSON 504
 *     PROCESSING_TIMEOUT, all in the service's error shape (never HTML, never nginx's 502);
 *   - every small request is answered, served or shed, within SMALL_LIMIT_MS;
 *   - the first request after the storm succeeds.
 *   tsx test/e2e/storm.ts http://127.0.0.1:8080 40 ['widths=2400&format=avif']
 */
import { withComment, jpeg } from '../support/images';

const SMALL_LIMIT_MS = 2000;
const SMALL_EVERY_MS = 250;

interface Answer {
  status: number | 'network';
  ms: number;
  json: boolean;
  code?: string;
  retryAfter: string | null;
  requestId?: string;
}

async function send(url: string, body: Buffer): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body,
      signal: AbortSignal.timeout(120_000),
    });
    const type = res.headers.get('content-type') ?? '';
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    const answer: Answer = {
      status: res.status,
      ms: Date.now() - started,
      json: type.startsWith('application/json'),
      retryAfter: res.headers.get('retry-after'),
    };
    if (answer.json) {
      const parsed = JSON.parse(text) as { error?: { code: string; requestId: string } };
      answer.code = parsed.error?.code;
      answer.requestId = parsed.error?.requestId;
    } else if (res.status >= 400) {
      answer.code = `non-JSON: ${text.slice(0, 80)}`;
    }
    return answer;
  } catch (err) {
    return {
      status: 'network',
      ms: Date.now() - started,
      json: false,
      retryAfter: null,
      code: String(err),
    };
  }
}

/** What the contract allows a storm request to get. */
function stormProblem(a: Answer): string | undefined {
  if (a.status === 200 || a.status === 201) return undefined;
  if (!a.json || !a.requestId)
    return `${a.status} not in the service's JSON error shape (${a.code})`;
  if (a.status === 503 && a.code === 'SERVER_BUSY' && a.retryAfter) return undefined;
  if (a.status === 504 && a.code === 'PROCESSING_TIMEOUT') return undefined;
  return `${a.status} ${a.code} retry-after=${a.retryAfter}`;
}

function smallProblem(a: Answer): string | undefined {
  if (a.ms > SMALL_LIMIT_MS) return `answered after ${a.ms} ms`;
  if (a.status === 200) return undefined;
  if (a.status === 503 && a.json && a.code === 'SERVER_BUSY' && a.retryAfter) return undefined;
  return `${a.status} ${a.code}`;
}

const tally = (answers: Answer[]) =>
  answers.reduce<Record<string, number>>((acc, a) => {
    const key = `${a.status}${a.code ? ` ${a.code}` : ''}`;
    acc[key] = (acc[key] ?? 0) + 1;
    return acc;
  }, {});

async function main() {
  const [base = 'http://127.0.0.1:8080', stormText = '40', slowQuery = 'widths=1600&format=avif'] =
    process.argv.slice(2);
  const started = Date.now();
  const photo = await jpeg(4000, 3000);
  const tiny = await jpeg(320, 240);
  const storm = Array.from({ length: Number(stormText) }, (_, i) =>
    send(`${base}/v1/resize?${slowQuery}`, withComment(photo, `storm ${started} ${i}`)),
  );
  let stormDone = false;
  const allStorm = Promise.all(storm).finally(() => (stormDone = true));
  const small: Answer[] = [];
  // Small requests while the storm lasts (at least a few, at most 60 s of them).
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; (!stormDone || i < 4) && i < 60_000 / SMALL_EVERY_MS; i++) {
    const t = Date.now();
    small.push(
      await send(`${base}/v1/resize?widths=100`, withComment(tiny, `small ${started} ${i}`)),
    );
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, SMALL_EVERY_MS - (Date.now() - t))),
    );
  }
  const stormAnswers = await allStorm;
  const after = await send(`${base}/v1/resize?widths=100`, withComment(tiny, `after ${started}`));
  const problems = [
    ...stormAnswers.map((a, i) => [`storm #${i}`, stormProblem(a)]),
    ...small.map((a, i) => [`small #${i}`, smallProblem(a)]),
    ['after the storm', after.status === 200 ? undefined : `${after.status} ${after.code}`],
  ]
    .filter(([, p]) => p)
    .map(([who, p]) => `${who}: ${p}`);
  const summary = {
    seconds: (Date.now() - started) / 1000,
    storm: tally(stormAnswers),
    stormMaxMs: Math.max(...stormAnswers.map((a) => a.ms)),
    small: tally(small),
    smallMaxMs: Math.max(...small.map((a) => a.ms)),
    after: `${after.status} in ${after.ms} ms`,
    problems,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}

void main();
