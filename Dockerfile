# image-resizer: multi-stage build. Every stage uses the same base (Debian trixie, glibc), because
# sharp's prebuilt libvips binaries (and @napi-rs/blake-hash's) are chosen by libc at `npm ci` time.
#
#   docker build -t image-resizer --build-arg GIT_COMMIT=$(git rev-parse HEAD) .
#   docker build --target release ...     # CI: package the dist/ already built by the pipeline
#
# No `# syntax=` line: the engine's built-in BuildKit frontend supports cache mounts, and a
# syntax line would make BuildKit pull a frontend image first.
ARG NODE_IMAGE=node:24-trixie-slim

# --- all dependencies, for compiling -------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# --- compile TypeScript to dist/, with build-info.json ---------------------------------------------
FROM deps AS build
ARG GIT_COMMIT=unknown
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/write-build-info.mjs scripts/
COPY src src
RUN GIT_COMMIT="$GIT_COMMIT" npm run build

# --- production dependencies only -------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# --- the runtime, without the application code yet --------------------------------------------------
FROM ${NODE_IMAGE} AS runtime-base
ARG GIT_COMMIT=unknown
ARG VERSION=0.0.0
ARG BUILD_DATE=unknown
ARG SOURCE_URL=unknown
LABEL org.opencontainers.image.title="image-resizer" \
      org.opencontainers.image.description="Stateless image-resizing service: upload, resize into variants, store in S3" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT"
# MALLOC_ARENA_MAX=2: glibc otherwise keeps up to 8 malloc arenas per core, and libvips' worker
# threads fragment them; sharp's docs recommend it (or jemalloc). Measured here, see README.
# --max-semi-space-size=4 (MiB; Node's own young generation is 32-64 MiB with 768 MiB or more to
# use, 2 MiB with 512 MiB or less, which this raises to 8): every upload arrives as 64 KiB socket
# Buffers that die young, but V8 frees them only when it collects the young generation, and a
# large one fills so slowly that V8's 64 MiB external-memory step starts a full collection
# first, every ~40 uploads. A small one frees them in cheap scavenges: 0.4-1.6 ms less CPU per
# /v1/resize request, ~1 ms per dedupe hit, up to ~1% more per /v1/images upload, 20-46 MiB less
# peak RSS (docs/performance.md, "Young generation"). Only NODE_OPTIONS or a flag can set it (V8
# sizes the young generation at start); an operator setting NODE_OPTIONS keeps this flag in it.
# MALLOC_MMAP_THRESHOLD_=16 MiB, MALLOC_TRIM_THRESHOLD_=32 MiB (bytes; setting either turns
# glibc's sliding thresholds off, so both): the service frees each shared decode (up to 16 MB)
# as soon as its variants are made, and with glibc's own thresholds that memory went back to the
# kernel and the next upload faulted it in again (up to ~300 page faults, ~2 ms of system time
# per /v1/images upload). Kept in the arena, it is reused: 3.9 ms less CPU per upload, +5%
# uploads/s (docs/performance.md, "The shared copy freed at once"). Blocks above 16 MiB (big
# uploads) still get a mapping of their own, unmapped when freed.
# The benchmarks and a test run dist/server.js with every MALLOC_* variable and NODE_OPTIONS.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=16777216 \
    MALLOC_TRIM_THRESHOLD_=33554432 \
    NODE_OPTIONS=--max-semi-space-size=4 \
    PORT=3000
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
USER node
EXPOSE 3000
# Liveness with node itself (the slim image has no curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node as PID 1's child (compose: init: true), never `npm start`: npm does not forward SIGTERM.
CMD ["node", "dist/server.js"]

# --- release: dist/ from the build context (the pipeline's build artifact, no recompile) ------------
FROM runtime-base AS release
COPY --chown=root:root dist ./dist

# --- default: compile here ---------------------------------------------------------------------------
FROM runtime-base AS runtime
COPY --from=build --chown=root:root /app/dist ./dist
