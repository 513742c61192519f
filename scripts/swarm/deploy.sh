#!/usr/bin/env bash
# Release to Docker Swarm: one image (by digest) + one environment's config, as a rolling update
# that starts a new task before stopping an old one, one at a time, each gated on readiness; a
# release that never becomes ready is rolled back by swarm itself, and this script then fails.
# A release that converged and passed the smoke test is recorded in the stack's ledger, which
# scripts/swarm/rollback.sh returns to. docs/releases.md explains it all.
#
#   scripts/swarm/deploy.sh <environment> <image> [commit]
#   scripts/swarm/deploy.sh staging 127.0.0.1:5000/image-resizer@sha256:0123...
#
# <image> is pinned to its digest here if given by tag. [commit] defaults to the image's
# org.opencontainers.image.revision label. Environment: DOCKER_HOST (a swarm manager; the local
# engine when unset, made a one-node swarm if needed), DEPLOY_URL (where nginx answers, for the
# checks; default http://127.0.0.1:<NGINX_PORT>), DEPLOY_TIMEOUT (seconds, default 300),
# DEPLOY_STACK / DEPLOY_NGINX_PORT / DEPLOY_APP_CONFIG / DEPLOY_REPLICAS (overrides),
# SWARM_RESOLVE_IMAGE (docker stack deploy --resolve-image, default always), SMOKE_TEST=0 (skip
# the upload check). Set by rollback.sh only: RELEASE_ID (re-deploy a recorded release).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/swarm/lib.sh

ENVIRONMENT=${1:?usage: deploy.sh <environment> <image> [commit]}
IMAGE=${2:?usage: deploy.sh <environment> <image> [commit]}
swarm_load_env "$ENVIRONMENT"
TIMEOUT=${DEPLOY_TIMEOUT:-300}
URL=${DEPLOY_URL:-http://127.0.0.1:$NGINX_PORT}
started=$(date +%s)
deadline=$((started + TIMEOUT))
swarm_ensure

# Pin the image to a digest: every node, now and on a rollback in a month, runs the same bytes.
if [[ "$IMAGE" != *@sha256:* ]]; then
  docker pull -q "$IMAGE" >/dev/null
  # The digest of this repository (an image pushed to several has one per repository).
  repo=$IMAGE
  [[ "${IMAGE##*:}" == */* ]] || repo=${IMAGE%:*}
  pinned=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$IMAGE" 2>/dev/null |
    awk -v prefix="$repo@" 'index($0, prefix) == 1 { print; exit }')
  [[ "$pinned" == *@sha256:* ]] || swarm_fail "$IMAGE has no registry digest: push it to a registry first"
  IMAGE=$pinned
fi
docker pull -q "$IMAGE" >/dev/null || swarm_fail "cannot pull $IMAGE"
COMMIT=${3:-$(docker image inspect --format '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$IMAGE")}
[ -n "$COMMIT" ] || swarm_fail "no commit given and $IMAGE has no revision label"

# A new release gets a new id (sortable by time); a rollback re-deploys a recorded one.
if [ -n "${RELEASE_ID:-}" ]; then record=no; else record=yes; fi
RELEASE_ID=${RELEASE_ID:-$(date -u +%Y%m%d%H%M%S)-${COMMIT:0:12}}
[[ "$RELEASE_ID" =~ ^[0-9]{14}-[A-Za-z0-9._-]{1,12}$ ]] || swarm_fail "bad release id '$RELEASE_ID'"
[ -f "$APP_CONFIG" ] || swarm_fail "no app config at $APP_CONFIG"
config_text=$(cat "$APP_CONFIG")

# Swarm configs are immutable: name nginx's template by its content, so a changed template is a
# new config and an unchanged one leaves nginx alone.
template_sum=$(sha256sum nginx/templates/default.conf.template | cut -c1-12)
export APP_IMAGE=$IMAGE GIT_COMMIT=$COMMIT RELEASE_ID NGINX_TEMPLATE_CONFIG="$STACK-nginx-$template_sum"
# nginx takes the one variable it shares with the app from the app config (deploy/swarm/stack.yml),
# so a release whose config changes only the app's settings leaves nginx running.
# (Quotes stripped as compose's env_file does.)
CORS_ALLOWED_ORIGINS=$(sed -n 's/^CORS_ALLOWED_ORIGINS=//p' "$APP_CONFIG" | tail -n 1 | sed -E 's/^"(.*)"$/\1/; s/^'"'"'(.*)'"'"'$/\1/')
export CORS_ALLOWED_ORIGINS

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The rendered stack holds S3 credentials from the environment: private, and deleted on exit.
umask 077
# docker compose merges docker-compose.yml with the swarm override (it understands !reset) and
# reads env_file; `docker stack deploy` cannot read docker-compose.yml itself (its long
# depends_on). Two fixes for the stack loader: no top-level `name`, published ports as numbers.
docker compose -p "$STACK" -f docker-compose.yml -f deploy/swarm/stack.yml config |
  sed -E -e '/^name: /d' -e 's/^( +published: )"([0-9]+)"$/\1\2/' >"$work/stack.yml"

# The compose deploy this replaces (same name) would hold nginx's port: never half-deploy.
if [ -n "$(docker ps -q --filter "label=com.docker.compose.project=$STACK")" ]; then
  swarm_fail "a docker compose project '$STACK' runs on this engine; stop it first (docker compose -p $STACK down)"
fi
previous=$(swarm_current_release)
echo "swarm: deploying release $RELEASE_ID ($IMAGE, commit $COMMIT, config $APP_CONFIG) to stack $STACK" \
  "(was: ${previous:-nothing}), $APP_REPLICAS replicas, nginx on :$NGINX_PORT"
docker stack deploy --detach=true --prune --with-registry-auth \
  --resolve-image "${SWARM_RESOLVE_IMAGE:-always}" -c "$work/stack.yml" "$STACK"

# Converged = swarm says the update completed (after its monitor window) or, for a service just
# created, every task runs; and every running task is of this release (a container label of
# the release id) and healthy. Swarm's own rollback ends the wait at once, as a failure.
app_state() {
  local update running wanted tasks
  update=$(docker service inspect "${STACK}_app" --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}')
  case "$update" in
    rollback_started | rollback_completed | rollback_paused | paused)
      echo "$update"
      return
      ;;
  esac
  tasks=$(docker service ps -q --filter desired-state=running "${STACK}_app")
  wanted=$APP_REPLICAS
  running=0
  if [ -n "$tasks" ]; then
    # shellcheck disable=SC2086
    running=$(docker inspect --format '{{index .Spec.ContainerSpec.Labels "io.image-resizer.release"}} {{.Status.State}}' $tasks |
      grep -c "^$RELEASE_ID running$" || true)
  fi
  if [ "$running" -eq "$wanted" ] && [ "$(echo "$tasks" | wc -w)" -eq "$wanted" ] &&
    { [ "$update" = completed ] || [ -z "$update" ]; }; then
    echo converged
  else
    echo "updating ($running of $wanted tasks of this release running, update: ${update:-none})"
  fi
}
last=""
while :; do
  state=$(app_state)
  [ "$state" != "$last" ] && echo "swarm: $(($(date +%s) - started)) s: app $state"
  last=$state
  case "$state" in
    converged) break ;;
    rollback_*)
      # Swarm rolls the previous release back in by itself; its first message says why.
      why=${why:-$(docker service inspect "${STACK}_app" --format '{{.UpdateStatus.Message}}')}
      if [ "$state" = rollback_completed ] || [ "$(date +%s)" -ge "$deadline" ]; then
        docker service ps --no-trunc --filter desired-state=shutdown --format '{{.Name}} {{.CurrentState}} {{.Error}}' \
          "${STACK}_app" | head -4 >&2
        swarm_fail "release $RELEASE_ID failed ($why); swarm rolled back to ${previous:-nothing}: $state"
      fi
      ;;
    paused) swarm_fail "the update paused: $(docker service inspect "${STACK}_app" --format '{{.UpdateStatus.Message}}')" ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    docker service ps --no-trunc "${STACK}_app" | head -20 >&2
    swarm_fail "release $RELEASE_ID did not converge within $TIMEOUT s"
  fi
  sleep 1
done

# nginx: one task per node (global), running. Unchanged by an app release, so usually at once.
while [ "$(docker service ls --filter "name=${STACK}_nginx" --format '{{.Replicas}}' | awk -F/ '$1==$2 && $1>0')" = "" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || swarm_fail "nginx did not start within $TIMEOUT s"
  sleep 1
done

# The release is what nginx serves: /healthz reports its commit, and (SMOKE_TEST=1) one real
# upload through nginx is stored.
if [ "${SMOKE_TEST:-1}" = 1 ]; then
  bash scripts/ci/smoke-test.sh "$URL" "$COMMIT"
else
  ok=0
  for _ in $(seq 1 30); do
    if [ "$(curl -sf -m 5 "$URL/healthz" | sed -n 's/.*"revision":"\([^"]*\)".*/\1/p')" = "$COMMIT" ]; then
      ok=$((ok + 1))
      [ "$ok" -ge 3 ] && break
    else
      ok=0
    fi
    sleep 1
  done
  [ "$ok" -ge 3 ] || swarm_fail "$URL/healthz does not report $COMMIT"
fi

if [ "$record" = yes ]; then
  printf '%s\n' "$config_text" | docker config create \
    --label "$LEDGER_LABEL=$STACK" \
    --label "io.image-resizer.image=$IMAGE" \
    --label "io.image-resizer.revision=$COMMIT" \
    --label "io.image-resizer.replicas=$APP_REPLICAS" \
    --label "io.image-resizer.config-file=$APP_CONFIG" \
    "$STACK-release-$RELEASE_ID" - >/dev/null
  # Keep the last 20 releases; older ones are in the registry and in git, not in the ledger.
  swarm_ledger_ids | head -n -20 | sed "s/^/$STACK-release-/" | xargs -r docker config rm >/dev/null
fi
echo "swarm: release $RELEASE_ID ($COMMIT) serves on stack $STACK after $(($(date +%s) - started)) s"
