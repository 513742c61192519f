#!/usr/bin/env bash
# After a deploy: the deployed commit answers /healthz, the stack is ready, and one real upload
# through nginx is stored. Exit 1 otherwise.
#   scripts/ci/smoke-test.sh http://127.0.0.1:8081 <commit sha>
set -euo pipefail
cd "$(dirname "$0")/../.."
URL=${1:?url}
COMMIT=${2:?commit}
for _ in $(seq 1 60); do
  revision=$(curl -sf "$URL/healthz" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).revision)}catch{}})' || true)
  [ "$revision" = "$COMMIT" ] && break
  sleep 1
done
[ "${revision:-}" = "$COMMIT" ] || { echo "smoke: $URL/healthz reports revision '${revision:-none}', expected $COMMIT" >&2; exit 1; }
echo "smoke: $URL runs $COMMIT"
status=$(curl -s -o /tmp/smoke-upload.json -w '%{http_code}' -F image=@test/fixtures/hostile/valid.jpg "$URL/v1/images?widths=32")
case "$status" in
  200 | 201) echo "smoke: upload answered $status: $(head -c 200 /tmp/smoke-upload.json)" ;;
  *) echo "smoke: upload answered $status: $(head -c 500 /tmp/smoke-upload.json)" >&2; exit 1 ;;
esac
