#!/usr/bin/env bash
# Shared shell helpers for hack/ scripts: paths, pinned versions, one-line failures.

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=../versions.env
source "$HACK_DIR/versions.env"

# Built binaries live outside the repository so a fresh clone (and CI) reuses them.
VSYNC_CACHE="${VSYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vsyncer}"
BIN_CACHE="$VSYNC_CACHE/bin"

# The local clusters of `make up` and the virtual cluster the syncer serves there.
STATE_DIR="${VSYNC_STATE_DIR:-$REPO_ROOT/.state/clusters}"
VC_NAME="${VC_NAME:-demo}"
HOST_NAMESPACE="${HOST_NAMESPACE:-vc-$VC_NAME}"
# Node 24 from node_modules (npm installs it); the system node may be older.
NODE_BIN="$REPO_ROOT/node_modules/.bin/node"

# die COMPONENT MESSAGE [LOG]: one line on stderr that names the component (and its log), then exit 1.
die() {
  local component="$1" message="$2" log="${3:-}"
  if [[ -n "$log" ]]; then
    echo "error: $component: $message (log: $log)" >&2
  else
    echo "error: $component: $message" >&2
  fi
  exit 1
}

require_tool() {
  local tool="$1" why="$2"
  command -v "$tool" >/dev/null 2>&1 || die "$tool" "not found on PATH; $why"
}
