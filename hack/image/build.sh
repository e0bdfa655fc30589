#!/usr/bin/env bash
# `make image`: builds the syncer image here from the project's Dockerfile with buildah (vfs
# storage driver, no daemon, no registry), on the local base of hack/image/base.sh selected by
# `--build-arg BASE=...`, and writes it as an OCI archive into the cache, keyed by content:
#   $VSYNC_CACHE/image/vsyncer-<version>-<key>.oci.tar   (image name: vsyncer.local/vsyncer:<version>)
# The key covers the base, the Dockerfile, package.json, package-lock.json, tsconfig*.json, src/,
# cmd/, hack/bundle.ts and these scripts; an unchanged tree reuses the archive (a changed one reuses buildah's
# layer cache: npm ci runs again only when the lockfile changed).
#
#   hack/image/build.sh                   build when missing; print the archive path
#   hack/image/build.sh --import-realnode also import it into the running real node's containerd
#                                         (hack/realnode; says so and succeeds when none runs)
#   hack/image/build.sh --name            print the image name
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

import=0
case "${1:-}" in
  --name) echo "$IMAGE_NAME"; exit 0 ;;
  --import-realnode) import=1 ;;
  "") ;;
  *) die image "unknown argument '$1' (want --import-realnode or --name)" ;;
esac

ensure_buildah
base="$(bash "$HACK_DIR/image/base.sh")"
cd "$REPO_ROOT"
key="$( (echo "$base $IMAGE_NAME"
  cat "${BASH_SOURCE[0]}" "$HACK_DIR/image/lib.sh" "$HACK_DIR/bundle.ts" Dockerfile .dockerignore package.json package-lock.json tsconfig*.json
  find src cmd -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-12)"
archive="$IMAGE_CACHE/vsyncer-$IMAGE_VERSION-$key.oci.tar"

if [[ ! -f "$archive" ]]; then
  log="$VSYNC_CACHE/logs/image-build-$key.log"
  mkdir -p "$(dirname "$log")"; : >"$log"
  echo "building image $IMAGE_NAME ($key) on $base; log: $log" >&2
  revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [[ -z "$(git status --porcelain -- src cmd package.json package-lock.json Dockerfile 2>/dev/null)" ]] || revision+="-dirty"
  started=$SECONDS
  # The build stage's npm ci reaches the npm registry as this machine's npm does: host network,
  # and npm's global config (/usr/local/etc/npmrc in the base, mounted for RUN steps only, never
  # in a layer) names this machine's registry and CA bundle (a TLS-inspecting proxy's CA, here).
  npmconf="$IMAGE_CACHE/npmrc-$key"; rm -rf "$npmconf"; mkdir -p "$npmconf"
  trap 'rm -rf "$npmconf"' EXIT
  echo "registry=$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)" >"$npmconf/npmrc"
  ca="${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}"
  if [[ -n "$ca" && "$ca" != null && -f "$ca" ]]; then
    cp "$ca" "$npmconf/ca.crt" && echo "cafile=/usr/local/etc/ca.crt" >>"$npmconf/npmrc"
  fi
  nice -n 10 buildah --root "$BUILDAH_ROOT" --runroot "$BUILDAH_RUNROOT" --storage-driver vfs \
    bud --layers --force-rm --pull=never --network=host --volume "$npmconf:/usr/local/etc:ro" \
    --build-arg BASE="$base" --build-arg VERSION="$IMAGE_VERSION" --build-arg REVISION="$revision" \
    -t "$IMAGE_NAME" -f Dockerfile . >>"$log" 2>&1 || {
    hint="buildah bud failed"
    grep -qE 'npm (ERR|error)' "$log" && hint="buildah bud failed in npm (registry reachable?)"
    die image "$hint" "$log"
  }
  bah push "$IMAGE_NAME" "oci-archive:$archive.tmp:$IMAGE_NAME" >>"$log" 2>&1 ||
    die image "buildah push oci-archive failed" "$log"
  mv "$archive.tmp" "$archive"
  # Old archives go; buildah keeps the layers of this build (its cache) and drops what nothing uses.
  find "$IMAGE_CACHE" -maxdepth 1 -name "vsyncer-*.oci.tar" ! -name "${archive##*/}" -delete
  bah images --format '{{.Name}}:{{.Tag}}' 2>/dev/null | grep '^vsyncer.local/node-base:' | grep -vxF "$base" |
    xargs -r buildah --root "$BUILDAH_ROOT" --runroot "$BUILDAH_RUNROOT" --storage-driver vfs rmi >>"$log" 2>&1 || true
  bah rmi --prune >>"$log" 2>&1 || true
  echo "built $IMAGE_NAME in $((SECONDS - started)) s: $(du -m "$archive" | cut -f1) MiB archive" >&2
fi

[[ $import == 0 ]] || import_into_realnode "$archive" "$IMAGE_NAME"
echo "$archive"
