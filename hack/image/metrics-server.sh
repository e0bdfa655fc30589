#!/usr/bin/env bash
# A metrics-server image (METRICS_SERVER_VERSION, built by hack/build-tools.sh from its Go module) laid
# out as the public registry.k8s.io/metrics-server/metrics-server has it: the static binary as
# /metrics-server, its entrypoint. The chart's real-node test installs it into a virtual cluster, as a
# tenant installs metrics-server, for `kubectl top` against the syncer's kubelet API. No builder: the
# layer is the files (hack/lib/oci.sh).
#
#   hack/image/metrics-server.sh                    build when missing; print the archive path
#   hack/image/metrics-server.sh --import-realnode  also import it into the running real node
#   hack/image/metrics-server.sh --name             print the image name
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$HACK_DIR/lib/oci.sh"

NAME="vsyncer.local/metrics-server:$METRICS_SERVER_VERSION"
import=0
case "${1:-}" in
  --name) echo "$NAME"; exit 0 ;;
  --import-realnode) import=1 ;;
  "") ;;
  *) die metrics-server-image "unknown argument '$1' (want --import-realnode or --name)" ;;
esac

binary="$(bash "$HACK_DIR/build-tools.sh" --print-dir metrics-server)/metrics-server"
[[ -x "$binary" ]] || bash "$HACK_DIR/build-tools.sh" metrics-server >&2
key="$(cat "${BASH_SOURCE[0]}" "$HACK_DIR/lib/oci.sh" | sha256sum | cut -c1-12)"
archive="$IMAGE_CACHE/metrics-server-$METRICS_SERVER_VERSION-$key.oci.tar"
if [[ ! -f "$archive" ]]; then
  mkdir -p "$IMAGE_CACHE"
  work="$(mktemp -d "$IMAGE_CACHE/metrics-server.XXXX")"
  trap 'rm -rf "$work"' EXIT
  minimal_rootfs "$work/rootfs"
  cp "$binary" "$work/rootfs/metrics-server"
  oci_archive "$NAME" "$work/rootfs" '["/metrics-server"]' '[]' "$work/image.oci.tar"
  mv "$work/image.oci.tar" "$archive"
  find "$IMAGE_CACHE" -maxdepth 1 -name "metrics-server-*.oci.tar" ! -name "${archive##*/}" -delete
  echo "built $NAME: $(du -m "$archive" | cut -f1) MiB archive" >&2
fi
[[ $import == 0 ]] || import_into_realnode "$archive" "$NAME"
echo "$archive"
