#!/usr/bin/env bash
# Lints the Dockerfile with dockerfile-utils (the validator of the Dockerfile language server,
# installed by npm ci). hadolint is not available from the registries this project may use.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"
out="$("$REPO_ROOT/node_modules/.bin/dockerfile-utils" lint "${1:-Dockerfile}" 2>&1)" || { echo "$out" >&2; die dockerfile "lint failed"; }
if [[ -n "$out" ]]; then echo "$out" >&2; die dockerfile "lint reported problems"; fi
echo "Dockerfile: no problems"
