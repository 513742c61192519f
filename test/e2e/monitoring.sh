#!/usr/bin/env bash
# Container tests of the monitoring (docker-compose.monitoring.yml, deploy/prometheus): the
# stack with Prometheus, built from this checkout, checked through Prometheus's HTTP API.
#   - every rule loads and evaluates without error on real series;
#   - every replica is scraped through DNS: 3, then 5 after `--scale app=5`, with no reload;
#   - the request counters Prometheus stored match the uploads sent;
#   - a healthy stack raises no alert; stopping S3 makes ImageResizerS3Errors pending.
# Prometheus runs deploy/prometheus/prometheus.yml with its intervals shortened to 2 s (nothing
# else changed), so rates and pending alerts appear in seconds. Needs Docker with Compose v2.
#   test/e2e/monitoring.sh     # prints PASS/FAIL per check and "N passed, M failed"; exit 1 on any failure
#   E2E_IMAGE=registry/image-resizer:<sha> test/e2e/monitoring.sh   # test a pushed image instead of building
set -uo pipefail
cd "$(dirname "$0")/../.."

PROJECT=${E2E_MONITORING_PROJECT:-ir-monitoring-e2e}
PORT=${E2E_MONITORING_PORT:-18095}
PROM_PORT=${E2E_MONITORING_PROMETHEUS_PORT:-18096}
URL="http://127.0.0.1:$PORT"
PROM="http://127.0.0.1:$PROM_PORT"
started=$(date +%s)
WORK=$(mktemp -d)
# nginx on the loopback: this test sends traffic to 127.0.0.1 only. Prometheus's bind address is
# left at the override file's default, which is what the check below is about.
export NGINX_PORT=$PORT NGINX_BIND=127.0.0.1 PROMETHEUS_PORT=$PROM_PORT
export GIT_COMMIT=${GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
export COMPOSE_PROJECT_NAME=$PROJECT COMPOSE_FILE=docker-compose.yml:docker-compose.monitoring.yml
export PROMETHEUS_CONFIG=$WORK/prometheus.yml
compose() { docker compose "$@"; }
if [ -n "${E2E_IMAGE:-}" ]; then
  export APP_IMAGE=$E2E_IMAGE
  # The app is pulled, never built; nginx (this checkout's config) is built before `up`.
  UP_SOURCE=(--no-build)
else
  # Its own tag: building must not replace the image:local other stacks on this engine run.
  export APP_IMAGE=image-resizer:monitoring-e2e
  UP_SOURCE=(--build)
fi

# shellcheck source=test/e2e/lib.sh
. test/e2e/lib.sh
teardown() {
  if [ "$failed" -gt 0 ]; then compose logs --tail 30 prometheus >&2 || true; fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$WORK"
  echo "info: took $(($(date +%s) - started)) s"
}
trap teardown EXIT

# The shipped config with 2 s intervals; fail loudly if a line to shorten is not there any more.
sed -e 's/^  scrape_interval: 15s$/  scrape_interval: 2s/' \
  -e 's/^  scrape_timeout: 5s$/  scrape_timeout: 2s/' \
  -e 's/^  evaluation_interval: 15s$/  evaluation_interval: 2s/' \
  -e 's/^        refresh_interval: 5s$/        refresh_interval: 2s/' \
  deploy/prometheus/prometheus.yml >"$PROMETHEUS_CONFIG"
chmod 644 "$PROMETHEUS_CONFIG" # read by the container's user, nobody
shortened=$(diff deploy/prometheus/prometheus.yml "$PROMETHEUS_CONFIG" | grep -c '^>')
if [ "$shortened" != 4 ]; then
  fail_now "deploy/prometheus/prometheus.yml: expected 4 interval lines to shorten, found $shortened"
fi

# query <PromQL>: the value of each sample, "labels value" per line, sorted ("" if none).
query() {
  curl -s --max-time 5 --get --data-urlencode "query=$1" "$PROM/api/v1/query" |
    node -e '
      let j; try { j = JSON.parse(require("fs").readFileSync(0, "utf8")); } catch { process.exit(0); }
      if (j.status !== "success") process.exit(0);
      const out = j.data.result.map((r) => {
        const { __name__, ...l } = r.metric;
        const labels = Object.entries(l).map(([k, v]) => `${k}=${v}`).join(",");
        return (labels ? labels + " " : "") + Number(r.value[1]);
      });
      console.log(out.sort().join("\n"));'
}
# until_equal <seconds> <expected> <PromQL>: polls until the query prints expected; prints the last answer.
until_equal() {
  local deadline=$(($(date +%s) + $1)) got
  while :; do
    got=$(query "$3")
    if [ "$got" = "$2" ] || [ "$(date +%s)" -ge "$deadline" ]; then break; fi
    sleep 1
  done
  echo "$got"
}
# alert_state <alertname>: pending, firing, or none.
alert_state() {
  curl -s --max-time 5 "$PROM/api/v1/alerts" | node -e '
    const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const a = j.data.alerts.filter((x) => x.labels.alertname === process.argv[1]);
    console.log(a.length ? a.map((x) => x.state).sort().join(",") : "none");' "$1" 2>/dev/null || echo error
}

echo "=== compose up (3 replicas + Prometheus) of ${E2E_IMAGE:-a fresh build}, project $PROJECT, nginx on :$PORT, Prometheus on :$PROM_PORT"
compose down -v --remove-orphans >/dev/null 2>&1 || true
if [ -n "${E2E_IMAGE:-}" ]; then must "compose build nginx" "$WORK/up.log" compose build nginx; fi
must "compose up --wait" "$WORK/up.log" \
  compose up "${UP_SOURCE[@]}" --wait --wait-timeout 180 --scale app=3
prometheus_started=$(docker inspect -f '{{.State.StartedAt}}' "$(compose ps -q prometheus)")

echo "=== what is published"
published=$(for c in $(compose ps -q); do docker inspect -f '{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{.HostIp}}:{{.HostPort}} {{end}}{{end}}' "$c"; done | tr -s ' ' '\n' | grep . | sort | tr '\n' ' ')
check "only nginx and Prometheus are published, Prometheus on the loopback by default (saw: $published)" \
  test "$published" = "127.0.0.1:$PORT 127.0.0.1:$PROM_PORT "
check "/metrics stays hidden behind nginx" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" = 404

echo "=== rules: loaded, and every one evaluates without error"
rule_files_count=$(node -e '
  const { parse } = require("yaml"); const fs = require("fs");
  let n = 0;
  for (const f of fs.readdirSync("deploy/prometheus/rules").filter((f) => f.endsWith(".yml")))
    for (const g of parse(fs.readFileSync("deploy/prometheus/rules/" + f, "utf8")).groups) n += g.rules.length;
  console.log(n);')
rules_state() {
  curl -s --max-time 5 "$PROM/api/v1/rules" | node -e '
    const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const rules = j.data.groups.flatMap((g) => g.rules);
    const bad = rules.filter((r) => r.health !== "ok");
    console.log(rules.length, bad.length, bad.slice(0, 3).map((r) => `${r.name}: ${r.health} ${r.lastError || ""}`).join("; "));' 2>/dev/null
}
deadline=$(($(date +%s) + 30))
while :; do
  read -r loaded unhealthy why <<<"$(rules_state)"
  if { [ "${loaded:-0}" = "$rule_files_count" ] && [ "${unhealthy:-1}" = 0 ]; } || [ "$(date +%s)" -ge "$deadline" ]; then break; fi
  sleep 1
done
check "Prometheus loaded all $rule_files_count rules of deploy/prometheus/rules (loaded ${loaded:-0})" test "${loaded:-0}" = "$rule_files_count"
check "every rule evaluated with health ok (not ok: ${unhealthy:-?} ${why:-})" test "${unhealthy:-1}" = 0

echo "=== every replica scraped, found through DNS"
ips() { for c in $(compose ps -q app); do docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c"; done | sort | tr '\n' ' ' | sed 's/ $//'; }
up3=$(until_equal 30 3 'count(up{job="image-resizer"} == 1)')
check "3 replicas up in Prometheus (got: ${up3:-none})" test "$up3" = 3
targets=$(query 'up{job="image-resizer"} == 1' | sed -E 's/.*instance=([0-9.]+):3000.*/\1/' | sort | tr '\n' ' ' | sed 's/ $//')
check "the scraped targets are the 3 app containers (expected: $(ips); scraped: $targets)" test "$targets" = "$(ips)"

echo "=== request counters match the uploads sent"
sent=6
upload() { curl -s -o /dev/null -w '%{http_code}' -H "X-Request-ID: monitoring-e2e-$1" -F image=@test/fixtures/hostile/valid.jpg "$URL/v1/images?widths=$2"; }
# In two batches, with a scrape between: rate() counts no increase into a series' first sample,
# and a labelled series is born with its first request (docs/monitoring.md: "a series is born
# with its first event"). The second batch lands in series Prometheus has already seen.
echo "info: uploads 1-2: $(upload 1 32,64) $(upload 2 32,64)"
first=$(until_equal 20 2 'sum(http_request_duration_seconds_count{job="image-resizer", route="/v1/images", method="POST"})')
check "Prometheus counted the first 2 uploads (got: ${first:-none})" test "$first" = 2
echo "info: uploads 3-6: $(for i in 3 4 5 6; do upload "$i" 32,64; echo -n ' '; done)"
# One fresh upload (201: 2 variants made), then the same bytes again (200: deduplicated).
by_status=$(until_equal 20 "$(printf 'status_code=200 5\nstatus_code=201 1')" \
  'sum by (status_code) (http_request_duration_seconds_count{job="image-resizer", route="/v1/images", method="POST"})')
check "Prometheus counted the $sent uploads: 1 x 201 and 5 x 200 (got: $(echo "$by_status" | tr '\n' ';'))" \
  test "$by_status" = "$(printf 'status_code=200 5\nstatus_code=201 1')"
variants="$(query 'sum(image_variants_produced_total{job="image-resizer"})') produced, $(query 'sum(image_variants_deduplicated_total{job="image-resizer"})') deduplicated"
check "variants: 2 produced, 10 deduplicated (got: $variants)" test "$variants" = "2 produced, 10 deduplicated"
rate=$(until_equal 20 "" 'absent(route_method_status_code:http_requests:rate5m{route="/v1/images", status_code="200"})')
check "the recording rules see the traffic (route_method_status_code:http_requests:rate5m for /v1/images 200)" test -z "$rate"
sli=$(until_equal 20 "job=image-resizer 0" 'job:slo_availability_errors:ratio_rate5m')
check "the availability SLI is 0, not empty or NaN (no 5xx; got: ${sli:-none})" test "$sli" = "job=image-resizer 0"

echo "=== the image's process settings hold in every replica"
# The Dockerfile's NODE_OPTIONS=--max-semi-space-size=4: V8's new space (two semi-spaces) at most
# 8 MiB in each running replica; without it, Node starts it at 32 MiB on this machine
# (test/process/server-process.test.ts checks both sides against the built server).
new_space=$(query 'count(nodejs_heap_space_size_total_bytes{job="image-resizer", space="new"} <= 8388608)')
check "V8's young generation bounded by the image's NODE_OPTIONS in 3 of 3 replicas (got: ${new_space:-none})" test "$new_space" = 3

echo "=== a healthy stack raises no alert"
# A few evaluations (2 s each) after the traffic, so every rule has seen it.
sleep 4
active=$(curl -s --max-time 5 "$PROM/api/v1/alerts" | node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(j.data.alerts.map((a)=>a.labels.alertname+":"+a.state).join(" "))')
check "no alert pending or firing (saw: ${active:-none})" test -z "$active"

echo "=== scale to 5: seen without a reload"
reloads_before=$(query 'prometheus_config_last_reload_success_timestamp_seconds')
compose up -d --wait --scale app=5 --no-recreate >/dev/null 2>&1
up5=$(until_equal 30 5 'count(up{job="image-resizer"} == 1)')
check "5 replicas up in Prometheus (got: ${up5:-none})" test "$up5" = 5
targets=$(query 'up{job="image-resizer"} == 1' | sed -E 's/.*instance=([0-9.]+):3000.*/\1/' | sort | tr '\n' ' ' | sed 's/ $//')
check "the scraped targets are the 5 app containers" test "$targets" = "$(ips)"
check "Prometheus was neither restarted nor reloaded" bash -c "test '$(docker inspect -f '{{.State.StartedAt}}' "$(compose ps -q prometheus)")' = '$prometheus_started' && test '$(query 'prometheus_config_last_reload_success_timestamp_seconds')' = '$reloads_before'"
check "the counters still add up to the $sent uploads across 5 replicas" test \
  "$(query 'sum(http_request_duration_seconds_count{job="image-resizer", route="/v1/images", method="POST"})')" = "$sent"

echo "=== S3 stopped: the S3 alert goes pending"
compose stop s3 >/dev/null 2>&1
# wait_state <alertname> <state> <seconds>: polls the alert's state; prints the last one.
wait_state() {
  local deadline=$(($(date +%s) + $3)) got
  while :; do
    got=$(alert_state "$1")
    if [ "$got" = "$2" ] || [ "$(date +%s)" -ge "$deadline" ]; then break; fi
    sleep 1
  done
  echo "$got"
}
# One upload a second until both alerts are pending (45 s at most). Not a fixed batch: each
# replica's 503 series is born with its first failure, which rate() cannot see (see above), so
# how many uploads it takes depends on how nginx spreads them over the 5 replicas.
stopped_at=$(date +%s)
s3_sent=0
not_503=0
while [ "$(date +%s)" -lt $((stopped_at + 45)) ]; do
  s3_sent=$((s3_sent + 1))
  [ "$(upload "s3-$s3_sent" 48)" = 503 ] || not_503=$((not_503 + 1))
  if [ "$(alert_state ImageResizerS3Errors)" = pending ] &&
    [ "$(alert_state ImageResizerAvailabilityBurnRateFast)" = pending ]; then break; fi
  sleep 1
done
echo "info: $s3_sent uploads with S3 stopped, over $(($(date +%s) - stopped_at)) s; S3 error ratio $(query 'job:s3_operation_errors:ratio_rate5m'); availability error ratio $(query 'job:slo_availability_errors:ratio_rate5m')"
check "every upload with S3 stopped was answered 503 ($not_503 of $s3_sent were not)" test "$not_503" = 0
state=$(wait_state ImageResizerS3Errors pending 5)
check "ImageResizerS3Errors is pending (got: $state)" test "$state" = pending
burn=$(wait_state ImageResizerAvailabilityBurnRateFast pending 5)
check "ImageResizerAvailabilityBurnRateFast is pending too (got: $burn)" test "$burn" = pending
unavailable=$(until_equal 20 "$s3_sent" 'sum(http_requests_rejected_total{job="image-resizer", code="STORAGE_UNAVAILABLE"})')
check "the $s3_sent uploads are counted as STORAGE_UNAVAILABLE (got: ${unavailable:-none})" test "$unavailable" = "$s3_sent"

summary
