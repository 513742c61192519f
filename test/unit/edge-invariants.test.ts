import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { errorCodes } from '../../src/errors/app-error';
import { EXPOSED_HEADERS } from '../../src/http/cors';
import { durationMs, parseEnvFile } from '../support/config-files';

// The promises nginx and the app keep only together, checked on the files that configure them:
// the template nginx renders, the compose file that sets its variables, and every deploy's app
// config. The container tests prove the same against the running stack.

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const template = read('nginx/templates/default.conf.template');
const compose = read('docker-compose.yml');
const host = { cpus: 2, readFile: () => '' };

const MARGIN_MS = 5000;

describe('nginx and the app: timeouts', () => {
  const proxyTimeout = /NGINX_PROXY_TIMEOUT: (\S+)/.exec(compose)?.[1];

  it('nginx waits for a replica with the one NGINX_PROXY_TIMEOUT, for sending and reading', () => {
    expect(proxyTimeout).toBeDefined();
    expect(template).toMatch(/^\s*proxy_send_timeout \$\{NGINX_PROXY_TIMEOUT\};/m);
    expect(template).toMatch(/^\s*proxy_read_timeout \$\{NGINX_PROXY_TIMEOUT\};/m);
  });

  it.each(['deploy/app.env', 'deploy/staging/app.env', 'deploy/production/app.env'])(
    '%s: the app answers (REQUEST_DEADLINE_MS) at least 5 s before nginx gives up',
    (file) => {
      const config = loadConfig(parseEnvFile(read(file)), host);
      expect(durationMs(proxyTimeout ?? '')).toBeGreaterThanOrEqual(
        config.jobs.requestDeadlineMs + MARGIN_MS,
      );
      expect(config.jobs.maxQueueWaitMs).toBeLessThanOrEqual(config.jobs.requestDeadlineMs);
    },
  );

  it('the default deadline keeps the invariant too', () => {
    const config = loadConfig({}, host);
    expect(durationMs(proxyTimeout ?? '')).toBeGreaterThanOrEqual(
      config.jobs.requestDeadlineMs + MARGIN_MS,
    );
  });
});

describe('nginx and the app: shedding and retries', () => {
  const directive = (name: string) =>
    new RegExp(`^\\s*${name} ([^;]+);`, 'm').exec(template)?.[1]?.split(/\s+/) ?? [];

  it('an answer from a replica, a 503 included, is never a failure nor resent elsewhere', () => {
    const nextUpstream = directive('proxy_next_upstream');
    expect(nextUpstream).toEqual(['error', 'timeout', 'non_idempotent']);
    expect(template).not.toMatch(/proxy_intercept_errors on/);
  });

  it('a failed replica rests briefly, and a request is tried on at most 3 replicas', () => {
    expect(template).toMatch(/server app:3000 resolve max_fails=1 fail_timeout=5s;/);
    expect(directive('proxy_next_upstream_tries')).toEqual(['3']);
  });
});

describe("nginx's own errors: the service's JSON shape and error table", () => {
  const bodies = [...template.matchAll(/^\s*return (\d{3}) '(\{.*\})\\n';$/gm)].map((m) => ({
    status: Number(m[1]),
    body: JSON.parse(
      (m[2] ?? '').replace(/\$req_id/g, 'id-1').replace(/\$\{NGINX_CLIENT_MAX_BODY_SIZE\}/g, '26m'),
    ) as { error: { code: string; message: string; requestId: string } },
  }));
  const errorPages = [
    ...template.matchAll(/^\s*error_page ([\d ]+?) (?:=(\d{3}) )?(?:@|\/_edge\/)(\w+);$/gm),
  ];

  it('answers every status nginx can produce itself', () => {
    const handled = errorPages.flatMap((m) => (m[1] ?? '').split(' ').map(Number));
    for (const status of [400, 404, 408, 413, 414, 429, 494, 500, 502, 503, 504]) {
      expect(handled).toContain(status);
    }
  });

  it('every body is JSON with a code from the error table, its status, and the request id', () => {
    expect(bodies.length).toBeGreaterThanOrEqual(8);
    for (const { status, body } of bodies) {
      expect(Object.keys(body)).toEqual(['error']);
      expect(Object.keys(body.error)).toEqual(['code', 'message', 'requestId']);
      const spec = errorCodes[body.error.code as keyof typeof errorCodes];
      expect(spec.status).toBe(status);
      expect(body.error.requestId).toBe('id-1');
    }
  });

  it('every error_page leads to a location that answers with its own status', () => {
    for (const [, , changedTo, name] of errorPages) {
      const location = new RegExp(`location (?:@|= \\/_edge\\/)${name} \\{([^}]*)\\}`).exec(
        template,
      )?.[1];
      expect(location).toBeDefined();
      expect(location).toMatch(/default_type application\/json;/);
      expect(location).toMatch(/add_header X-Request-ID \$req_id always;/);
      // Or a browser page sees a CORS failure instead of nginx's error.
      expect(location).toMatch(
        /add_header Access-Control-Allow-Origin \$cors_allow_origin always;/,
      );
      expect(location).toMatch(
        /add_header Access-Control-Expose-Headers \$cors_expose_headers always;/,
      );
      if (changedTo) expect(location).toContain(`return ${changedTo} `);
    }
  });

  it('every code the error table says nginx answers has a body in the template', () => {
    const answered = new Set(bodies.map((b) => b.body.error.code));
    for (const [code, spec] of Object.entries(errorCodes)) {
      if ('edge' in spec) expect([code, answered.has(code)]).toEqual([code, true]);
    }
    for (const code of answered) {
      const spec = errorCodes[code as keyof typeof errorCodes];
      expect([code, spec.scope]).toEqual([code, 'any']);
    }
  });

  it('429 and 502 tell the client when to retry', () => {
    for (const name of ['rate_limited', 'bad_gateway']) {
      const location = new RegExp(`location (?:@|= \\/_edge\\/)${name} \\{([^}]*)\\}`).exec(
        template,
      )?.[1];
      expect(location).toMatch(/add_header Retry-After \d+ always;/);
    }
  });
});

describe('nginx and the app: CORS', () => {
  // The template's map, run as nginx runs it: its regexes (PCRE; JavaScript reads these alike)
  // against "<Origin> ,<CORS_ALLOWED_ORIGINS>,".
  const corsMap =
    /map "\$http_origin ,\$\{CORS_ALLOWED_ORIGINS\}," \$cors_allow_origin \{([^}]*)\}/.exec(
      template,
    )?.[1];
  const entries = [...(corsMap ?? '').matchAll(/^\s*"~([^"]+)" (\S+);$/gm)].map(
    ([, pattern, value]) => ({ re: new RegExp(pattern ?? ''), value: value ?? '' }),
  );
  const nginxAllows = (origin: string, list: string) => {
    const subject = `${origin} ,${list},`;
    for (const { re, value } of entries) {
      const m = re.exec(subject);
      if (m) return value === '$origin' ? (m.groups?.origin ?? '') : value.replace(/"/g, '');
    }
    return '';
  };

  it.each([
    ['https://a.com', 'https://a.com', 'https://a.com'],
    ['https://b.com', 'https://a.com,https://b.com,https://c.com', 'https://b.com'],
    ['https://c.com', 'https://a.com,https://b.com,https://c.com', 'https://c.com'],
    ['https://a.co', 'https://a.com', ''],
    ['https://a.com', 'https://a.co', ''],
    ['https://x.a.com', 'https://a.com', ''],
    ['https://a.com:8443', 'https://a.com', ''],
    ['', 'https://a.com', ''],
    ['https://evil.com ,https://a.com', 'https://a.com', ''],
    ['x ,x,', 'https://a.com', ''],
    ['https://a.com', '', ''],
    ['https://anything.example', '*', '*'],
  ])(
    'nginx answers Origin %j with list %j: Access-Control-Allow-Origin %j',
    (origin, list, want) => {
      expect(entries).toHaveLength(2);
      expect(nginxAllows(origin, list)).toBe(want);
    },
  );

  const APP_CONFIGS = ['deploy/app.env', 'deploy/staging/app.env', 'deploy/production/app.env'];

  it("nginx lets pages read the same headers as the app's CORS does", () => {
    const listed = /default "([^"]+)";\n\}/.exec(
      template.slice(template.indexOf('map $cors_allow_origin $cors_expose_headers')),
    )?.[1];
    expect(listed?.split(', ')).toEqual([...EXPOSED_HEADERS]);
  });

  it('nginx reads CORS_ALLOWED_ORIGINS from the app config under compose and Swarm', () => {
    const nginx = compose.slice(compose.indexOf('\n  nginx:'), compose.indexOf('\n  s3:'));
    expect(nginx).toContain('env_file: ["${APP_CONFIG:-deploy/app.env}"]');
    expect(compose).toMatch(/\n {2}app:[\s\S]*env_file: \["\$\{APP_CONFIG:-deploy\/app\.env\}"\]/);
    // Swarm: that one line only, so an app-only config change leaves nginx (the port) running.
    const stack = read('deploy/swarm/stack.yml');
    const swarmNginx = stack.slice(stack.indexOf('\n  nginx:'), stack.indexOf('\n  s3:'));
    expect(swarmNginx).toContain('env_file: !reset []');
    expect(swarmNginx).toContain('CORS_ALLOWED_ORIGINS: ${CORS_ALLOWED_ORIGINS:-}');
    expect(read('scripts/swarm/deploy.sh')).toMatch(
      /^CORS_ALLOWED_ORIGINS=\$\(sed -n 's\/\^CORS_ALLOWED_ORIGINS=\/\/p' "\$APP_CONFIG"/m,
    );
  });

  it.each(APP_CONFIGS)(
    '%s sets CORS_ALLOWED_ORIGINS (empty for none): nginx cannot start with it unset',
    (file) => {
      const env = parseEnvFile(read(file));
      expect(env).toHaveProperty('CORS_ALLOWED_ORIGINS');
      expect(() => loadConfig(env, host)).not.toThrow();
    },
  );
});
