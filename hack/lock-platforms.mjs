#!/usr/bin/env node
// Adds the lockfile entries npm leaves out when the registry it uses serves no builds of a native
// package for other platforms (here: macOS, Windows, and some Linux CPUs and libcs). Without them
// `npm ci` refuses the lockfile as out of sync with package.json. Each added entry names only the
// version and the platform it is for, so `npm ci` skips it on every other platform and never needs
// to download it. Run after `npm install` changes dependencies: node hack/lock-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const OSES = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64'];

/** The os, cpu and libc a platform package is for, read from its name (e.g. core-linux-arm64-musl). */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OSES.includes(p));
  const cpu = parts.find((p) => CPUS.includes(p));
  if (!os || !cpu) return undefined;
  const libc = parts.some((p) => p.startsWith('musl'))
    ? 'musl'
    : parts.some((p) => p.startsWith('gnu'))
      ? 'glibc'
      : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;
const added = [];
for (const [path, meta] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      console.error(
        `error: lock-platforms: cannot tell the platform of ${dep} (optional dependency of ${path || 'the project'})`,
      );
      process.exit(1);
    }
    packages[key] = { version, ...platform, ...(meta.dev ? { dev: true } : {}), optional: true };
    added.push(`${dep}@${version}`);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `lock-platforms: added ${added.join(', ')}` : 'lock-platforms: nothing missing');
