import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const template = path.join(__dirname, '..', '..', 'nginx', 'templates', 'default.conf.template');

/**
 * The production nginx configuration, adapted to run on this host in front of one process. Each
 * substitution must match, so the benchmark fails loudly when the template changes under it.
 */
function adapt(text: string, upstreamPort: number, listenPort: number, dir: string): string {
  const substitutions: [RegExp, string][] = [
    // Docker's DNS and the compose service name: here a fixed local upstream.
    [/^resolver .*;$/m, ''],
    [/server app:3000 resolve/, `server 127.0.0.1:${upstreamPort}`],
    [/listen 8080;/, `listen 127.0.0.1:${listenPort};`],
    // Still one JSON line per request, as in production, but to a file.
    [/access_log \/dev\/stdout json_access;/, `access_log ${dir}/access.log json_access;`],
    [/\$\{NGINX_CLIENT_MAX_BODY_SIZE\}/g, '26m'],
    [/\$\{NGINX_PROXY_TIMEOUT\}/g, '35s'],
    // The service's own default: no origin allowed (src/config/env-schema.ts).
    [/\$\{CORS_ALLOWED_ORIGINS\}/g, ''],
    // The per-client rate limit would throttle the benchmark, which is a single client.
    [/rate=20r\/s/, 'rate=10000r/s'],
  ];
  const conf = substitutions.reduce((conf, [pattern, replacement]) => {
    if (!pattern.test(conf)) throw new Error(`nginx template changed: ${String(pattern)}`);
    return conf.replace(pattern, replacement);
  }, text);
  // A variable the template gained since: nginx would refuse it, or worse, take it literally.
  const left = /\$\{[A-Z0-9_]+\}/.exec(conf);
  if (left) throw new Error(`nginx template: ${left[0]} is not substituted here`);
  return conf;
}

export type Nginx = { url: string; stop: () => Promise<void> };

/** Starts Debian's nginx in front of the service, or says why it cannot. */
export async function startNginx(upstreamPort: number, listenPort = 4200): Promise<Nginx | string> {
  if (spawnSync('nginx', ['-v']).error) return 'nginx is not installed (apt-get install nginx)';
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-nginx-'));
  // Workers run as an unprivileged user when started by root: they must reach the temp paths.
  await chmod(dir, 0o777);
  for (const sub of ['body', 'proxy']) await mkdir(path.join(dir, sub), { mode: 0o777 });
  const server = adapt(await readFile(template, 'utf8'), upstreamPort, listenPort, dir);
  await writeFile(path.join(dir, 'server.conf'), server);
  await writeFile(
    path.join(dir, 'nginx.conf'),
    [
      // As the official image: one worker per CPU.
      'worker_processes auto;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 1024; }',
      'http {',
      `  client_body_temp_path ${dir}/body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      '  sendfile on;',
      `  include ${dir}/server.conf;`,
      '}',
    ].join('\n'),
  );
  const child = spawn('nginx', ['-c', `${dir}/nginx.conf`, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = `http://127.0.0.1:${listenPort}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${url}/nginx-health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`nginx did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
