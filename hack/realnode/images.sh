#!/usr/bin/env bash
# Builds the real node's images without a registry, as OCI archives cached by content:
#   vsyncer.local/pause:v1        the sandbox image (images/pause, Go)
#   vsyncer.local/httpserver:v1   answers hostname, client and path (images/httpserver, Go)
#   vsyncer.local/busybox:1.35.0  Debian's busybox-static with its applets linked under /bin
#
#   hack/realnode/images.sh         build what is missing; print the archive paths, one per line
#   hack/realnode/images.sh --names print the image names, one per line
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

BUSYBOX=/bin/busybox
IMAGES=(pause httpserver busybox)
image_name() {
  case "$1" in
    pause) echo "vsyncer.local/pause:v1" ;;
    httpserver) echo "vsyncer.local/httpserver:v1" ;;
    busybox) echo "vsyncer.local/busybox:$(busybox_version)" ;;
  esac
}
busybox_version() { dpkg-query -W -f '${Version}' busybox-static | sed 's/^[0-9]*://; s/-.*//'; }
if [[ "${1:-}" == "--names" ]]; then
  for i in "${IMAGES[@]}"; do image_name "$i"; done
  exit 0
fi

[[ -x "$BUSYBOX" ]] || die realnode/images "$BUSYBOX not found (apt-get install busybox-static)"
require_tool go "install Go 1.26+"
src="$HACK_DIR/realnode/images"
# The cache key: the image sources, this script and the busybox package version.
key="$( (cat "$src"/go.mod "$src"/*/main.go "${BASH_SOURCE[0]}"; busybox_version) | sha256sum | cut -c1-12)"
out="$BIN_CACHE/realnode-images-$key"
if [[ -f "$out/done" ]]; then
  for i in "${IMAGES[@]}"; do echo "$out/$i.oci.tar"; done
  exit 0
fi
log="$VSYNC_CACHE/logs/build-realnode-images-$key.log"
mkdir -p "$(dirname "$log")"; : >"$log"
echo "building real-node images ($key); log: $log" >&2
work="$out.tmp"; rm -rf "$work"; mkdir -p "$work"

# oci_archive NAME ROOTFS ENTRYPOINT_JSON CMD_JSON: one uncompressed layer, linux/amd64.
oci_archive() {
  local name="$1" rootfs="$2" entrypoint="$3" cmd="$4" dir; dir="$(mktemp -d "$work/oci.XXXX")"
  mkdir -p "$dir/blobs/sha256"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
  local layer; layer="$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)"
  mv "$dir/layer.tar" "$dir/blobs/sha256/$layer"
  blob() { local d; d="$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; printf '%s' "$1" >"$dir/blobs/sha256/$d"; echo "$d"; }
  local config manifest
  config="$(blob "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":$entrypoint,\"Cmd\":$cmd,\"Env\":[\"PATH=/bin:/usr/bin:/sbin:/usr/sbin\"],\"WorkingDir\":\"/\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer\"]}}")"
  local csize lsize; csize="$(stat -c %s "$dir/blobs/sha256/$config")"; lsize="$(stat -c %s "$dir/blobs/sha256/$layer")"
  manifest="$(blob "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config\",\"size\":$csize},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$layer\",\"size\":$lsize}]}")"
  local msize; msize="$(stat -c %s "$dir/blobs/sha256/$manifest")"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$msize" "$(image_name "$name")" "$(image_name "$name" | sed 's/.*://')" >"$dir/index.json"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir" -cf "$work/$name.oci.tar" oci-layout index.json blobs
  rm -rf "$dir"
}

base_rootfs() { mkdir -p "$1"/{etc,tmp,proc,sys,dev,var/run}; chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"; }

for prog in pause httpserver; do
  base_rootfs "$work/$prog-rootfs"
  (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath nice -n 10 go build -ldflags "-s -w" \
    -o "$work/$prog-rootfs/$prog" "./$prog") >>"$log" 2>&1 || die realnode/images "go build $prog failed" "$log"
  oci_archive "$prog" "$work/$prog-rootfs" "[\"/$prog\"]" "[]"
done
rootfs="$work/busybox-rootfs"; base_rootfs "$rootfs"; mkdir -p "$rootfs/bin"
cp "$BUSYBOX" "$rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do [[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"; done
oci_archive busybox "$rootfs" 'null' '["sh"]'
rm -rf "$work"/*-rootfs
touch "$work/done"
rm -rf "$out" && mv "$work" "$out"
for i in "${IMAGES[@]}"; do echo "$out/$i.oci.tar"; done
