/**
 * Renders a saved benchmark's JSON again (`npx tsx bench/render.ts bench/results/<time>.json`):
 * rewrites its .md, latest.md and throughput.svg with the current report code, same data.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderChart, renderMarkdown, type Report } from './lib/report';

async function main() {
  const file = process.argv[2];
  if (!file?.endsWith('.json')) throw new Error('usage: tsx bench/render.ts <results>.json');
  const report = JSON.parse(await readFile(file, 'utf8')) as Report;
  const markdown = renderMarkdown(report);
  await writeFile(file.replace(/\.json$/, '.md'), markdown);
  await writeFile(path.join(path.dirname(file), 'latest.md'), markdown);
  await writeFile(path.join(path.dirname(file), 'throughput.svg'), renderChart(report.results));
  process.stdout.write(markdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`render failed: ${String(err)}\n`);
  process.exit(1);
});
