import path from 'node:path';
import { memoryOf } from '../../test/support/server-process';
import { startChildServer } from './child-server';
import type { BodyParts } from './corpus';

/** Runs bench/naive-server.ts as its own process (through tsx), for its memory and latency. */
export async function startNaiveServer() {
  const server = await startChildServer(['--import', 'tsx', 'bench/naive-server.ts'], {
    cwd: path.join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '' },
  });
  return { ...server, memory: () => memoryOf(server.pid) };
}

// curl 7.88's form (`curl -F`): 24 dashes and 16 hex digits. The length matters: busboy's
// search skips ahead by the boundary's length, so the 19-character one used before 2026-12-02
// cost ~0.45 ms more per 1.5 MiB upload than curl's 40 or a browser's 38 (busboy alone).
const BOUNDARY = '------------------------5cb6a1142856eafe';
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

const PART_HEAD = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
);
const FORM_END = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

/** A multipart/form-data body with one file field `image`, as curl sends it, in parts. */
export const multipartParts = (file: BodyParts): BodyParts => [PART_HEAD, ...file, FORM_END];

/** The same body as one buffer, for `fetch`. */
export function multipart(file: Buffer): { data: Buffer; type: string } {
  return { data: Buffer.concat(multipartParts([file])), type: MULTIPART_TYPE };
}
