#!/usr/bin/env bash
# Builds, from Debian packages only, local images under the names that Upshift's Dockerfiles and
# docker-compose.yml start FROM, for machines that cannot pull from a container registry
# (docs/adr/0087-container-images-and-compose.md):
#
#   debian:bookworm-slim   debootstrap --variant=minbase bookworm, imported with `docker import`
#   node:20-bookworm-slim  that + this machine's own Node 20 (Debian bookworm ships Node 18), laid out
#                          like the official image: /usr/local/bin/node, npm, npx, user `node` (uid 1000)
#   postgres:15            that + Debian's postgresql-15, with the slice of the official image's
#                          contract the compose file uses (POSTGRES_USER/PASSWORD/DB, pg_isready)
#   redis:7                that + Debian's redis-server 7, reachable from other containers
#
# Usage: deploy/build-base-image.sh [--force] [debian|node|postgres|redis ...] (default: all, each
# only when missing). DEBIAN_MIRROR overrides debootstrap's default mirror. Needs root, debootstrap,
# a running Docker engine and Node 20 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_IMAGE=debian:bookworm-slim
NODE_IMAGE=node:20-bookworm-slim
POSTGRES_IMAGE=postgres:15
REDIS_IMAGE=redis:7

force=false
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    debian | node | postgres | redis) wanted+=("$arg") ;;
    -h | --help)
      sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-base-image: unknown argument $arg (known: --force debian node postgres redis)" >&2
      exit 2
      ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(debian node postgres redis)

log() { echo "[base-image] $*"; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
want() { [[ " ${wanted[*]} " == *" $1 "* ]]; }
needed() { want "$1" && { $force || ! have_image "$2"; }; }

work=$(mktemp -d /tmp/upshift-base-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

build_debian() {
  command -v debootstrap >/dev/null || {
    echo "build-base-image: debootstrap is missing (apt-get install -y debootstrap)" >&2
    exit 1
  }
  log "debootstrap bookworm (minbase) → $DEBIAN_IMAGE"
  local rootfs=$work/rootfs
  # ${DEBIAN_MIRROR:-} empty: debootstrap's own default mirror.
  debootstrap --variant=minbase bookworm "$rootfs" ${DEBIAN_MIRROR:-} >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  # What the official slim image also leaves out: package lists, caches, logs, docs and man pages.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  # Images never start services from maintainer scripts, and apt keeps no package cache.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod +x "$rootfs/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90upshift-slim"
  printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/91upshift-clean"
  tar -C "$rootfs" --numeric-owner -c . |
    docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

build_node() {
  local node version prefix
  node=$(readlink -f "$(command -v node)")
  version=$("$node" --version)
  case "$version" in
    v20.*) ;;
    *)
      echo "build-base-image: this machine's node is $version; $NODE_IMAGE needs Node 20" >&2
      exit 1
      ;;
  esac
  prefix=$(dirname "$(dirname "$node")")
  [ -f "$prefix/lib/node_modules/npm/bin/npm-cli.js" ] || {
    echo "build-base-image: npm not found under $prefix/lib/node_modules/npm" >&2
    exit 1
  }
  log "copying this machine's Node $version (npm $(npm --version)) → $NODE_IMAGE"
  local context=$work/node
  mkdir -p "$context/usr/local/bin" "$context/usr/local/lib/node_modules"
  cp "$node" "$context/usr/local/bin/node"
  cp -a "$prefix/lib/node_modules/npm" "$context/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$context/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$context/usr/local/bin/npx"
  tar -C "$context" -czf "$work/node.tar.gz" usr
  cat >"$work/Dockerfile.node" <<EOF
FROM $DEBIAN_IMAGE
# ADD unpacks the archive; the official image's user and group (uid and gid 1000).
ADD node.tar.gz /
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=${version#v}
CMD ["node"]
EOF
  docker build -q -t "$NODE_IMAGE" -f "$work/Dockerfile.node" "$work" >/dev/null
}

build_service_image() {
  local name=$1 image=$2
  log "Debian's $name → $image"
  docker build -q -t "$image" --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" -f "deploy/base/$name.Dockerfile" deploy/base >/dev/null
}

command -v docker >/dev/null && docker info >/dev/null 2>&1 || {
  echo "build-base-image: no Docker engine answers (start dockerd)" >&2
  exit 1
}
started=$SECONDS
# The other three start FROM debian:bookworm-slim, so it is built first whenever one of them is.
if needed debian "$DEBIAN_IMAGE" ||
  { ! have_image "$DEBIAN_IMAGE" && { needed node "$NODE_IMAGE" || needed postgres "$POSTGRES_IMAGE" || needed redis "$REDIS_IMAGE"; }; }; then
  build_debian
fi
if needed node "$NODE_IMAGE"; then build_node; fi
if needed postgres "$POSTGRES_IMAGE"; then build_service_image postgres "$POSTGRES_IMAGE"; fi
if needed redis "$REDIS_IMAGE"; then build_service_image redis "$REDIS_IMAGE"; fi
log "done in $((SECONDS - started)) s"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($DEBIAN_IMAGE|$NODE_IMAGE|$POSTGRES_IMAGE|$REDIS_IMAGE) " || true
