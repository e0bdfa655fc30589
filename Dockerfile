# syntax=docker/dockerfile:1
# The vsyncer image: the syncer that runs beside k3s in a virtual cluster's control-plane pod.
# Build: docker build -t vsyncer:dev .   (the build stage type-checks and bundles the syncer with its
# production dependencies into dist/ (hack/bundle.ts); the final stage holds only dist/ and
# package.json, runs as a non-root user, and writes nothing at run time, so the pod can set
# readOnlyRootFilesystem).
# BASE is the image both stages start from (Node 24 with npm and a shell). Published builds keep
# the public default; `make image` builds here offline with a base made from Debian packages and
# npm's Node binary (hack/image/base.sh) and passes --build-arg BASE=vsyncer.local/node-base:<tag>.
ARG BASE=node:24.9.0-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY hack/bundle.ts ./hack/bundle.ts
COPY src ./src
COPY cmd ./cmd
RUN npm run build

FROM ${BASE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="vsyncer" \
      org.opencontainers.image.description="Syncer for Kubernetes virtual clusters: tenant objects down to the host namespace, status and events back up" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/vsyncer"
# Stack traces name the bundle's lines; dist/cmd/vsyncer.js.map maps them back to src/. Set
# NODE_OPTIONS=--enable-source-maps in the container's environment to log TypeScript lines, at
# about 20 MB more memory, which is why it is not the default.
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=""
# glibc gives each thread that allocates (V8's compiler and GC helpers, libuv's pool) an arena of its
# own, and keeps what it freed there; two arenas in all: RSS after a 200-pod burst 93 MB instead of
# 96-103, at the same CPU per pod within the rounds' noise (docs/metrics.md). hack/syncer.sh and
# bench/lib/rig.ts set this environment too (hack/node-flags.ts --env).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build --chown=65532:65532 /src/package.json ./package.json
COPY --from=build --chown=65532:65532 /src/dist ./dist
USER 65532:65532
EXPOSE 8080
# No HEALTHCHECK on purpose: Kubernetes probes /healthz and /readyz on the metrics port.
# A young generation of 4 MB semi-spaces instead of V8's default: after a burst V8 keeps what it grew,
# and the smaller young generation kept RSS 17-35% lower at the same or less CPU per pod (make bench,
# 200 and 1,000 pods; docs/metrics.md). A heap that grows by 20% instead of V8's default factor (up
# to 4x for a fast collector): RSS after a 200-pod burst 117 MB instead of 150, after 1,000 pods 134
# instead of 198, for up to a tenth more CPU per pod (docs/metrics.md).
# hack/syncer.sh and bench/lib/rig.ts read these flags from here (hack/node-flags.ts).
ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=20", "/app/dist/cmd/vsyncer.js"]
CMD ["start"]
