# Shared by scripts/swarm/*.sh (sourced, not run). Reads one environment's settings and makes
# sure the Docker engine in use is a swarm manager.

swarm_fail() {
  echo "swarm: $*" >&2
  exit 1
}

# swarm_load_env <environment>: STACK, NGINX_PORT, APP_CONFIG, APP_REPLICAS from
# deploy/<environment>/compose.env (the same file the compose deploy used: one place per
# environment). DEPLOY_STACK, DEPLOY_NGINX_PORT, DEPLOY_APP_CONFIG and DEPLOY_REPLICAS override
# them (tests run a second stack of the same environment beside the real one).
swarm_load_env() {
  local environment=$1 file="deploy/$1/compose.env"
  [ -f "$file" ] || swarm_fail "no settings for environment '$environment' ($file)"
  set -a
  # shellcheck disable=SC1090
  . "$file"
  set +a
  STACK=${DEPLOY_STACK:-$COMPOSE_PROJECT_NAME}
  NGINX_PORT=${DEPLOY_NGINX_PORT:-$NGINX_PORT}
  APP_CONFIG=${DEPLOY_APP_CONFIG:-$APP_CONFIG}
  APP_REPLICAS=${DEPLOY_REPLICAS:-${APP_REPLICAS:-2}}
  # Not for `docker compose config`: it gets -p "$STACK" explicitly.
  unset COMPOSE_PROJECT_NAME
  export STACK NGINX_PORT APP_CONFIG APP_REPLICAS
  [[ "$STACK" =~ ^[a-z0-9][a-z0-9_-]{0,30}$ ]] || swarm_fail "stack name '$STACK': 1-31 of a-z 0-9 _ -"
}

# The engine must be a swarm manager. The local engine (no DOCKER_HOST, or a unix socket) is
# made a one-node swarm if it is not one yet: that is what `npm run pipeline:local` and the
# tests need, and it changes nothing for `docker compose`. A remote engine is never enrolled
# silently: a production swarm is set up on purpose (docs/releases.md).
swarm_ensure() {
  local state
  state=$(docker info --format '{{.Swarm.LocalNodeState}}') || swarm_fail "no Docker engine answers"
  if [ "$state" = inactive ]; then
    case "${DOCKER_HOST:-unix://}" in
      unix://*)
        echo "swarm: the local engine is not in swarm mode; making it a one-node swarm"
        docker swarm init --advertise-addr 127.0.0.1 >/dev/null
        ;;
      *) swarm_fail "$DOCKER_HOST is not in swarm mode; set up the swarm first (docs/releases.md)" ;;
    esac
  elif [ "$state" != active ]; then
    swarm_fail "swarm state is '$state'"
  fi
  [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] ||
    swarm_fail "this engine is a swarm worker; deploy through a manager (DEPLOY_DOCKER_HOST)"
}

# The ledger: one swarm config per release that was deployed and passed its checks, named
# <stack>-release-<release id> (ids sort by time), holding that release's app config; its
# labels hold the image digest, the commit and the replica count. Swarm keeps configs in its
# replicated store, so any manager can roll back, and nothing depends on a CI runner's disk.
LEDGER_LABEL=io.image-resizer.ledger
swarm_ledger_ids() { # oldest first
  docker config ls --filter "label=$LEDGER_LABEL=$STACK" --format '{{.Name}}' |
    sed -n "s/^$STACK-release-//p" | sort
}
swarm_current_release() {
  docker service inspect "${STACK}_app" --format '{{index .Spec.Labels "io.image-resizer.release"}}' 2>/dev/null || true
}
