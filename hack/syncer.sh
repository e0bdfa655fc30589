#!/usr/bin/env bash
# Starts or stops the built syncer (dist/) between the clusters of the state dir, for `make up/down`.
#   hack/syncer.sh start|stop|status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

PID_FILE="$STATE_DIR/syncer.pid"
LOG="$STATE_DIR/logs/syncer.log"
PORT_FILE="$STATE_DIR/syncer.metrics-port"
# The chart's default (vanilla.coredns.image): only its name matters on kwok's nodes.
COREDNS_IMAGE="registry.k8s.io/coredns/coredns:v1.12.1"

# The PID file's process, if it is still the syncer (a stale file's PID may be another process now).
running() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q vsyncer
}

case "${1:-}" in
  start)
    running && { echo "syncer already running (pid $(cat "$PID_FILE"))"; exit 0; }
    [[ -f dist/cmd/vsyncer.js ]] || die syncer "dist/cmd/vsyncer.js missing: run 'npm run build'"
    mkdir -p "$STATE_DIR/logs"
    port="$("$NODE_BIN" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
    echo "$port" >"$PORT_FILE"
    # The virtual nodes' kubelet API (kubectl logs, exec, port-forward), with the certificates the
    # virtual API server trusts (hack/cluster made them).
    kubelet_port="$("$NODE_BIN" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
    read -r kubelet_cert kubelet_key kubelet_ca < <("$NODE_BIN" -e "const k=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')).virtualKubelet;console.log(k.certFile,k.keyFile,k.clientCaFile)" "$STATE_DIR/clusters.json")
    # Pods' nameserver: with the real node, the virtual kube-dns Service `up` made for its host CoreDNS
    # (hack/realnode/dns.ts); otherwise the kube-dns Service and CoreDNS Deployment the syncer makes in
    # the virtual kube-system, as the chart has it do (kwok runs nothing, so nothing answers there).
    # CLUSTER_DNS_IP overrides both.
    if [[ -n "${CLUSTER_DNS_IP+set}" ]]; then
      dns_args=(--cluster-dns-ip="$CLUSTER_DNS_IP")
    elif [[ -f "$STATE_DIR/realnode.json" ]]; then
      dns_args=(--cluster-dns-ip=)
    else
      dns_args=(--cluster-dns-ip= --coredns-image="$COREDNS_IMAGE")
    fi
    # Its endpoints name the host's bridge address (a private one): the tenant may name that one. Its
    # node pulls from no registry: the hosts-rewrite init container (pods with a hostname and a
    # subdomain, a StatefulSet's) runs the busybox image the node was given (sh and awk are all it needs).
    realnode_args=()
    if [[ -f "$STATE_DIR/realnode.json" ]]; then
      read -r gateway busybox < <("$NODE_BIN" -e "const r=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));console.log(r.gateway,r.images.busybox)" "$STATE_DIR/realnode.json")
      realnode_args=(--allowed-endpoint-cidr "$gateway/32" --hosts-rewrite-image "$busybox")
    fi
    # Run as the image runs it: the same V8 flags (the Dockerfile's ENTRYPOINT) and environment (its ENV).
    flags="$("$NODE_BIN" hack/node-flags.ts)" || die syncer "cannot read the syncer's node flags from the Dockerfile"
    read -ra node_flags <<<"$flags"
    image_env="$("$NODE_BIN" hack/node-flags.ts --env)" || die syncer "cannot read the syncer's environment from the Dockerfile"
    read -ra env_vars <<<"$(tr '\n' ' ' <<<"$image_env")"
    setsid env "${env_vars[@]}" "$NODE_BIN" "${node_flags[@]}" dist/cmd/vsyncer.js start \
      --name "$VC_NAME" --host-namespace "$HOST_NAMESPACE" \
      --host-kubeconfig "$STATE_DIR/host.kubeconfig" --virtual-kubeconfig "$STATE_DIR/virtual.kubeconfig" \
      --metrics-bind-address "127.0.0.1:$port" "${dns_args[@]}" \
      --kubeconfig-secret "vc-$VC_NAME" --set-owner \
      --kubelet-bind-address "127.0.0.1:$kubelet_port" --kubelet-tls-cert-file "$kubelet_cert" \
      --kubelet-tls-key-file "$kubelet_key" --kubelet-client-ca-file "$kubelet_ca" \
      --log-format text "${realnode_args[@]}" ${SYNCER_ARGS:-} >>"$LOG" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    for _ in $(seq 1 60); do
      # The process just started (its command line may still be this script's before setsid runs).
      kill -0 "$(cat "$PID_FILE")" 2>/dev/null || die syncer "exited during startup" "$LOG"
      curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && { echo "syncer ready (pid $(cat "$PID_FILE"), metrics http://127.0.0.1:$port/metrics, log $LOG)"; exit 0; }
      sleep 1
    done
    die syncer "not ready after 60s" "$LOG"
    ;;
  stop)
    if running; then
      pid="$(cat "$PID_FILE")"
      kill -TERM "$pid" 2>/dev/null || true
      # Its shutdown lets in-flight reconciles finish (30 s by default), then releases the lease.
      for _ in $(seq 1 140); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    ;;
  status)
    if running; then echo "syncer: running (pid $(cat "$PID_FILE"))"; else echo "syncer: stopped"; fi
    ;;
  *) die syncer "usage: hack/syncer.sh start|stop|status" ;;
esac
