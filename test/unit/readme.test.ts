import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('links only to files and folders that exist', () => {
    const links = [...readme.matchAll(/\]\(([^)#\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(20);
    expect(links.filter((link) => !existsSync(path.join(root, link)))).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: object })
        .scripts,
    );
    const used = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!);
    expect(used.filter((name) => !scripts.includes(name))).toEqual([]);
  });
});
