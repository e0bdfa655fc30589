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
files_image_args metrics-server-image "$NAME" "$@"

binary="$(bash "$HACK_DIR/build-tools.sh" --print-dir metrics-server)/metrics-server"
[[ -x "$binary" ]] || bash "$HACK_DIR/build-tools.sh" metrics-server >&2

fill() { cp "$binary" "$1/metrics-server"; }
files_image "$NAME" metrics-server "$METRICS_SERVER_VERSION" '["/metrics-server"]' fill
