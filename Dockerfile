# syntax=docker/dockerfile:1
# Ballast CSI driver image: one binary (`ballast`) for the controller, node and reference-cloud modes.
# Build:  docker build -t ghcr.io/ballast-csi/ballast:0.1.0 --build-arg VERSION=0.1.0 .
#
# The Debian release of the base image (bookworm) is the one the runtime package names below are
# checked against by test/deploy/dockerfile.test.ts.
ARG NODE_IMAGE=node:24-bookworm-slim

# Compiles TypeScript with the dev dependencies. Scripts are skipped because `prepare` would run
# tsc before the sources are copied in.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, so nothing from the build toolchain reaches the runtime image.
FROM ${NODE_IMAGE} AS production-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="ballast" \
      org.opencontainers.image.description="Ballast CSI driver: Kubernetes block volumes from a cloud block-storage REST API" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.vendor="Ballast"
# The node plugin formats, mounts, grows and identifies block devices with these tools:
# mount/umount/losetup (mount), blkid/wipefs/blockdev/lsblk/findmnt (util-linux),
# mkfs.ext4/resize2fs/e2fsck/dumpe2fs (e2fsprogs), mkfs.xfs/xfs_growfs/xfs_db (xfsprogs), udevadm (udev).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      e2fsprogs \
      mount \
      udev \
      util-linux \
      xfsprogs \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ballast \
 && useradd --system --uid 10001 --gid ballast --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin ballast
ENV NODE_ENV=production
# V8 flags, each measured by `npm run bench` (docs/benchmarks.md, "Issue 15"), which starts the
# driver with them too (bench/harness/image-flags.ts):
# - the young generation grows to 2 x 16 MiB under load and stays; capped at 2 x 2 MiB the node
#   plugin holds 76-78 MiB RSS after 30 s of 32 RPCs in flight instead of 100-134 MiB;
# - V8 sizes the old generation from the host's memory, not the container's limit; capped at
#   128 MiB (4x the controller's 30 MiB live heap at the peak of a 1000-volume storm) the storm
#   peaks at 106-108 MiB RSS instead of 144-192 MiB.
# Together they cost the driver up to a fifth more CPU for the same work (about 10% per trivial
# RPC); memory is paid on every node, CPU only when RPCs come.
ENV NODE_OPTIONS="--max-semi-space-size=2 --max-old-space-size=128"
WORKDIR /opt/ballast
COPY --from=production-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
# The reference cloud validates every request and response against the OpenAPI document at run time.
COPY openapi ./openapi
RUN chmod 0755 bin/ballast && ln -s /opt/ballast/bin/ballast /usr/local/bin/ballast
# Non-root by default (controller, reference cloud); the node DaemonSet runs the same image as root,
# privileged, from its manifest.
USER 10001:10001
ENTRYPOINT ["ballast"]
CMD ["--help"]
