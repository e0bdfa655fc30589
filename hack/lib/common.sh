#!/usr/bin/env bash
# Shared shell helpers for hack/ scripts: paths, pinned versions, one-line failures.

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=../versions.env
source "$HACK_DIR/versions.env"

# Built binaries live outside the repository so a fresh clone (and CI) reuses them.
VSYNC_CACHE="${VSYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vsyncer}"
BIN_CACHE="$VSYNC_CACHE/bin"

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
