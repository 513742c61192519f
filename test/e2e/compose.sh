#!/usr/bin/env bash
# Container tests: the real compose stack (3 replicas behind nginx, SeaweedFS-compatible S3),
# built from this checkout and checked from the outside. The replicas reach S3 through a
# watching proxy (test/e2e/compose.s3-proxy.yml), so S3 faults can be made and counted. Needs Docker with Compose v2 (here: the
# container sandbox) and `npm ci` done (the load generator uses sharp and tsx).
#   test/e2e/compose.sh           # prints PASS/FAIL per check and "N passed, M failed"; exit 1 on any failure
#   E2E_IMAGE=registry/image-resizer:<sha> test/e2e/compose.sh   # test a pushed image instead of building
#   E2E_HOST=docker test/e2e/compose.sh   # the engine publishes ports on another host (GitLab's DinD)
set -uo pipefail
cd "$(dirname "$0")/../.."

PROJECT=${E2E_PROJECT:-image-resizer-e2e}
PORT=${E2E_PORT:-18080}
# Where the stack's published port is reached from here: this machine's loopback by default; on
# GitLab the Docker engine is the DinD service, so E2E_HOST=docker (.gitlab-ci.yml).
HOST=${E2E_HOST:-127.0.0.1}
URL="http://$HOST:$PORT"
ROUNDS=${E2E_FAULT_ROUNDS:-3}
PAGE_ORIGIN=${E2E_PAGE_ORIGIN:-http://127.0.0.1:18090}
export NGINX_PORT=$PORT GIT_COMMIT=${GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
# The local stack's config (deploy/app.env), with this test's port in the public URL of the
# variants and the test page's origin allowed (CORS): the browser test loads both.
export APP_CONFIG=/tmp/$PROJECT-app.env
sed -e "s#^S3_PUBLIC_BASE_URL=.*#S3_PUBLIC_BASE_URL=$URL/images/#" \
  -e "s#^CORS_ALLOWED_ORIGINS=.*#CORS_ALLOWED_ORIGINS=$PAGE_ORIGIN#" deploy/app.env >"$APP_CONFIG"
# Every `docker compose` below, subshells included, works on this project and these files.
export COMPOSE_PROJECT_NAME=$PROJECT COMPOSE_FILE=docker-compose.yml:test/e2e/compose.s3-proxy.yml
compose() { docker compose "$@"; }
if [ -n "${E2E_IMAGE:-}" ]; then
  export APP_IMAGE=$E2E_IMAGE
  # The app is pulled, never built; nginx and the S3 proxy carry this checkout's config (built below).
  UP_SOURCE=(--no-build)
else
  UP_SOURCE=(--build)
fi

# shellcheck source=test/e2e/lib.sh
. test/e2e/lib.sh
teardown() {
  if [ "$failed" -gt 0 ]; then compose logs --tail 40 >&2 || true; fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
}
trap teardown EXIT

echo "=== compose up (3 replicas) of ${E2E_IMAGE:-a fresh build}, project $PROJECT, nginx on :$PORT"
compose down -v --remove-orphans >/dev/null 2>&1 || true
if [ -n "${E2E_IMAGE:-}" ]; then
  must "compose build nginx s3-proxy" /tmp/e2e-up.log compose build nginx s3-proxy
fi
must "compose up --wait" /tmp/e2e-up.log \
  compose up "${UP_SOURCE[@]}" --wait --wait-timeout 180 --scale app=3

# A service's log lines since a time, as its process wrote them. Debian trixie's Compose 2.26 (the
# pipeline's job image) starts every line with a terminal escape (ESC[2K) even into a pipe and
# with --ansi never: stripped, so a check anchored at the line's start sees the line.
logs_since() { # logs_since <time> <service>
  compose logs --no-log-prefix --since "$1" "$2" 2>/dev/null | sed 's/\x1b\[[0-9;]*[A-Za-z]//g'
}
apps() { compose ps -q app | sort; }
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
upstreams_since() { # distinct upstream replicas in nginx's log since a time
  logs_since "$1" nginx | grep '^{' |
    node -e 'const s=new Set();for(const l of require("fs").readFileSync(0,"utf8").split("\n")){if(!l)continue;const j=JSON.parse(l);for(const a of j.upstream_addr.split(/[ ,:]+/))if(/^\d+\.\d+\.\d+\.\d+$/.test(a))s.add(a)}console.log([...s].sort().join(" "))'
}
upload() { curl -s -o /tmp/e2e-body -w '%{http_code}' -H "X-Request-ID: $2" -F "image=@$1" "$URL/v1/images?widths=32,64"; }

echo "=== uploads land in S3"
status=$(upload test/fixtures/hostile/valid.jpg e2e-first-upload)
key=$(node -p 'JSON.parse(require("fs").readFileSync("/tmp/e2e-body","utf8")).variants[0].key' 2>/dev/null)
check "upload through nginx answers 201 (got $status)" test "$status" = 201
check "the variant exists in the compose S3 with its content type" \
  compose exec -T app node -e '
    const { S3Client, HeadObjectCommand } = require("@aws-sdk/client-s3");
    new S3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT, forcePathStyle: true })
      .send(new HeadObjectCommand({ Bucket: process.env.S3_BUCKET, Key: process.argv[1] }))
      .then((o) => process.exit(o.ContentType === "image/jpeg" && o.ContentLength > 0 ? 0 : 1), () => process.exit(1));' "$key"
check "X-Request-ID is passed through and returned" \
  bash -c "curl -s -D - -o /dev/null -H 'X-Request-ID: e2e-id-42' $URL/healthz | grep -qi '^X-Request-ID: e2e-id-42'"
check "nginx and the app log the same request id" \
  bash -c "docker compose logs nginx | grep -q '\"request_id\":\"e2e-first-upload\"' && docker compose logs app | grep -q '\"id\":\"e2e-first-upload\"'"

echo "=== the API contract through nginx: every answer as /openapi.json describes it, CORS on nginx's errors"
npx tsx test/e2e/contract.ts "$URL" "$PAGE_ORIGIN" >/tmp/e2e-contract.log 2>&1
code=$?
sed 's/^/  /' /tmp/e2e-contract.log
check "every answer through nginx matches the served OpenAPI document; nginx's own errors carry CORS for the allowed page only" test "$code" = 0
status=$(upload test/fixtures/hostile/valid.jpg e2e-variant-url)
variant_url=$(node -p 'JSON.parse(require("fs").readFileSync("/tmp/e2e-body","utf8")).variants[0].url' 2>/dev/null)
check "a variant's url ($variant_url) serves the image" \
  bash -c "curl -fsS -o /dev/null -w '%{content_type}' '$variant_url' | grep -q '^image/jpeg'"
for path in /images/ '/images/?list-type=2' '/images/?policy' /images/x.jpg; do
  check "nginx's /images/ serves variants only: $path is 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL$path")" = 404
done
check "a variant's url with ?acl still serves the image, not S3's sub-resource" \
  bash -c "curl -fsS -o /dev/null -w '%{content_type}' '$variant_url?acl' | grep -q '^image/jpeg'"
check "the typed client (examples/typed-client) uploads and prints the variants" \
  bash -c "npx tsx examples/typed-client/upload.ts '$URL' test/fixtures/hostile/valid.jpg 32,48 webp | grep -q '^  48x36 webp'"

echo "=== the upload page in Chromium, served from $PAGE_ORIGIN, calling the API through nginx"
mkdir -p reports/browser
npx tsx test/e2e/browser.ts "$URL" "$PAGE_ORIGIN" reports/browser >/tmp/e2e-browser.log 2>&1
code=$?
sed 's/^/  /' /tmp/e2e-browser.log
check "browser: a real JPEG's variants load at their widths; nginx's 413 and the app's 415 show their messages (screenshots in reports/browser)" test "$code" = 0

check "admin process: ensure-bucket runs from the same image and config" \
  bash -c "docker compose run --rm -T app node dist/admin/ensure-bucket.js | grep -q '\"bucket\":\"images\"'"

echo "=== requests spread across all replicas"
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
npx tsx test/e2e/load.ts "$URL" 24 4 >/tmp/e2e-spread.json
spread=$(upstreams_since "$since" | wc -w)
check "24 uploads reached all 3 replicas (saw $spread)" test "$spread" -eq 3

echo "=== what the replicas are allowed to do"
for c in $(apps); do
  check "replica ${c:0:12} runs as uid 1000 (node)" test "$(docker exec "$c" id -u)" = 1000
  check "replica ${c:0:12} has a read-only root filesystem" test "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$c")" = true
  check "replica ${c:0:12} cannot write to /app or /tmp" bash -c "! docker exec $c sh -c 'touch /app/x || touch /tmp/x' 2>/dev/null"
  check "replica ${c:0:12} publishes no port" test -z "$(docker inspect -f '{{range $p, $b := .NetworkSettings.Ports}}{{if $b}}{{$p}}{{end}}{{end}}' "$c")"
done
for path in /metrics /METRICS /Metrics/ /%6detrics '/metrics?x=1' //metrics; do
  check "$path is not reachable from outside" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL$path")" = 404
done

echo "=== overload through nginx: 40 slow jobs at once, more than 3 x (4 slots + 8 queued) can hold"
# Defaults everywhere, as a new user runs it. Rate limiting would answer 429 past 40 at once
# (limit_req burst): the storm stays inside it, so overload is the app's to handle.
sleep 3 # the rate limiter's bucket refills
storm_since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
npx tsx test/e2e/storm.ts "$URL" 40 >/tmp/e2e-storm.json
code=$?
echo "info: storm: $(cat /tmp/e2e-storm.json)"
check "storm: only 200, JSON 503 SERVER_BUSY with Retry-After or JSON 504; small requests answered within 2 s; the next request succeeds" test "$code" = 0
nolive=$(logs_since "$storm_since" nginx | grep -c 'no live upstreams' || true)
check "storm: nginx never ran out of live upstreams (saw $nolive)" test "$nolive" = 0
resent=$(logs_since "$storm_since" nginx | grep -c '"upstream_status":"[^"]*,' || true)
check "storm: nginx resent no request to another replica (saw $resent)" test "$resent" = 0

echo "=== S3 stopped under load, then back: JSON 503s, readiness, recovery without a restart"
started_at() { for c in $(apps); do docker inspect -f '{{.State.StartedAt}}' "$c"; done | sort | tr '\n' ' '; }
apps_started=$(started_at)
compose stop s3 >/dev/null 2>&1
npx tsx test/e2e/answers.ts "$URL" 12 4 503:STORAGE_UNAVAILABLE >/tmp/e2e-s3-down.json
code=$?
echo "info: S3 down: $(cat /tmp/e2e-s3-down.json)"
check "S3 down: every upload answered JSON 503 STORAGE_UNAVAILABLE with Retry-After" \
  bash -c "test $code = 0 && grep -q '\"503 STORAGE_UNAVAILABLE\":12' /tmp/e2e-s3-down.json"
sleep 3 # readiness is cached for 2 s
ready=$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")
check "S3 down: /readyz answers 503 (got $ready)" test "$ready" = 503
compose start s3 >/dev/null 2>&1
recovered=fail
for _ in $(seq 1 30); do
  if [ "$(upload test/fixtures/hostile/valid.jpg "e2e-after-s3-$RANDOM")" = 201 ]; then recovered=ok; break; fi
  sleep 1
done
check "S3 back: uploads succeed again" test "$recovered" = ok
sleep 3
check "S3 back: /readyz answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200
check "S3 back: no replica was restarted" test "$(started_at)" = "$apps_started"

echo "=== S3 refusing writes: retries bounded by S3_MAX_ATTEMPTS (3) per variant, across the stack"
proxy=$(compose ps -q s3-proxy)
puts_since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
docker exec "$proxy" touch /tmp/fail-puts
npx tsx test/e2e/answers.ts "$URL" 8 4 503:STORAGE_UNAVAILABLE >/tmp/e2e-s3-puts.json
code=$?
docker exec "$proxy" rm -f /tmp/fail-puts
echo "info: S3 refusing writes: $(cat /tmp/e2e-s3-puts.json)"
check "S3 refusing writes: every upload answered JSON 503 STORAGE_UNAVAILABLE with Retry-After" \
  bash -c "test $code = 0 && grep -q '\"503 STORAGE_UNAVAILABLE\":8' /tmp/e2e-s3-puts.json"
logs_since "$puts_since" s3-proxy | grep '^{"method":"PUT"' >/tmp/e2e-puts.log
per_key=$(node -e 'const n={};for(const l of require("fs").readFileSync("/tmp/e2e-puts.log","utf8").split("\n").filter(Boolean)){const u=JSON.parse(l).uri;n[u]=(n[u]||0)+1}const v=Object.values(n);console.log(v.length, Math.max(0,...v), v.reduce((a,b)=>a+b,0))')
read -r keys max_per_key total <<<"$per_key"
echo "info: S3 saw $total PUT attempts for $keys keys (8 uploads x 2 variants), at most $max_per_key per key"
check "S3 refusing writes: every variant was tried (saw $keys keys of 16)" test "$keys" = 16
check "S3 refusing writes: at most 3 PUT attempts per variant (saw $max_per_key)" test "$max_per_key" -le 3

echo "=== nginx's own errors: JSON in the service's shape, with its request id"
edge() { # edge <expected status> <expected code> <curl args...>: status, JSON code, request id
  local want_status=$1 want_code=$2
  shift 2
  local got
  got=$(curl -s -o /tmp/e2e-edge -D /tmp/e2e-edge-headers -w '%{http_code}' "$@")
  local id
  id=$(grep -i '^X-Request-ID:' /tmp/e2e-edge-headers | tr -d '\r' | awk '{print $2}')
  node -e 'const [s,ws,wc,id]=process.argv.slice(1);const b=JSON.parse(require("fs").readFileSync("/tmp/e2e-edge","utf8"));process.exit(s===ws&&b.error.code===wc&&b.error.requestId===id&&id?0:1)' \
    "$got" "$want_status" "$want_code" "$id" 2>/dev/null
}
head -c 28000000 /dev/zero >/tmp/e2e-28mb
check "413 from nginx (body over client_max_body_size) is JSON PAYLOAD_TOO_LARGE" \
  edge 413 PAYLOAD_TOO_LARGE -H 'Content-Type: image/jpeg' --data-binary @/tmp/e2e-28mb "$URL/v1/images"
check "400 from nginx (headers too large) is JSON MALFORMED_REQUEST" \
  edge 400 MALFORMED_REQUEST -H "X-Padding: $(head -c 12000 /dev/zero | tr '\0' a)" "$URL/healthz"
check "404 from nginx (/metrics hidden) is JSON NOT_FOUND" edge 404 NOT_FOUND "$URL/metrics"
check "429 from nginx (rate limit) is JSON RATE_LIMITED with Retry-After, readable by the allowed page (CORS)" node -e '
  const [url, page] = process.argv.slice(1);
  Promise.all(Array.from({ length: 80 }, () => fetch(url, { headers: { Origin: page } }).then(async (r) => [r.status, r.headers.get("retry-after"), r.headers.get("x-request-id"), await r.text(), r.headers.get("access-control-allow-origin")])))
    .then((all) => {
      const limited = all.filter(([s]) => s === 429);
      const good = limited.filter(([, ra, id, body, cors]) => ra && cors === page && JSON.parse(body).error.code === "RATE_LIMITED" && JSON.parse(body).error.requestId === id);
      console.log(`info: ${limited.length} of 80 rate limited`);
      process.exit(limited.length > 0 && good.length === limited.length ? 0 : 1);
    }, () => process.exit(1));' "$URL/healthz" "$PAGE_ORIGIN"
sleep 3 # let the rate limiter's bucket refill

echo "=== faults under load: 80 uploads at concurrency 4; one replica SIGKILLed, another stopped"
for round in $(seq 1 "$ROUNDS"); do
  round_since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  npx tsx test/e2e/load.ts "$URL" 80 4 >"/tmp/e2e-fault-$round.json" &
  load=$!
  sleep 2
  mapfile -t ids < <(apps)
  docker kill -s KILL "${ids[0]}" >/dev/null
  sleep 1
  docker stop "${ids[1]}" >/dev/null &
  wait "$load"
  code=$?
  wait
  check "round $round: every upload succeeded ($(head -c 300 "/tmp/e2e-fault-$round.json"))" test "$code" = 0
  retried=$(logs_since "$round_since" nginx | grep -c '"upstream_status":"[^"]*,' || true)
  echo "info: round $round: $retried request(s) were retried on another replica by nginx"
  compose up -d --wait --scale app=3 --no-recreate >/dev/null 2>&1
  sleep 3
done

echo "=== scale to 5 without reloading nginx"
nginx_pid_before=$(compose exec -T nginx cat /run/nginx.pid)
nginx_started=$(docker inspect -f '{{.State.StartedAt}}' "$(compose ps -q nginx)")
compose up -d --wait --scale app=5 --no-recreate >/dev/null 2>&1
check "5 replicas running" test "$(apps | wc -l)" -eq 5
sleep 3
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
npx tsx test/e2e/load.ts "$URL" 40 5 >/tmp/e2e-scale.json
expected=$(for c in $(apps); do ip_of "$c"; done | sort | tr '\n' ' ' | sed 's/ $//')
seen=$(upstreams_since "$since")
check "all 5 replicas got traffic (expected: $expected; seen: $seen)" test "$seen" = "$expected"
check "nginx was not reloaded or restarted" bash -c "test '$(compose exec -T nginx cat /run/nginx.pid)' = '$nginx_pid_before' && test '$(docker inspect -f '{{.State.StartedAt}}' "$(compose ps -q nginx)")' = '$nginx_started'"

echo "=== stopping an idle replica is fast"
victim=$(apps | sed -n 1p)
start=$(date +%s%N)
docker stop "$victim" >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
check "docker stop of an idle replica took ${ms} ms (< 3000)" test "$ms" -lt 3000
check "it exited 0 (graceful)" test "$(docker inspect -f '{{.State.ExitCode}}' "$victim")" = 0

echo "=== no replica reachable: nginx answers JSON 502 BAD_GATEWAY with Retry-After"
compose stop app >/dev/null 2>&1
sleep 3 # DNS (valid=2s) drops the stopped replicas
check "502 from nginx (no replica) is JSON BAD_GATEWAY" edge 502 BAD_GATEWAY "$URL/healthz"
check "502 from nginx carries Retry-After" grep -qi '^Retry-After:' /tmp/e2e-edge-headers

summary
