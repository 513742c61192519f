// Writes deploy/k8s/monitoring/ from deploy/prometheus/ (scripts/monitoring/k8s-monitoring.ts).
//   npx tsx scripts/monitoring/generate-k8s.ts           # rewrite the generated files
//   npx tsx scripts/monitoring/generate-k8s.ts --check   # exit 1 if any is stale
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OUT_DIR, ROOT, render } from './k8s-monitoring';

function main() {
  const check = process.argv.includes('--check');
  const files = render();
  let stale = 0;
  mkdirSync(path.join(ROOT, OUT_DIR), { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(ROOT, file);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    if (current === content) {
      console.log(`up to date: ${file}`);
    } else if (check) {
      console.log(`STALE: ${file}`);
      stale++;
    } else {
      writeFileSync(target, content);
      console.log(`wrote: ${file}`);
    }
  }
  if (stale > 0) {
    console.log('run `npx tsx scripts/monitoring/generate-k8s.ts` and commit the result');
    process.exit(1);
  }
}

main();
