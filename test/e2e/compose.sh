#!/usr/bin/env bash
# Container tests: the real compose stack (3 replicas behind nginx, SeaweedFS-compatible S3),
# built from this checkout and checked from the outside. Needs Docker with Compose v2 (here: the
# container sandbox) and `npm ci` done (the load generator uses sharp and tsx).
#   test/e2e/compose.sh           # prints PASS/FAIL per check and "N passed, M failed"; exit 1 on any failure
#   E2E_IMAGE=registry/image-resizer:<sha> test/e2e/compose.sh   # test a pushed image instead of building
set -uo pipefail
cd "$(dirname "$0")/../.."

PROJECT=${E2E_PROJECT:-image-resizer-e2e}
PORT=${E2E_PORT:-18080}
URL="http://127.0.0.1:$PORT"
ROUNDS=${E2E_FAULT_ROUNDS:-3}
export NGINX_PORT=$PORT GIT_COMMIT=${GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
compose() { docker compose -p "$PROJECT" "$@"; }
if [ -n "${E2E_IMAGE:-}" ]; then
  export APP_IMAGE=$E2E_IMAGE
  UP_SOURCE=(--no-build)
else
  UP_SOURCE=(--build)
fi

passed=0
failed=0
check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "PASS $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}
teardown() {
  if [ "$failed" -gt 0 ]; then compose logs --tail 40 >&2 || true; fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
}
trap teardown EXIT

echo "=== compose up (3 replicas) of ${E2E_IMAGE:-a fresh build}, project $PROJECT, nginx on :$PORT"
compose down -v --remove-orphans >/dev/null 2>&1 || true
if ! compose up "${UP_SOURCE[@]}" --wait --wait-timeout 180 --scale app=3 >/tmp/e2e-up.log 2>&1; then
  cat /tmp/e2e-up.log >&2
  echo "FAIL compose up --wait"
  echo "0 passed, 1 failed"
  exit 1
fi

apps() { compose ps -q app | sort; }
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
upstreams_since() { # distinct upstream replicas in nginx's log since a time
  compose logs --no-log-prefix --since "$1" nginx 2>/dev/null | grep '^{' |
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
  bash -c "compose() { docker compose -p $PROJECT \"\$@\"; }; compose logs nginx | grep -q '\"request_id\":\"e2e-first-upload\"' && compose logs app | grep -q '\"id\":\"e2e-first-upload\"'"

check "admin process: ensure-bucket runs from the same image and config" \
  bash -c "docker compose -p $PROJECT run --rm -T app node dist/admin/ensure-bucket.js | grep -q '\"bucket\":\"images\"'"

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
  retried=$(compose logs --no-log-prefix --since "$round_since" nginx 2>/dev/null | grep -c '"upstream_status":"[^"]*,' || true)
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
