import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The syncer's version, from the nearest package.json (works from src/ and from the built dist/). */
export function syncerVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vsyncer' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0-unknown';
}

let cachedUserAgent: string | undefined;

/**
 * The User-Agent of every request to an API server, in client-go's shape. The API server names a
 * writer after its part before the first `/`, so the syncer's writes show as `vsyncer` in audit logs
 * and in each object's managedFields (without it they showed no writer at all).
 */
export function userAgent(): string {
  cachedUserAgent ??= `vsyncer/${syncerVersion()} (${process.platform}/${process.arch}) node/${process.versions.node}`;
  return cachedUserAgent;
}
