#!/usr/bin/env bash
# `make down`: stops the syncer and every cluster process of the state dir.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"
bash hack/syncer.sh stop
"$NODE_BIN" hack/cluster/cli.ts down --state-dir "$STATE_DIR"
