#!/usr/bin/env bash
# Runs a command in the syncer image the way the chart's pod does: from the OCI archive that
# `make image` writes (the very bytes containerd imports), with runc, as the image's user
# (65532:65532), on a read-only root filesystem, all capabilities dropped, no new privileges,
# and no writable mount at all (the chart's syncer container mounts only read-only volumes).
#
#   hack/image/run.sh [--archive FILE] [--mount HOSTDIR:CTRDIR] [--entrypoint PROG] [-- ARGS...]
#     ARGS follow the entrypoint (default: the image's CMD); exits with the container's status.
#     --entrypoint replaces the image's entrypoint (e.g. node, to look around inside).
#     --archive defaults to the one hack/image/build.sh prints (building it when missing).
#     --mount adds a read-only bind mount (e.g. a kubeconfig directory).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

archive="" entrypoint="" mounts=() args=() has_args=0
while (($#)); do
  case "$1" in
    --archive) archive="$2"; shift 2 ;;
    --mount) mounts+=("$2"); shift 2 ;;
    --entrypoint) entrypoint="$2"; shift 2 ;;
    --) shift; args=("$@"); has_args=1; break ;;
    *) die image/run "unknown argument '$1' (usage: run.sh [--archive FILE] [--mount H:C] [--entrypoint P] [-- ARGS...])" ;;
  esac
done
require_tool runc "apt-get install runc"
[[ -n "$archive" ]] || archive="$(bash "$HACK_DIR/image/build.sh")"
[[ -f "$archive" ]] || die image/run "no archive $archive"

bundle="$(mktemp -d "${TMPDIR:-/tmp}/vsyncer-image-run.XXXXXX")"
id="vsyncer-image-$$"
runc_root=/run/vsyncer-image-runc
cleanup() {
  runc --root "$runc_root" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$bundle"
}
trap cleanup EXIT

# Unpack: index -> manifest -> config and layers in order (whiteouts applied), as root so that
# file owners are the image's.
mkdir -p "$bundle/oci" "$bundle/rootfs"
tar -xf "$archive" -C "$bundle/oci"
"$NODE_BIN" - "$bundle" "$entrypoint" "${mounts[@]}" -- "${args[@]}" "$has_args" <<'JS' || die image/run "cannot read $archive"
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const argv = process.argv.slice(2);
const bundle = argv[0];
const sep = argv.indexOf('--');
const entrypoint = argv[1];
const mounts = argv.slice(2, sep);
const hasArgs = argv[argv.length - 1] === '1';
const args = argv.slice(sep + 1, -1);
const blob = (d) => path.join(bundle, 'oci', 'blobs', ...d.split(':'));
const index = JSON.parse(fs.readFileSync(path.join(bundle, 'oci', 'index.json'), 'utf8'));
const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8'));
const image = JSON.parse(fs.readFileSync(blob(manifest.config.digest), 'utf8'));
const rootfs = path.join(bundle, 'rootfs');
for (const layer of manifest.layers) {
  const gz = layer.mediaType.endsWith('gzip') ? ['-z'] : [];
  const list = execFileSync('tar', [...gz, '-tf', blob(layer.digest)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  for (const entry of list.split('\n')) {
    const base = path.basename(entry);
    if (!base.startsWith('.wh.')) continue;
    const dir = path.join(rootfs, path.dirname(entry));
    if (base === '.wh..wh..opq') for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    else fs.rmSync(path.join(dir, base.slice(4)), { recursive: true, force: true });
  }
  execFileSync('tar', [...gz, '-xf', blob(layer.digest), '-C', rootfs, '--numeric-owner', '--same-owner', '--exclude=*/.wh.*', '--exclude=.wh.*']);
}
const cfg = image.config ?? {};
const [uid, gid] = (cfg.User ?? '0:0').split(':').map(Number);
execFileSync('runc', ['spec'], { cwd: bundle });
const s = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
s.root = { path: 'rootfs', readonly: true };
s.process.terminal = false;
s.process.user = { uid, gid: gid ?? uid };
s.process.args = [...(entrypoint ? [entrypoint] : (cfg.Entrypoint ?? [])), ...(hasArgs ? args : (cfg.Cmd ?? []))];
s.process.env = cfg.Env ?? [];
s.process.cwd = cfg.WorkingDir || '/';
s.process.noNewPrivileges = true;
s.process.capabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
s.hostname = 'vsyncer-image';
for (const m of mounts) {
  const [source, destination] = m.split(':');
  s.mounts.push({ destination, type: 'bind', source: path.resolve(source), options: ['rbind', 'ro'] });
}
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(s, null, 1));
JS
set +e
runc --root "$runc_root" run --bundle "$bundle" "$id" </dev/null
status=$?
set -e
exit "$status"
