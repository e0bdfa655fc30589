#!/usr/bin/env bash
# Builds vCluster's own syncer from its Go module, for running it side by side with vsyncer on the
# bench's clusters (issue 12's baseline was measured against v0.19). Cached outside the repo, keyed
# by version; prints the binary's path.
#   hack/vcluster/build.sh
#
# One dependency of the module, its telemetry client (github.com/loft-sh/analytics-client), is not
# served by this machine's module proxy; the build replaces it with a no-op client written here (the
# syncer records no telemetry). Everything else is the module at its tag.
#
# Run by hand between the clusters of `make up` (stop vsyncer first: hack/syncer.sh stop); what
# v0.19 needs outside its pod: helm on PATH (it looks for one at start and would download it), the
# host kubeconfig as KUBECONFIG, POD_NAME and NAMESPACE, the virtual cluster's CA for its proxy, and a
# kube-system/kube-dns Service in the virtual cluster (pods wait for its IP):
#   PATH="$(dirname "$(find ~/.cache/vsyncer/bin/helm-* -name helm -type f | head -1)"):$PATH" \
#   KUBECONFIG=.state/clusters/host.kubeconfig POD_NAME=vc NAMESPACE=vc-demo \
#   "$(hack/vcluster/build.sh)" start --name demo --target-namespace vc-demo --service-name demo \
#     --kube-config .state/clusters/virtual.kubeconfig --leader-elect=false --port 18443 \
#     --request-header-ca-cert .state/clusters/virtual/pki/ca.crt --client-ca-cert .state/clusters/virtual/pki/ca.crt \
#     --server-ca-cert .state/clusters/virtual/pki/ca.crt --server-ca-key .state/clusters/virtual/pki/ca.key
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

VCLUSTER_VERSION="${VCLUSTER_VERSION:-v0.19.0}"
out="$BIN_CACHE/vcluster-$VCLUSTER_VERSION/vcluster"
if [[ -x "$out" ]]; then
  echo "$out"
  exit 0
fi
command -v go >/dev/null || die vcluster "go is not installed (see TOOLCHAIN.md)"
export CGO_ENABLED=0 GOFLAGS="-trimpath -mod=mod" GOTOOLCHAIN=local
log="$VSYNC_CACHE/logs/vcluster-$VCLUSTER_VERSION.log"
work="$VSYNC_CACHE/src/vcluster-$VCLUSTER_VERSION"
mkdir -p "$(dirname "$log")" "$VSYNC_CACHE/src" "$(dirname "$out")"
: >"$log"
rm -rf "$work" "$work.stub"
mkdir -p "$work.stub/client"
module_dir="$(cd "$VSYNC_CACHE/src" && go mod download -json "github.com/loft-sh/vcluster@$VCLUSTER_VERSION" 2>>"$log" |
  sed -n 's/.*"Dir": "\(.*\)".*/\1/p')" || true
[[ -n "$module_dir" && -d "$module_dir" ]] ||
  die vcluster "github.com/loft-sh/vcluster@$VCLUSTER_VERSION could not be downloaded" "$log"
cp -r "$module_dir" "$work"
chmod -R u+w "$work"
cat >"$work.stub/go.mod" <<'MOD'
module github.com/loft-sh/analytics-client

go 1.21
MOD
cat >"$work.stub/client/client.go" <<'GO'
// Package client is a no-op stand-in for vCluster's telemetry client, which this machine's module
// proxy does not serve: the same names, recording nothing.
package client

type Object map[string]interface{}

type Event map[string]Object

type Client interface {
	RecordEvent(event Event)
	Flush()
}

var Dry = true

type noop struct{}

func (noop) RecordEvent(Event) {}
func (noop) Flush()            {}

func NewClient() Client { return noop{} }
GO
echo "building vCluster's syncer $VCLUSTER_VERSION (a few minutes; log: $log)" >&2
(cd "$work" && go mod edit -replace "github.com/loft-sh/analytics-client=$work.stub" &&
  go build -ldflags "-s -w" -o "$out.tmp" ./cmd/vcluster) >>"$log" 2>&1 ||
  die vcluster "build failed" "$log"
mv "$out.tmp" "$out"
echo "$out"
