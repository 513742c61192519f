# Sourced by scripts/ci/deploy.sh and rollback.sh: points `docker` at the environment's
# persistent Docker host (its Swarm manager), never at the job's own engine, which dies with the
# job. Every value comes from CI/CD variables, protected, so only protected branches and tags
# (the ones that deploy) see them (docs/pipeline.md):
#   DEPLOY_DOCKER_HOST    tcp://manager.example.com:2376, ssh://deploy@manager.example.com, or
#                         unix:///var/run/docker.sock for a runner on the manager itself
#   DEPLOY_DOCKER_TLS_CA, DEPLOY_DOCKER_TLS_CERT, DEPLOY_DOCKER_TLS_KEY   (tcp://: file variables)
#   DEPLOY_SSH_KEY, DEPLOY_SSH_KNOWN_HOSTS                               (ssh://: file variables)
#   DEPLOY_URL            the environment's URL (the job's environment:url), for the smoke test
deploy_target_fail() { echo "deploy: $*" >&2; exit 1; }
[ -n "${DEPLOY_DOCKER_HOST:-}" ] ||
  deploy_target_fail "DEPLOY_DOCKER_HOST is not set: name the environment's Docker host (its Swarm manager) as a protected CI/CD variable; a deploy never goes to the job's own engine"
# The job's DinD settings (TLS to the service "docker") must not leak into the target's.
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH
export DOCKER_HOST="$DEPLOY_DOCKER_HOST"
case "$DEPLOY_DOCKER_HOST" in
  tcp://*)
    [ -n "${DEPLOY_DOCKER_TLS_CA:-}" ] && [ -n "${DEPLOY_DOCKER_TLS_CERT:-}" ] && [ -n "${DEPLOY_DOCKER_TLS_KEY:-}" ] ||
      deploy_target_fail "$DEPLOY_DOCKER_HOST is TCP: set DEPLOY_DOCKER_TLS_CA, DEPLOY_DOCKER_TLS_CERT and DEPLOY_DOCKER_TLS_KEY (file variables); a Docker API without TLS is root on that host for anyone who reaches it"
    DOCKER_CERT_PATH=$(mktemp -d)
    cp "$DEPLOY_DOCKER_TLS_CA" "$DOCKER_CERT_PATH/ca.pem"
    cp "$DEPLOY_DOCKER_TLS_CERT" "$DOCKER_CERT_PATH/cert.pem"
    cp "$DEPLOY_DOCKER_TLS_KEY" "$DOCKER_CERT_PATH/key.pem"
    export DOCKER_CERT_PATH DOCKER_TLS_VERIFY=1
    ;;
  ssh://*)
    [ -n "${DEPLOY_SSH_KEY:-}" ] && [ -n "${DEPLOY_SSH_KNOWN_HOSTS:-}" ] ||
      deploy_target_fail "$DEPLOY_DOCKER_HOST is SSH: set DEPLOY_SSH_KEY and DEPLOY_SSH_KNOWN_HOSTS (file variables; the host's key is pinned, never accepted blindly)"
    mkdir -p ~/.ssh && chmod 700 ~/.ssh
    cp "$DEPLOY_SSH_KNOWN_HOSTS" ~/.ssh/known_hosts
    cp "$DEPLOY_SSH_KEY" ~/.ssh/id_deploy && chmod 600 ~/.ssh/id_deploy
    printf 'Host *\n  IdentityFile ~/.ssh/id_deploy\n  StrictHostKeyChecking yes\n' >~/.ssh/config
    ;;
  unix://*) ;;
  *) deploy_target_fail "DEPLOY_DOCKER_HOST must be tcp://, ssh:// or unix://" ;;
esac
# The smoke test goes where the environment's users go. From a remote target, the job's own
# loopback is not the environment: refuse it rather than test the wrong thing.
[ -n "${DEPLOY_URL:-}" ] || deploy_target_fail "DEPLOY_URL is not set (the environment's URL)"
case "$DEPLOY_DOCKER_HOST" in
  unix://*) ;; # a runner on the target itself: its loopback is the environment's
  *)
    case "$DEPLOY_URL" in
      http://127.* | https://127.* | http://localhost* | https://localhost*)
        deploy_target_fail "DEPLOY_URL is $DEPLOY_URL, the job's own loopback, but the target is $DEPLOY_DOCKER_HOST: set STAGING_URL / PRODUCTION_URL to the environment's address"
        ;;
    esac
    ;;
esac
