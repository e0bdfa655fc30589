#!/usr/bin/env bash
# The virtual control plane's image for the chart's vanilla distro (controlPlane.distro=vanilla), made
# here from the pinned builds of hack/build-tools.sh: kube-apiserver, kube-controller-manager and
# kube-scheduler (KUBE_VERSION) and etcd (ETCD_VERSION), static binaries in /usr/local/bin, as the
# public images registry.k8s.io/kube-apiserver, kube-controller-manager, kube-scheduler and etcd lay
# them out, and CoreDNS (COREDNS_VERSION) as /coredns, where registry.k8s.io/coredns/coredns has it;
# so one chart command line serves both. One image holds all five (the chart takes an image per
# component; set each to this one). No builder is needed: the layer is the files (hack/lib/oci.sh).
#
#   hack/image/control-plane.sh                    build when missing; print the archive path
#   hack/image/control-plane.sh --import-realnode  also import it into the running real node
#   hack/image/control-plane.sh --name             print the image name
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$HACK_DIR/lib/oci.sh"

NAME="vsyncer.local/kube-control-plane:$KUBE_VERSION-etcd$ETCD_VERSION-coredns$COREDNS_VERSION"
files_image_args control-plane-image "$NAME" "$@"

bins=("$BIN_CACHE/kubernetes-$KUBE_VERSION/kube-apiserver" "$BIN_CACHE/kubernetes-$KUBE_VERSION/kube-controller-manager"
  "$BIN_CACHE/kubernetes-$KUBE_VERSION/kube-scheduler"
  "$BIN_CACHE/etcd-$ETCD_VERSION/etcd")
coredns="$(bash "$HACK_DIR/build-tools.sh" --print-dir coredns)/coredns"
for b in "${bins[@]}"; do
  [[ -x "$b" ]] || die control-plane-image "$b missing: run 'make tools' first"
done
[[ -x "$coredns" ]] || bash "$HACK_DIR/build-tools.sh" coredns >&2

fill() {
  mkdir -p "$1/usr/local/bin"
  cp "${bins[@]}" "$1/usr/local/bin/"
  cp "$coredns" "$1/coredns"
}
files_image "$NAME" kube-control-plane "$KUBE_VERSION-etcd$ETCD_VERSION-coredns$COREDNS_VERSION" 'null' fill
