import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The documentation is checked like code: every relative link resolves (from the folder of the
// page it is in, #fragments included), every `npm run` script exists, and every file and
// function the architecture tour names exists, so a rename that forgets the docs fails here.

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  version: string;
  scripts: Record<string, string>;
};

/** README.md and every page in docs/, as paths from the repository root. */
const pages = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];

/** The text outside fenced code blocks (a `](` in a code sample is not a link). */
const prose = (markdown: string) => markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of prose(read(file)).matchAll(/^#{1,6} +(.+)$/gm)) {
    const base = slug(heading!);
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

interface Link {
  page: string;
  target: string;
  /** The linked file, from the repository root ('' for the page itself). */
  file: string;
  fragment?: string;
}

const links: Link[] = pages.flatMap((page) =>
  [...prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => {
      const [file = '', fragment] = target.split('#');
      const resolved = file === '' ? page : path.posix.join(path.posix.dirname(page), file);
      return { page, target, file: resolved, fragment };
    }),
);

describe('README and docs/', () => {
  it('link only to files and folders that exist, relative to the page', () => {
    expect(pages.length).toBeGreaterThan(6);
    expect(links.length).toBeGreaterThan(100);
    const broken = links.filter((l) => !existsSync(path.join(root, l.file)));
    expect(broken.map((l) => `${l.page}: ${l.target}`)).toEqual([]);
  });

  it('link only to headings that exist', () => {
    const toHeadings = links.filter((l) => l.fragment !== undefined && l.file.endsWith('.md'));
    expect(toHeadings.length).toBeGreaterThan(20);
    const broken = toHeadings.filter(
      (l) => existsSync(path.join(root, l.file)) && !anchorsOf(l.file).has(l.fragment!),
    );
    expect(broken.map((l) => `${l.page}: ${l.target}`)).toEqual([]);
  });

  it('name only npm scripts that exist', () => {
    const scripts = Object.keys(packageJson.scripts);
    const used = pages.flatMap((page) =>
      [...read(page).matchAll(/npm run ([a-z:-]+)/g)].map((m) => `${page}: ${m[1]!}`),
    );
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((u) => !scripts.includes(u.split(': ')[1]!))).toEqual([]);
  });

  // A version bump (a breaking one above all, while 0.x) says what changed and how to upgrade.
  it('CHANGELOG.md has a section for the package version, the newest first', () => {
    const sections = [...read('CHANGELOG.md').matchAll(/^## (\S+)/gm)].map((m) => m[1]);
    expect(sections[0]).toBe(packageJson.version);
  });
});

/**
 * Whether `source` defines `name`: a function, a const or let, a method (`name(...) {`,
 * `async name<T>(`, but not a call statement ending in `;`) or an object property (`name:`).
 */
function defines(source: string, name: string): boolean {
  const n = name.replace(/\$/g, '\\$');
  return [
    new RegExp(`\\bfunction\\s+${n}\\s*[<(]`),
    new RegExp(`\\b(?:const|let)\\s+${n}\\s*[=:]`),
    new RegExp(
      `^\\s*(?:(?:async|static|private|public|protected|get|set)\\s+)*${n}\\s*(?:<[^>\\n]*>)?\\((?![^\\n]*;\\s*$)`,
      'm',
    ),
    new RegExp(`^\\s*(?:readonly\\s+)?${n}\\??\\s*:`, 'm'),
  ].some((re) => re.test(source));
}

describe('docs/architecture.md', () => {
  const tour = prose(read('docs/architecture.md'));
  // "[`src/x.ts`](../src/x.ts) `a()`, `b()`": a linked file, then the functions defined in it.
  const pins = [
    ...tour.matchAll(
      /\[`([^`]+)`\]\(\.\.\/([^)#\s]+)\)((?:\s*(?:,|and|or)?\s*`[A-Za-z_$][\w$]*\(\)`)+)/g,
    ),
  ].map((m) => ({
    text: m[1]!,
    file: m[2]!,
    names: [...m[3]!.matchAll(/`([A-Za-z_$][\w$]*)\(\)`/g)].map((n) => n[1]!),
  }));

  it('names files by their path from the repository root, linked from docs/', () => {
    const fileLinks = [...tour.matchAll(/\[`([^`]+)`\]\(\.\.\/([^)#\s]+)\)/g)];
    expect(fileLinks.length).toBeGreaterThan(40);
    expect(fileLinks.filter((m) => m[1] !== m[2]).map((m) => m[0])).toEqual([]);
  });

  it('names only functions that are defined in the file named before them', () => {
    expect(pins.length).toBeGreaterThan(40);
    const missing = pins.flatMap(({ file, names }) => {
      if (!existsSync(path.join(root, file))) return [`${file} (no such file)`];
      const source = read(file);
      return names.filter((name) => !defines(source, name)).map((name) => `${file}: ${name}()`);
    });
    expect(missing).toEqual([]);
  });

  it('names every function next to its file at least once', () => {
    const pinned = new Set(pins.flatMap((p) => p.names));
    const mentioned = [...tour.matchAll(/`([A-Za-z_$][\w$]*)\(\)`/g)].map((m) => m[1]!);
    expect(mentioned.filter((name) => !pinned.has(name))).toEqual([]);
  });

  it('tells definitions from other text', () => {
    const source = [
      'export function admit(capacity: Capacity) {',
      'export const busy = (message: string) =>',
      '  async runJob<T>(work: () => Promise<T>): Promise<T> {',
      '  reserveUploadMemory: (bytes: number) =>',
      '  readmit();',
      '  release();',
    ].join('\n');
    for (const name of ['admit', 'busy', 'runJob', 'reserveUploadMemory'])
      expect(defines(source, name)).toBe(true);
    for (const name of ['release', 'readmit', 'mit', 'admitted'])
      expect(defines(source, name)).toBe(false);
  });
});
