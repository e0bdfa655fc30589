#!/usr/bin/env bash
# Brings what the real node needs onto this machine, reusing what is there:
#   Debian packages (containerd, runc, CNI plugins, iptables, busybox-static), installed when missing;
#   kubelet and kube-proxy (NODE_KUBE_VERSION), crictl (CRICTL_VERSION) and CoreDNS (COREDNS_VERSION, the
#   virtual cluster's DNS: hack/realnode/dns.ts), built side by side by hack/build-tools.sh;
#   the test images, built by hack/realnode/images.sh.
# Prints KEY=VALUE lines for hack/realnode/realnode.ts; failures are one line naming the step.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

PACKAGES=(containerd runc containernetworking-plugins iptables busybox-static)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) == 0 ]] || die realnode "Debian packages missing (${missing[*]}) and not root to install them"
  log="$VSYNC_CACHE/logs/realnode-apt.log"; mkdir -p "$(dirname "$log")"
  echo "installing Debian packages: ${missing[*]}; log: $log" >&2
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }
  apt_install || { apt-get update >>"$log" 2>&1 && apt_install; } || die realnode "apt-get install ${missing[*]} failed" "$log"
fi

bash "$HACK_DIR/build-tools.sh" node crictl coredns
echo "NODE_BIN_DIR=$(bash "$HACK_DIR/build-tools.sh" --print-dir node)"
echo "CRICTL=$(bash "$HACK_DIR/build-tools.sh" --print-dir crictl)/crictl"
echo "CNI_BIN_DIR=/usr/lib/cni"
echo "RUNC=$(command -v runc)"
echo "CONTAINERD=$(command -v containerd)"
echo "CTR=$(command -v ctr)"
echo "IMAGES=$(bash "$HACK_DIR/realnode/images.sh" | paste -sd, -)"
echo "IMAGE_NAMES=$(bash "$HACK_DIR/realnode/images.sh" --names | paste -sd, -)"
