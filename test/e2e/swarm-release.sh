#!/usr/bin/env bash
# Release tests on Docker Swarm: the staging stack (2 replicas behind nginx, S3) deployed with
# the same scripts the pipeline and an operator use (scripts/swarm/deploy.sh, rollback.sh), on
# this engine as a one-node swarm, under steady load through nginx below its rate limit:
#   1. release A again (a new release of the same image: every task replaced),
#   2. release B (another image: the same source stamped with another commit),
#   3. rollback to A (the ledger's previous release: image digest + config, nothing rebuilt),
#   4. a broken release (B with a config whose readiness never passes): swarm rolls it back,
#      the deploy fails, A keeps serving.
# Each step: zero failed requests, /healthz reports the expected commit, the step's time. Before
# them, the deployed stack itself: tasks read-only, non-root, limited, unpublished; nginx on a
# host-mode port with its JSON errors; an admin process on the stack's network.
# Needs Docker (a swarm manager, or an engine this makes one), the local registry, `npm ci`.
#   test/e2e/swarm-release.sh      # PASS/FAIL per check, "N passed, M failed"; exit 1 on any failure
# E2E_CONTEXT=<dir> builds the images from another checkout (default: this one);
# E2E_SWARM_STACK / E2E_SWARM_PORT / E2E_REGISTRY move it.
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

STACK=${E2E_SWARM_STACK:-ir-swarm-e2e}
PORT=${E2E_SWARM_PORT:-18092}
REGISTRY=${E2E_REGISTRY:-127.0.0.1:5000}
CONTEXT=${E2E_CONTEXT:-.}
URL="http://127.0.0.1:$PORT"
TMP=$(mktemp -d)
# The staging environment's settings, in a stack and on a port of the test's own. nginx:1.30 and
# the S3 image are local here (no public registry): do not ask a registry for their digests.
export DEPLOY_STACK=$STACK DEPLOY_NGINX_PORT=$PORT SWARM_RESOLVE_IMAGE=never DEPLOY_TIMEOUT=240

# shellcheck source=test/e2e/lib.sh
. test/e2e/lib.sh

remove_stack() {
  docker stack rm "$STACK" >/dev/null 2>&1 || true
  # The network goes last, once every task has stopped; a new deploy needs it gone (bounded).
  for _ in $(seq 1 60); do
    docker network inspect "${STACK}_default" >/dev/null 2>&1 || break
    sleep 1
  done
  docker config ls --format '{{.Name}}' | grep "^$STACK-" | xargs -r docker config rm >/dev/null 2>&1 || true
  # The S3 task's container goes away after the network; its volume can be removed then.
  for _ in $(seq 1 30); do
    docker volume inspect "${STACK}_s3-data" >/dev/null 2>&1 || break
    docker volume rm "${STACK}_s3-data" >/dev/null 2>&1 || sleep 1
  done
}
teardown() {
  if [ "$failed" -gt 0 ]; then
    docker service ps --no-trunc "${STACK}_app" 2>/dev/null | head -20 >&2 || true
    docker service logs --tail 30 "${STACK}_nginx" >&2 2>/dev/null || true
  fi
  [ -f "$TMP/stop" ] || touch "$TMP/stop"
  remove_stack
  rm -rf "$TMP"
}
trap teardown EXIT

t0=$(date +%s)
echo "=== stack $STACK, nginx on :$PORT, images from $CONTEXT, registry $REGISTRY"
. scripts/swarm/lib.sh
swarm_ensure
remove_stack

echo "=== two releases: the same source, stamped with two commits, pushed to the registry"
commit_a=$(git rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000a0a)
commit_b=$(printf '%s-b' "$commit_a" | sha1sum | cut -c1-40)
image_of() { # build and push one release, print its digest reference
  local tag=$REGISTRY/$STACK:$1
  DOCKER_BUILDKIT=1 docker build -q --target runtime --build-arg GIT_COMMIT="$2" -t "$tag" "$CONTEXT" >"$TMP/build-$1.log" 2>&1 ||
    { cat "$TMP/build-$1.log" >&2; return 1; }
  docker push -q "$tag" >/dev/null || return 1
  docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$tag" | grep -m1 "^$REGISTRY/$STACK@"
}
image_a=$(image_of a "$commit_a") || fail_now "build and push release A"
image_b=$(image_of b "$commit_b") || fail_now "build and push release B"
echo "info: A = $image_a (commit $commit_a)"
echo "info: B = $image_b (commit $commit_b)"
echo "info: images built in $(($(date +%s) - t0)) s"

echo "=== bootstrap: the stack created with release A (no traffic yet: nothing to serve it before)"
s=$(date +%s)
bash scripts/swarm/deploy.sh staging "$image_a" >"$TMP/bootstrap.log" 2>&1 ||
  { cat "$TMP/bootstrap.log" >&2; fail_now "bootstrap deploy of A"; }
echo "info: bootstrap took $(($(date +%s) - s)) s"

echo "=== the stack as deployed: what compose promises holds on Swarm too"
for c in $(docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_app"); do
  check "task ${c:0:12}: read-only root, uid 1000, an init, 768 MB limit, no published port" test \
    "$(docker inspect --format '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Init}} {{.HostConfig.Memory}} {{len .HostConfig.PortBindings}}' "$c") $(docker exec "$c" id -u)" \
    = "true true 805306368 0 1000"
  check "task ${c:0:12}: sized as measured (MAX_CONCURRENT_JOBS=4)" \
    bash -c "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $c | grep -qx MAX_CONCURRENT_JOBS=4"
done
nginx_task=$(docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_nginx")
check "nginx publishes :$PORT in host mode" test \
  "$(docker inspect --format '{{range $p, $b := .HostConfig.PortBindings}}{{$p}}={{range $b}}{{.HostPort}}{{end}}{{end}}' "$nginx_task")" = "8080/tcp=$PORT"
check "nginx's own errors are the service's JSON (/metrics: 404 NOT_FOUND)" \
  bash -c "curl -s '$URL/metrics' | grep -q '\"code\":\"NOT_FOUND\"'"
check "admin process: ensure-bucket from the release's image on the stack's network" bash -c \
  "docker run --rm --network ${STACK}_default --env-file deploy/staging/app.env -e AWS_ACCESS_KEY_ID=local-dev-access-key \
    -e AWS_SECRET_ACCESS_KEY=local-dev-secret-key '$image_a' node dist/admin/ensure-bucket.js | grep -q '\"bucket\":\"images\"'"

revision_is() { # five /healthz in a row through nginx report this commit
  for _ in 1 2 3 4 5; do
    [ "$(curl -sf -m 5 "$URL/healthz" | node -p 'JSON.parse(require("fs").readFileSync(0,"utf8")).revision' 2>/dev/null)" = "$1" ] || return 1
  done
}
release_is() { test "$(docker service inspect "${STACK}_app" --format '{{index .Spec.Labels "io.image-resizer.release"}}')" = "$1"; }
ledger() { docker config ls --filter "label=io.image-resizer.ledger=$STACK" --format '{{.Name}}' | sort; }

# under_load <name> <deploy must: succeed|fail> <command...>: the command under steady load.
under_load() {
  local name=$1 want=$2
  shift 2
  rm -f "$TMP/stop"
  npx tsx test/e2e/steady-load.ts "$URL" "$TMP/stop" 12 4 400 >"$TMP/load-$name.json" &
  local load=$!
  sleep 3
  local s rc
  s=$(date +%s%N)
  "$@" >"$TMP/$name.log" 2>&1
  rc=$?
  local ms=$((($(date +%s%N) - s) / 1000000))
  sleep 3
  touch "$TMP/stop"
  wait "$load"
  local lrc=$?
  echo "info: $name: the deploy command took $((ms / 1000)).$(((ms % 1000) / 100)) s (exit $rc); load: $(cat "$TMP/load-$name.json")"
  if [ "$want" = succeed ]; then
    check "$name: the deploy succeeded" test "$rc" = 0
  else
    check "$name: the deploy failed, as it must" test "$rc" != 0
  fi
  [ "$rc" = 0 ] || sed -n '/^swarm: /p' "$TMP/$name.log" | tail -4
  check "$name: zero failed requests under load" test "$lrc" = 0
}

echo "=== 1. release A again, under load"
under_load release-a succeed bash scripts/swarm/deploy.sh staging "$image_a"
check "release-a: /healthz reports commit A" revision_is "$commit_a"
release_a=$(docker service inspect "${STACK}_app" --format '{{index .Spec.Labels "io.image-resizer.release"}}')

echo "=== 2. release B, under load"
under_load release-b succeed bash scripts/swarm/deploy.sh staging "$image_b"
check "release-b: /healthz reports commit B" revision_is "$commit_b"
check "release-b: both commits answered /healthz during the rollout (A before, B after)" \
  grep -q "\"$commit_a\".*\"$commit_b\"\|\"$commit_b\".*\"$commit_a\"" "$TMP/load-release-b.json"
check "release-b: the ledger holds 3 releases" test "$(ledger | wc -l)" = 3

echo "=== 3. rollback to the previous release, under load"
under_load rollback succeed bash scripts/swarm/rollback.sh staging
check "rollback: /healthz reports commit A" revision_is "$commit_a"
check "rollback: the stack runs release A's record again ($release_a)" release_is "$release_a"
check "rollback: the running tasks use A's image digest" \
  bash -c "docker service inspect ${STACK}_app --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' | grep -qF '${image_a#*@}'"
check "rollback: nothing new in the ledger (3 releases)" test "$(ledger | wc -l)" = 3

echo "=== 4. a broken release (readiness never passes), under load"
sed 's/^S3_BUCKET=.*/S3_BUCKET=no-such-bucket-e2e/' deploy/staging/app.env >"$TMP/broken.env"
grep -q '^S3_BUCKET=no-such-bucket-e2e$' "$TMP/broken.env" || fail_now "could not make the broken config"
ledger_before=$(ledger)
under_load broken fail env DEPLOY_APP_CONFIG="$TMP/broken.env" bash scripts/swarm/deploy.sh staging "$image_b"
check "broken: the deploy says swarm rolled it back" grep -q 'rolled back' "$TMP/broken.log"
check "broken: /healthz still reports commit A" revision_is "$commit_a"
check "broken: the stack runs release A's record ($release_a)" release_is "$release_a"
check "broken: the broken release was not recorded" test "$(ledger)" = "$ledger_before"
check "broken: every app task is healthy and of release A" bash -c "
  ids=\$(docker service ps -q --filter desired-state=running ${STACK}_app)
  test \$(echo \$ids | wc -w) = 2 &&
  test \"\$(docker inspect --format '{{index .Spec.ContainerSpec.Labels \"io.image-resizer.release\"}} {{.Status.State}}' \$ids | sort -u)\" = '$release_a running'"

echo "=== releases recorded"
bash scripts/swarm/releases.sh staging

echo "info: the whole test took $(($(date +%s) - t0)) s"
summary
