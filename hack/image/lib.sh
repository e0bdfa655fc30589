#!/usr/bin/env bash
# Shared by hack/image/*.sh: a daemonless builder (buildah, vfs storage driver) whose image store
# lives in the cache outside the repository, and the pinned versions of the local base image.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

IMAGE_CACHE="$VSYNC_CACHE/image"
# buildah's own store (layers, images) and its run-time state (locks): private to this project.
BUILDAH_ROOT="$IMAGE_CACHE/storage"
BUILDAH_RUNROOT="${VSYNC_BUILDAH_RUNROOT:-/run/vsyncer-buildah}"
# The local base mirrors node:<NODE>-bookworm-slim: Node from the npm `node` package (the binary
# node_modules/.bin/node already is), npm as that Node release bundles it, glibc and the C++ runtime
# from Debian's packages, dash as /bin/sh (Dockerfile RUN steps and npm scripts need a shell) and
# coreutils (npm's bin links start with `#!/usr/bin/env node`) with the libraries it links.
IMAGE_NODE_VERSION="$("$NODE_BIN" -p process.versions.node 2>/dev/null || echo missing)"
IMAGE_NPM_VERSION=11.6.0 # the npm that Node 24.9.0 ships
IMAGE_DEBIAN_PACKAGES=(libc6 libgcc-s1 libstdc++6 dash coreutils libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0)
# What the syncer image is called here (the chart's syncer.image.repository/tag select it).
IMAGE_VERSION="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$REPO_ROOT/package.json")"
IMAGE_NAME="${VSYNC_IMAGE_NAME:-vsyncer.local/vsyncer:$IMAGE_VERSION}"

bah() { buildah --root "$BUILDAH_ROOT" --runroot "$BUILDAH_RUNROOT" --storage-driver vfs "$@"; }

# ensure_buildah: installs Debian's buildah (and runc) when missing; needs root and the Debian mirror.
ensure_buildah() {
  command -v buildah >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && return 0
  [[ $(id -u) == 0 ]] || die image "buildah not found and not root: apt-get install buildah runc"
  echo "installing buildah and runc from Debian's packages" >&2
  local log="$VSYNC_CACHE/logs/apt-buildah.log"; mkdir -p "$(dirname "$log")"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends buildah runc >"$log" 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update >>"$log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends buildah runc >>"$log" 2>&1; } ||
    die image "apt-get install buildah runc failed" "$log"
}

# image_exists NAME: whether the local store holds the image.
image_exists() { bah inspect --type image "$1" >/dev/null 2>&1; }

# import_into_realnode ARCHIVE NAME: imports an OCI archive into the running real node's containerd
# (hack/realnode records its state dir in the lock file; its containerd listens at
# <state>/realnode/containerd/containerd.sock; VSYNC_IMAGE_CONTAINERD_SOCK names another one).
# Says so and succeeds when no real node runs.
import_into_realnode() {
  local archive="$1" name="$2" owner sock
  owner="$(cat /run/vsyncer-realnode.owner 2>/dev/null || true)"
  sock="${VSYNC_IMAGE_CONTAINERD_SOCK:-$owner/realnode/containerd/containerd.sock}"
  if [[ -S "$sock" ]] && ctr -a "$sock" version >/dev/null 2>&1; then
    ctr -a "$sock" -n k8s.io images import --snapshotter overlayfs "$archive" >&2 ||
      die image "ctr images import of $name into the real node ($sock) failed"
    echo "imported $name into containerd ($sock, namespace k8s.io)" >&2
  else
    echo "no real node running (VSYNC_REAL_NODE=1 make up starts one): $name not imported" >&2
  fi
}

# files_image_args WHAT NAME [ARG]: the argument of a files-only image script: --name prints NAME and
# exits, --import-realnode sets IMPORT_REALNODE=1, nothing builds only; anything else is refused.
files_image_args() {
  local what="$1" name="$2"
  IMPORT_REALNODE=0
  case "${3:-}" in
    --name) echo "$name"; exit 0 ;;
    --import-realnode) IMPORT_REALNODE=1 ;;
    "") ;;
    *) die "$what" "unknown argument '$3' (want --import-realnode or --name)" ;;
  esac
}

# files_image NAME PREFIX VERSIONS ENTRYPOINT_JSON FILL: an image made of files, no builder
# (hack/lib/oci.sh): built once into $IMAGE_CACHE/<PREFIX>-<VERSIONS>-<key>.oci.tar (key: the calling
# script, this file and oci.sh, so a change to any builds anew; every other archive of PREFIX goes,
# older versions too), the function FILL putting the files into the rootfs it is given. Imported into
# the real node with --import-realnode (files_image_args); prints the archive's path.
files_image() {
  local name="$1" prefix="$2" versions="$3" entrypoint="$4" fill="$5" key archive work
  key="$(cat "$0" "${BASH_SOURCE[0]}" "$HACK_DIR/lib/oci.sh" | sha256sum | cut -c1-12)"
  archive="$IMAGE_CACHE/$prefix-$versions-$key.oci.tar"
  if [[ ! -f "$archive" ]]; then
    mkdir -p "$IMAGE_CACHE"
    work="$(mktemp -d "$IMAGE_CACHE/$prefix.XXXX")"
    # shellcheck disable=SC2064 # the folder is known now
    trap "rm -rf '$work'" EXIT
    minimal_rootfs "$work/rootfs"
    "$fill" "$work/rootfs"
    oci_archive "$name" "$work/rootfs" "$entrypoint" '[]' "$work/image.oci.tar"
    mv "$work/image.oci.tar" "$archive"
    find "$IMAGE_CACHE" -maxdepth 1 -name "$prefix-*.oci.tar" ! -name "${archive##*/}" -delete
    echo "built $name: $(du -m "$archive" | cut -f1) MiB archive" >&2
  fi
  [[ ${IMPORT_REALNODE:-0} == 0 ]] || import_into_realnode "$archive" "$name"
  echo "$archive"
}
