#!/usr/bin/env bash
# oci_archive IMAGE ROOTFS ENTRYPOINT_JSON CMD_JSON OUT: writes the folder ROOTFS as a one-layer
# linux/amd64 OCI image archive named IMAGE (what `ctr images import` takes), reproducibly (sorted,
# owner 0, mtime 0). For images that need no build steps, only files: no builder, no registry.
oci_archive() {
  local image="$1" rootfs="$2" entrypoint="$3" cmd="$4" out="$5" dir
  dir="$(mktemp -d "$(dirname "$out")/oci.XXXX")"
  mkdir -p "$dir/blobs/sha256"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
  local layer; layer="$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)"
  mv "$dir/layer.tar" "$dir/blobs/sha256/$layer"
  _oci_blob() { local d; d="$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; printf '%s' "$1" >"$dir/blobs/sha256/$d"; echo "$d"; }
  local config manifest
  config="$(_oci_blob "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":$entrypoint,\"Cmd\":$cmd,\"Env\":[\"PATH=/usr/local/bin:/bin:/usr/bin:/sbin:/usr/sbin\"],\"WorkingDir\":\"/\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer\"]}}")"
  local csize lsize; csize="$(stat -c %s "$dir/blobs/sha256/$config")"; lsize="$(stat -c %s "$dir/blobs/sha256/$layer")"
  manifest="$(_oci_blob "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config\",\"size\":$csize},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$layer\",\"size\":$lsize}]}")"
  local msize; msize="$(stat -c %s "$dir/blobs/sha256/$manifest")"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$msize" "$image" "${image##*:}" >"$dir/index.json"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir" -cf "$out" oci-layout index.json blobs
  rm -rf "$dir"
}

# minimal_rootfs DIR: the folders and account files a static binary's container expects.
minimal_rootfs() {
  mkdir -p "$1"/{etc,tmp,proc,sys,dev,var/run}; chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}
