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
source "$HACK_DIR/lib/oci.sh"

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
# The cache key: the image sources, these scripts and the busybox package version.
key="$( (cat "$src"/go.mod "$src"/*/main.go "${BASH_SOURCE[0]}" "$HACK_DIR/lib/oci.sh"; busybox_version) | sha256sum | cut -c1-12)"
out="$BIN_CACHE/realnode-images-$key"
if [[ -f "$out/done" ]]; then
  for i in "${IMAGES[@]}"; do echo "$out/$i.oci.tar"; done
  exit 0
fi
log="$VSYNC_CACHE/logs/build-realnode-images-$key.log"
mkdir -p "$(dirname "$log")"; : >"$log"
echo "building real-node images ($key); log: $log" >&2
work="$out.tmp"; rm -rf "$work"; mkdir -p "$work"

for prog in pause httpserver; do
  minimal_rootfs "$work/$prog-rootfs"
  (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath nice -n 10 go build -ldflags "-s -w" \
    -o "$work/$prog-rootfs/$prog" "./$prog") >>"$log" 2>&1 || die realnode/images "go build $prog failed" "$log"
  oci_archive "$(image_name "$prog")" "$work/$prog-rootfs" "[\"/$prog\"]" "[]" "$work/$prog.oci.tar"
done
rootfs="$work/busybox-rootfs"; minimal_rootfs "$rootfs"; mkdir -p "$rootfs/bin"
cp "$BUSYBOX" "$rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do [[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"; done
oci_archive "$(image_name busybox)" "$rootfs" 'null' '["sh"]' "$work/busybox.oci.tar"
rm -rf "$work"/*-rootfs
touch "$work/done"
rm -rf "$out" && mv "$work" "$out"
for i in "${IMAGES[@]}"; do echo "$out/$i.oci.tar"; done
