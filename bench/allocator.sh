#!/usr/bin/env bash
# Which allocator for sharp in the container: glibc defaults, MALLOC_ARENA_MAX=2, or jemalloc.
# Runs the image with each, sends rounds of 16 concurrent 12 MP uploads (3 variants each) and
# reports peak RSS (VmHWM), RSS after the load, and throughput. Needs Docker and `npm ci`.
#   bench/allocator.sh [image] [jemalloc-image]
# The jemalloc image is the app image plus Debian's libjemalloc2 (see README for how it was built).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-image-resizer:local}
JEMALLOC_IMAGE=${2:-}
ROUNDS=${ROUNDS:-4}
net=alloc-bench
docker network create "$net" >/dev/null 2>&1 || true
docker rm -f alloc-s3 alloc-app >/dev/null 2>&1 || true
docker run -d --name alloc-s3 --network "$net" -e S3_BUCKET=images chrislusf/seaweedfs:4.44 mini -dir=/data >/dev/null
trap 'docker rm -f alloc-s3 alloc-app >/dev/null 2>&1; docker network rm "$net" >/dev/null 2>&1' EXIT
sleep 3

run() { # name image env...
  local name=$1 image=$2
  shift 2
  docker rm -f alloc-app >/dev/null 2>&1 || true
  # node is PID 1 here (no --init), so /proc/1/status is the service's memory.
  docker run -d --name alloc-app --network "$net" -p 127.0.0.1:13000:3000 \
    -e S3_ENDPOINT=http://alloc-s3:8333 -e S3_BUCKET=images -e S3_FORCE_PATH_STYLE=true \
    -e AWS_ACCESS_KEY_ID=x -e AWS_SECRET_ACCESS_KEY=y -e MAX_QUEUED_JOBS=32 -e LOG_LEVEL=warn \
    "$@" "$image" >/dev/null
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:13000/readyz >/dev/null && break; sleep 0.2; done
  local start=$(date +%s%N)
  for r in $(seq 1 "$ROUNDS"); do npx tsx bench/upload-burst.ts http://127.0.0.1:13000 16 "$name-$r-$start" >/dev/null; done
  local secs=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 2
  local mem=$(docker exec alloc-app sh -c "grep -E 'VmHWM|VmRSS' /proc/1/status | tr -s ' ' | tr '\n' ' '")
  printf '%-22s %s  %d uploads in %d ms\n' "$name" "$mem" $((ROUNDS * 16)) "$secs"
}

run "glibc default" "$IMAGE" -e MALLOC_ARENA_MAX=
run "MALLOC_ARENA_MAX=2" "$IMAGE"
if [ -n "$JEMALLOC_IMAGE" ]; then
  run "jemalloc" "$JEMALLOC_IMAGE" -e MALLOC_ARENA_MAX= -e LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
fi
