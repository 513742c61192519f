import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface BuildInfo {
  version: string;
  /** The commit the build came from, or "unknown" (e.g. `npm run dev` outside a build). */
  revision: string;
}

/**
 * Build metadata is baked into the artifact at build time (`npm run build` writes
 * dist/build-info.json), not read from the environment: which code runs is a property of the
 * build, not of the release config (twelve-factor V).
 */
export function readBuildInfo(dir: string = __dirname): BuildInfo {
  try {
    const info = JSON.parse(
      readFileSync(path.join(dir, 'build-info.json'), 'utf8'),
    ) as Partial<BuildInfo>;
    return { version: info.version ?? 'unknown', revision: info.revision ?? 'unknown' };
  } catch {
    const pkg = JSON.parse(readFileSync(path.join(dir, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return { version: pkg.version ?? 'unknown', revision: 'unknown' };
  }
}
