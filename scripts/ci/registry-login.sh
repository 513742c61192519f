# Sourced by the scripts/ci jobs that talk to the registry (POSIX sh: job-image.sh runs in the
# plain Docker CLI image). Logs the Docker client in with the job's registry credentials, which
# GitLab provides; locally (no CI_REGISTRY_PASSWORD, a registry without auth) it does nothing.
# On a private project every pull and push needs it, the engine's own pulls included.
if [ -n "${CI_REGISTRY_PASSWORD:-}" ]; then
  echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
fi
