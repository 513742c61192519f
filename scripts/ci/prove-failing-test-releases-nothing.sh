#!/usr/bin/env bash
# Proof that the pipeline gates releases on tests: commit a deliberately failing test on top of
# HEAD (in a throwaway clone), run the pipeline, and require that it fails and that the registry
# holds no image for that commit.
set -euo pipefail
cd "$(dirname "$0")/../.."
REGISTRY=${LOCAL_REGISTRY:-127.0.0.1:5000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The clone has no node_modules: use this checkout's gitlab-ci-local (never link node_modules
# into the clone: the build job's `npm ci` would empty the linked folder).
export GITLAB_CI_LOCAL="$PWD/node_modules/.bin/gitlab-ci-local"
git clone -q . "$WORK/repo"
cd "$WORK/repo"
mkdir -p test/unit
cat >test/unit/deliberately-failing.test.ts <<'TS'
it('fails on purpose (scripts/ci/prove-failing-test-releases-nothing.sh)', () => {
  expect(1 + 1).toBe(3);
});
TS
git add test/unit/deliberately-failing.test.ts
git -c user.name=ci -c user.email=ci@localhost commit -qm "a deliberately failing test"
SHA=$(git rev-parse HEAD)
if bash scripts/ci/pipeline-local.sh >"$WORK/pipeline.log" 2>&1; then
  tail -40 "$WORK/pipeline.log"
  echo "FAIL: the pipeline passed with a failing test" >&2
  exit 1
fi
grep -E "deliberately-failing|Tests:|●.*›" "$WORK/pipeline.log" | head -10 || true
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REGISTRY/v2/image-resizer/manifests/$SHA")
if [ "$code" != 404 ]; then
  echo "FAIL: the registry answers $code for image-resizer:$SHA: something was pushed" >&2
  exit 1
fi
if grep -q "release-image.*starting" "$WORK/pipeline.log"; then
  echo "FAIL: release-image ran" >&2
  exit 1
fi
echo "PASS: the pipeline stopped at the test stage; nothing was pushed for $SHA"
