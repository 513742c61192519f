/**
 * The upload page (examples/upload-page/) in headless Chromium against a running stack, from
 * another origin than the API's, so that CORS is really exercised:
 *   A. a 1600x1200 JPEG into widths 320,640 as jpeg: two variant figures whose images load at
 *      320 and 640 px, the upload progress bar at its end, the request id readable;
 *   B. a 27 MiB upload (over nginx's 26 MiB limit): the page shows 413 PAYLOAD_TOO_LARGE and a
 *      message, which it can read only if nginx adds the CORS headers to its own errors;
 *   C. a text file named x.jpg: the page shows 415 and the service's message;
 * and no uncaught error in the page's script. Serves the page itself on <pageOrigin>, takes a
 * full-page screenshot after each check into <screenshotDir>, prints PASS/FAIL lines and a JSON
 * summary; exits 1 if any check failed.
 *   tsx test/e2e/browser.ts http://127.0.0.1:18080 http://127.0.0.1:18090 reports/browser
 */
import type { Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { photo, withComment } from '../support/images';
import { servePage } from './page-server';

const OVERALL_MS = 120_000;
const ANSWER_MS = 45_000;
// nginx's client_max_body_size is 26m (docker-compose.yml): one MiB over it.
const TOO_LARGE_BYTES = 27 * 1024 * 1024;

interface Result {
  check: string;
  ok: boolean;
  detail: string;
}

interface Seen {
  check: string;
  text: string;
}

/** What the driver reads of an <img>; declared here because the typecheck has no DOM lib. */
interface LoadedImage {
  src: string;
  complete: boolean;
  naturalWidth: number;
}

class CheckFailure extends Error {}
const fail = (detail: string): never => {
  throw new CheckFailure(detail);
};

const delay = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** The service's JSON error of an answer the browser saw, whether or not the page could read it. */
async function errorBody(response: Response | undefined) {
  try {
    const body = (await response?.json()) as { error?: { code?: string; message?: string } };
    return body.error;
  } catch {
    return undefined;
  }
}

function corsNote(response: Response | undefined) {
  if (!response) return 'none reached it: refused, or blocked by CORS; see the console errors';
  const allowed = response.headers()['access-control-allow-origin'];
  return allowed
    ? `the answer was ${response.status()} with Access-Control-Allow-Origin: ${allowed}`
    : `the answer was ${response.status()} without Access-Control-Allow-Origin`;
}

/** Fills in the form on a fresh page, uploads, waits until the page shows the outcome. */
async function upload(page: Page, pageUrl: string, file: string, widths: string, format: string) {
  await page.goto(pageUrl);
  await page.getByTestId('widths').fill(widths);
  await page.getByTestId('format').selectOption(format);
  await page.getByTestId('file').setInputFiles(file);
  const seen = page
    .waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/v1/images'),
      { timeout: ANSWER_MS },
    )
    .catch(() => undefined);
  await page.getByTestId('upload').click();
  await page
    .locator('[data-testid=status]:is([data-state=done], [data-state=failed])')
    .waitFor({ timeout: ANSWER_MS })
    .catch(async () => {
      const status = await page.getByTestId('status').textContent();
      fail(`no outcome within ${ANSWER_MS / 1000} s; the page shows "${status}"`);
    });
  // The browser reports an answer before the page's load event; one blocked by CORS never.
  const response = await Promise.race([seen, delay(2000).then(() => undefined)]);
  return {
    state: await page.getByTestId('status').getAttribute('data-state'),
    status: (await page.getByTestId('status').textContent()) ?? '',
    response,
  };
}

/** The error the page shows, field by field ('' for a field it does not show). */
async function shownError(page: Page) {
  const text = async (testId: string) => {
    const field = page.getByTestId(testId);
    // count() first: textContent() of a missing element waits for it to appear.
    return (await field.count()) > 0 ? ((await field.textContent()) ?? '') : '';
  };
  return {
    message: await text('error-message'),
    code: await text('error-code'),
    status: await text('error-status'),
    requestId: await text('error-request-id'),
  };
}

/** B and C: the page must show the status, one of the codes, and the service's message. */
async function expectError(
  page: Page,
  pageUrl: string,
  file: string,
  status: number,
  codes: string[],
  message?: RegExp,
) {
  const outcome = await upload(page, pageUrl, file, '320,640', 'jpeg');
  const shown = await shownError(page);
  if (outcome.state !== 'failed') fail(`the page shows "${outcome.status}", not an error`);
  if (/could not be reached/.test(shown.message)) {
    fail(`the page could not read the answer (${corsNote(outcome.response)})`);
  }
  if (shown.status !== String(status)) fail(`status ${shown.status || 'none'}, not ${status}`);
  if (!codes.includes(shown.code)) fail(`code "${shown.code}", not ${codes.join(' or ')}`);
  if (!shown.message.trim()) fail('no message');
  if (message && !message.test(shown.message)) fail(`message "${shown.message}" is not ${message}`);
  const sent = await errorBody(outcome.response);
  if (sent?.message !== undefined && sent.message !== shown.message) {
    fail(`message "${shown.message}", but the service sent "${sent.message}"`);
  }
  return `${shown.status} ${shown.code}: "${shown.message}", request id ${shown.requestId || 'none'}`;
}

function parseArgs() {
  const [apiUrl, pageOrigin, screenshotDir] = process.argv.slice(2);
  if (!apiUrl || !pageOrigin || !screenshotDir) {
    process.stderr.write('usage: tsx test/e2e/browser.ts <apiUrl> <pageOrigin> <screenshotDir>\n');
    process.exit(2);
  }
  return { apiUrl, pageOrigin: new URL(pageOrigin), screenshotDir };
}

async function main() {
  const { apiUrl, pageOrigin, screenshotDir } = parseArgs();
  const started = Date.now();
  const pageUrl = new URL(`/?api=${encodeURIComponent(apiUrl)}`, pageOrigin).href;
  const results: Result[] = [];
  const consoleErrors: Seen[] = [];
  const failedRequests: Seen[] = [];
  const pageErrors: Seen[] = [];
  let current = 'start';

  const scratch = await mkdtemp(join(tmpdir(), 'upload-page-'));
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Set when the run is over (or out of time): a check still going then records nothing.
  let over = false;

  async function check(
    what: string,
    screenshot: string | undefined,
    run: () => string | Promise<string>,
  ) {
    if (over) return;
    current = what;
    let result: Result;
    try {
      result = { check: what, ok: true, detail: await run() };
    } catch (err) {
      const detail = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
      result = { check: what, ok: false, detail };
    }
    if (over) return;
    if (screenshot && page) {
      await page
        .screenshot({ path: join(screenshotDir, screenshot), fullPage: true, timeout: 10_000 })
        .catch((err: unknown) =>
          process.stdout.write(`(no screenshot ${screenshot}: ${String(err)})\n`),
        );
    }
    results.push(result);
    process.stdout.write(
      result.ok ? `PASS ${what} (${result.detail})\n` : `FAIL ${what}: ${result.detail}\n`,
    );
  }

  const overall = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not done within ${OVERALL_MS / 1000} s`)),
      OVERALL_MS,
    );
  });

  async function run() {
    await mkdir(screenshotDir, { recursive: true });
    // Grain makes it compress as a camera photo does; the comment makes every run a new upload
    // (another hash), so the service makes the variants rather than finding them stored.
    const jpeg = withComment(
      await (await photo(1600, 1200, { grain: 24 })).jpeg({ quality: 85 }).toBuffer(),
      `test/e2e/browser.ts ${started}`,
    );
    const photoFile = join(scratch, 'photo.jpg');
    const tooLargeFile = join(scratch, 'too-large.jpg');
    const notImageFile = join(scratch, 'x.jpg');
    await writeFile(photoFile, jpeg);
    // A real JPEG at the start, so only the size can be the reason for the refusal.
    const tooLarge = Buffer.alloc(TOO_LARGE_BYTES);
    jpeg.copy(tooLarge);
    await writeFile(tooLargeFile, tooLarge);
    await writeFile(notImageFile, 'this is plain text, not an image\n');

    server = await servePage(pageOrigin);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // The network here is closed: these keep Chromium from calling Google on its own.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // check() screenshots the page it finds in `page`; the checks use `tab`, known to be set.
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page = tab;
    tab.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push({ check: current, text: msg.text() });
    });
    tab.on('pageerror', (err) => pageErrors.push({ check: current, text: String(err) }));
    tab.on('requestfailed', (req) => {
      const text = `${req.method()} ${req.url()}: ${req.failure()?.errorText ?? 'failed'}`;
      failedRequests.push({ check: current, text });
    });

    await check(
      'A: a 1600x1200 JPEG becomes 320 and 640 px jpeg variants',
      'upload-page-variants.png',
      async () => {
        const outcome = await upload(tab, pageUrl, photoFile, '320,640', 'jpeg');
        if (outcome.state !== 'done') {
          const shown = await shownError(tab);
          fail(`the page shows "${outcome.status}" ${JSON.stringify(shown)}`);
        }
        const figures = await tab.getByTestId('variant').count();
        if (figures !== 2) fail(`${figures} variant figures, not 2`);
        const images = tab.getByTestId('variants').locator('img');
        const count = await images.count();
        if (count !== 2) {
          fail(`${count} of 2 variants have an image (no url: is S3_PUBLIC_BASE_URL set?)`);
        }
        // `complete` is true for a broken image too; naturalWidth tells them apart below.
        await tab.waitForFunction(
          `[...document.querySelectorAll('[data-testid=variants] img')].every((i) => i.complete)`,
          undefined,
          { timeout: 20_000 },
        );
        const loaded = await images.evaluateAll((list: LoadedImage[]) =>
          list.map(({ src, complete, naturalWidth }) => ({ src, complete, naturalWidth })),
        );
        const broken = loaded.filter((i) => !i.complete || i.naturalWidth === 0);
        if (broken.length > 0) fail(`not loaded: ${broken.map((i) => i.src).join(', ')}`);
        const widths = loaded.map((i) => i.naturalWidth).sort((a, b) => a - b);
        if (widths.join(',') !== '320,640') fail(`images ${widths.join(' and ')} px wide`);
        const value = Number(await tab.getByTestId('progress').getAttribute('value'));
        const max = Number(await tab.getByTestId('progress').getAttribute('max'));
        if (!(max > 0 && value === max)) fail(`the progress bar stopped at ${value} of ${max}`);
        const requestId = (await tab.getByTestId('request-id').textContent()) ?? '';
        if (!requestId || requestId === 'not exposed') {
          fail('no request id shown (X-Request-Id not in Access-Control-Expose-Headers?)');
        }
        return `HTTP ${outcome.response?.status() ?? '?'}, ${widths.join(' and ')} px loaded, ${max} bytes sent, request id ${requestId}`;
      },
    );

    await check('B: a 27 MiB upload shows 413 PAYLOAD_TOO_LARGE', 'upload-page-413.png', () =>
      // nginx's own message (its 26m limit), not the app's: the 413 must come from nginx, whose
      // errors carry CORS headers only through the template's map.
      expectError(tab, pageUrl, tooLargeFile, 413, ['PAYLOAD_TOO_LARGE'], /larger than 26m/),
    );

    await check(
      'C: a text file named x.jpg shows 415 and the service message',
      'upload-page-415.png',
      () =>
        expectError(tab, pageUrl, notImageFile, 415, [
          'UNSUPPORTED_MEDIA_TYPE',
          'UNSUPPORTED_IMAGE_FORMAT',
        ]),
    );

    await check('no uncaught error in the page', undefined, () => {
      if (pageErrors.length > 0) fail(pageErrors.map((e) => `[${e.check}] ${e.text}`).join('; '));
      return 'none';
    });
  }

  try {
    await Promise.race([run(), overall]);
  } catch (err) {
    const detail = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    results.push({ check: `the run (during "${current}")`, ok: false, detail });
    process.stdout.write(`FAIL the run (during "${current}"): ${detail}\n`);
  } finally {
    over = true;
    clearTimeout(timer);
    // A browser that does not close must not keep the run alive: the exit below ends it.
    await Promise.race([browser?.close(), delay(10_000)]).catch(() => undefined);
    server?.closeAllConnections();
    await new Promise((closed) => (server ? server.close(closed) : closed(undefined)));
    await rm(scratch, { recursive: true, force: true });
  }

  for (const e of consoleErrors) process.stdout.write(`console error [${e.check}]: ${e.text}\n`);
  for (const e of failedRequests) process.stdout.write(`request failed [${e.check}]: ${e.text}\n`);
  const failed = results.filter((r) => !r.ok).length;
  const summary = {
    api: apiUrl,
    page: pageUrl,
    seconds: (Date.now() - started) / 1000,
    passed: results.length - failed,
    failed,
    results,
    consoleErrors,
    failedRequests,
    pageErrors,
    screenshots: screenshotDir,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();
