#!/usr/bin/env bash
# Builds every control-plane binary the tests and `make up` need from pinned Go modules,
# into $VSYNC_CACHE/bin/<component>-<version>/. A component already built is reused.
#
#   hack/build-tools.sh [kubernetes|etcd|kwok|helm|node|crictl|coredns|metrics-server|cert-manager|external-secrets ...]
#                                     (default: all but node, crictl, coredns, metrics-server, cert-manager, external-secrets)
#   hack/build-tools.sh --print-dir COMPONENT             (where its binaries live)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

require_tool go "install Go 1.26+ (the go machine image ships it in /usr/local/go/bin)"
export CGO_ENABLED=0 GOFLAGS="-trimpath -mod=mod" GOTOOLCHAIN=local

component_dir() {
  case "$1" in
    kubernetes) echo "$BIN_CACHE/kubernetes-$KUBE_VERSION" ;;
    etcd) echo "$BIN_CACHE/etcd-$ETCD_VERSION" ;;
    kwok) echo "$BIN_CACHE/kwok-$KWOK_VERSION" ;;
    helm) echo "$BIN_CACHE/helm-$HELM_VERSION" ;;
    node) echo "$BIN_CACHE/node-$NODE_KUBE_VERSION" ;;
    crictl) echo "$BIN_CACHE/crictl-$CRICTL_VERSION" ;;
    coredns) echo "$BIN_CACHE/coredns-$COREDNS_VERSION" ;;
    metrics-server) echo "$BIN_CACHE/metrics-server-$METRICS_SERVER_VERSION" ;;
    cert-manager) echo "$BIN_CACHE/cert-manager-$CERT_MANAGER_VERSION" ;;
    external-secrets) echo "$BIN_CACHE/external-secrets-$EXTERNAL_SECRETS_VERSION" ;;
    *) die "build-tools" "unknown component '$1' (want kubernetes, etcd, kwok, helm, node, crictl, coredns, metrics-server, cert-manager or external-secrets)" ;;
  esac
}

# prepare_module DIR MODULE@VERSION TOOL_PACKAGE...: a throwaway Go module that requires the
# component at a pinned version and lists its commands as tools, so `go build` can resolve them.
prepare_module() {
  local dir="$1" mod="$2"; shift 2
  rm -rf "$dir" && mkdir -p "$dir"
  {
    echo "module vsyncer.local/build"
    echo
    echo "go 1.26"
    echo
    echo "require ${mod%@*} ${mod#*@}"
    for pkg in "$@"; do echo "tool $pkg"; done
  } >"$dir/go.mod"
}

# run_logged COMPONENT LOG CMD...: run a build step, fail with one line naming component and log.
run_logged() {
  local component="$1" log="$2"; shift 2
  if ! "$@" >>"$log" 2>&1; then
    local hint="build failed"
    grep -qiE 'dial tcp|proxy|no such host|connection refused|i/o timeout|410 Gone|404 Not Found' "$log" && hint="Go module download failed"
    die "$component" "$hint: $*" "$log"
  fi
}

# build_k8s COMPONENT VERSION CMD...: commands of k8s.io/kubernetes at VERSION into component_dir.
build_k8s() {
  local component="$1" version="$2"; shift 2
  local cmds=("$@") out; out="$(component_dir "$component")"
  local c missing=0
  for c in "${cmds[@]}"; do [[ -x "$out/${c##*/}" ]] || missing=1; done
  [[ $missing == 0 ]] && return 0
  local work="$VSYNC_CACHE/src/$component-$version" log="$VSYNC_CACHE/logs/build-$component-$version.log"
  mkdir -p "$(dirname "$log")"; : >"$log"
  echo "building $component $version (${cmds[*]##*/}); log: $log" >&2
  prepare_module "$work" "k8s.io/kubernetes@$version" "${cmds[@]}"
  # k8s.io/kubernetes maps its staging modules to ./staging; point each at its published tag instead.
  local gomod staging_version="v0${version#v1}"
  gomod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$version" 2>>"$log" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')" || true
  [[ -f "$gomod" ]] || die "$component" "Go module download failed for k8s.io/kubernetes@$version" "$log"
  grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk '{print $1}' | while read -r m; do
    echo "replace $m => $m $staging_version" >>"$work/go.mod"
  done
  (cd "$work" && run_logged "$component" "$log" go mod tidy) || exit 1
  local major="${version#v}"; major="${major%%.*}"
  local minor="${version#v*.}"; minor="${minor%%.*}"
  local ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$out.tmp"
  (cd "$work" && run_logged "$component" "$log" go build -ldflags "$ldflags" -o "$out.tmp/" "${cmds[@]}") || exit 1
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# copy_module_replaces DIR MODULE@VERSION LOG: a module's own `replace` directives count only when it
# is the main module; append to DIR's go.mod those that point at another published module (not at a
# local path), so the component builds with the dependencies its release was built with.
copy_module_replaces() {
  local dir="$1" mod="$2" log="$3" gomod
  gomod="$(cd "$dir" && go mod download -json "$mod" 2>>"$log" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')" || true
  [[ -f "$gomod" ]] || return 1
  awk '/^replace \(/ { block = 1; next }
       block && /^\)/ { block = 0; next }
       block { print "replace " $0; next }
       /^replace / { print }' "$gomod" |
    sed -E 's/^replace[[:space:]]+/replace /' | grep -E '=>[[:space:]]*[^./[:space:]][^[:space:]]*[[:space:]]+v[0-9]' >>"$dir/go.mod" || true
}

# build_simple [--module-replaces] COMPONENT MODULE@VERSION OUTPUT_NAME=PACKAGE...
# --module-replaces: also apply the component module's own replace directives (copy_module_replaces).
build_simple() {
  local replaces=0
  [[ "$1" == "--module-replaces" ]] && { replaces=1; shift; }
  local component="$1" mod="$2"; shift 2
  local out; out="$(component_dir "$component")"
  local missing=0 pair
  for pair in "$@"; do [[ -x "$out/${pair%%=*}" ]] || missing=1; done
  [[ $missing == 0 ]] && return 0
  local work="$VSYNC_CACHE/src/$component-${mod#*@}" log="$VSYNC_CACHE/logs/build-$component-${mod#*@}.log"
  mkdir -p "$(dirname "$log")"; : >"$log"
  echo "building $component ${mod#*@}; log: $log" >&2
  local pkgs=(); for pair in "$@"; do pkgs+=("${pair#*=}"); done
  prepare_module "$work" "$mod" "${pkgs[@]}"
  if [[ $replaces == 1 ]]; then
    copy_module_replaces "$work" "$mod" "$log" || die "$component" "Go module download failed for $mod" "$log"
  fi
  # run_logged's die only ends the ( ) subshell: `|| exit 1` stops the build here too.
  (cd "$work" && run_logged "$component" "$log" go mod tidy) || exit 1
  mkdir -p "$out.tmp"
  for pair in "$@"; do
    (cd "$work" && run_logged "$component" "$log" go build -ldflags "-s -w" -o "$out.tmp/${pair%%=*}" "${pair#*=}") || exit 1
  done
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# kwok refuses to run without stage definitions; the module ships them under kustomize/stage.
copy_kwok_stages() {
  local out; out="$(component_dir kwok)/stages"
  [[ -f "$out/pod-ready.yaml" ]] && return 0
  local src; src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  [[ -d "$src" ]] || (cd "$VSYNC_CACHE/src/kwok-$KWOK_VERSION" && go mod download "sigs.k8s.io/kwok@$KWOK_VERSION") \
    || die kwok "Go module download failed for sigs.k8s.io/kwok@$KWOK_VERSION"
  mkdir -p "$out.tmp"
  local f
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cp "$src/$f" "$out.tmp/" || die kwok "stage file $f missing from sigs.k8s.io/kwok@$KWOK_VERSION"
  done
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_component() {
  case "$1" in
    kubernetes)
      build_k8s kubernetes "$KUBE_VERSION" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
      ;;
    # The real node (hack/realnode, opt-in): kubelet and kube-proxy, pinned apart from the control plane.
    node) build_k8s node "$NODE_KUBE_VERSION" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy ;;
    crictl) build_simple crictl "sigs.k8s.io/cri-tools@$CRICTL_VERSION" "crictl=sigs.k8s.io/cri-tools/cmd/crictl" ;;
    # The virtual cluster's DNS beside the real node (hack/realnode/dns.ts), the default plugin set.
    coredns) build_simple coredns "github.com/coredns/coredns@$COREDNS_VERSION" "coredns=github.com/coredns/coredns" ;;
    # A tenant's metrics-server in the chart's real-node test (hack/image/metrics-server.sh).
    metrics-server)
      build_simple metrics-server "sigs.k8s.io/metrics-server@$METRICS_SERVER_VERSION" \
        "metrics-server=sigs.k8s.io/metrics-server/cmd/metrics-server"
      ;;
    # The host's cert-manager in the cert-manager e2e test (the controller only: no webhook, no cainjector).
    cert-manager)
      build_simple cert-manager "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" \
        "controller=github.com/cert-manager/cert-manager/cmd/controller"
      ;;
    # The host's External Secrets Operator in the external-secrets e2e test (run as the controller only:
    # no webhook, no cert-controller). Its main package is the module root; its go.mod replaces sprig with
    # ESO's fork (the template functions ExternalSecrets render with), hence --module-replaces.
    external-secrets)
      build_simple --module-replaces external-secrets "github.com/external-secrets/external-secrets@$EXTERNAL_SECRETS_VERSION" \
        "external-secrets=github.com/external-secrets/external-secrets"
      ;;
    etcd) build_simple etcd "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "etcd=go.etcd.io/etcd/server/v3" ;;
    kwok)
      build_simple kwok "sigs.k8s.io/kwok@$KWOK_VERSION" "kwok=sigs.k8s.io/kwok/cmd/kwok"
      copy_kwok_stages
      ;;
    helm) build_simple helm "helm.sh/helm/v3@$HELM_VERSION" "helm=helm.sh/helm/v3/cmd/helm" ;;
    *) component_dir "$1" >/dev/null ;;
  esac
}

if [[ "${1:-}" == "--print-dir" ]]; then
  component_dir "${2:?component}"
  exit 0
fi
components=("$@"); [[ ${#components[@]} -gt 0 ]] || components=(kubernetes etcd kwok helm)
# Components build side by side: one build's module downloads and linking overlap another's
# compiling (cold, on 2 cores: about 11 minutes instead of 16). Each failure prints its own line.
pids=()
for c in "${components[@]}"; do
  build_component "$c" &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit "$failed"
