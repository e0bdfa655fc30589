#!/usr/bin/env bash
# `make up`: a host cluster (kwok nodes), a virtual cluster, and the built syncer between them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

"$NODE_BIN" hack/cluster/cli.ts up --state-dir "$STATE_DIR"
KUBECTL="$(bash hack/build-tools.sh --print-dir kubernetes)/kubectl"
HOST_KC="$STATE_DIR/host.kubeconfig"
VIRTUAL_KC="$STATE_DIR/virtual.kubeconfig"

# What the Helm chart would create in the host namespace: the namespace, the workload service
# account synced pods run as, and the Service that fronts the virtual API server.
"$KUBECTL" --kubeconfig "$HOST_KC" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $HOST_NAMESPACE}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: vc-workload-$VC_NAME, namespace: $HOST_NAMESPACE}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Service
metadata: {name: $VC_NAME, namespace: $HOST_NAMESPACE}
spec:
  ports: [{name: https, port: 443, targetPort: 6443, protocol: TCP}]
YAML

# With the real node, its pods reach the virtual API server (listening on every address then) through
# the host's bridge address: the Service gets the endpoints the k3s pod would give it in a real install.
if [[ -f "$STATE_DIR/realnode.json" ]]; then
  read -r gateway api_port < <("$NODE_BIN" -e "const j=(f)=>JSON.parse(require('fs').readFileSync(f,'utf8'));console.log(j(process.argv[1]).gateway,new URL(j(process.argv[2]).virtual.server).port)" "$STATE_DIR/realnode.json" "$STATE_DIR/clusters.json")
  "$KUBECTL" --kubeconfig "$HOST_KC" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Endpoints
metadata: {name: $VC_NAME, namespace: $HOST_NAMESPACE}
subsets: [{addresses: [{ip: $gateway}], ports: [{name: https, port: $api_port, protocol: TCP}]}]
YAML
fi

bash hack/syncer.sh start
echo
echo "virtual cluster '$VC_NAME' is up; its objects sync into host namespace '$HOST_NAMESPACE'."
echo "  virtual kubeconfig: $VIRTUAL_KC"
echo "  host kubeconfig:    $HOST_KC"
echo "  kubectl:            $KUBECTL"
echo "try:"
echo "  $KUBECTL --kubeconfig $VIRTUAL_KC create deployment web --image=nginx --replicas=3"
echo "  $KUBECTL --kubeconfig $VIRTUAL_KC get pods -o wide; $KUBECTL --kubeconfig $VIRTUAL_KC get nodes"
echo "  $KUBECTL --kubeconfig $HOST_KC -n $HOST_NAMESPACE get pods"
echo "stop everything with: make down"
