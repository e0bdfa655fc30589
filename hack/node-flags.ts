// The Node/V8 flags the syncer runs with, read from the Dockerfile's ENTRYPOINT, and the environment
// its ENV instructions set, so that `make up` (hack/syncer.sh) and the bench run it exactly as the
// image does, from one place.
//   node hack/node-flags.ts        prints the flags, space-separated
//   node hack/node-flags.ts --env  prints the environment, one NAME=value a line
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCKERFILE = join(import.meta.dirname, '..', 'Dockerfile');

/** The flags between `node` and the script in an exec-form ENTRYPOINT of this Dockerfile text. */
export function entrypointNodeFlags(dockerfile: string): string[] {
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (!line) throw new Error('Dockerfile has no ENTRYPOINT line');
  let argv: unknown;
  try {
    argv = JSON.parse(line.slice('ENTRYPOINT '.length));
  } catch {
    throw new Error(`Dockerfile ENTRYPOINT is not in exec form (a JSON array): ${line}`);
  }
  if (!Array.isArray(argv) || argv[0] !== 'node' || !argv.every((a) => typeof a === 'string'))
    throw new Error(`Dockerfile ENTRYPOINT does not start node: ${line}`);
  const script = argv.findIndex((a: string) => a.endsWith('.js'));
  if (script < 0) throw new Error(`Dockerfile ENTRYPOINT names no script: ${line}`);
  return argv.slice(1, script) as string[];
}

/**
 * The variables this Dockerfile text's ENV instructions set, in order (`ENV NAME=value ...`, values
 * bare or double-quoted, lines continued with a backslash).
 */
export function dockerfileEnvironment(dockerfile: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    if (!line.startsWith('ENV ')) continue;
    const body = line.slice('ENV '.length).trim();
    const pairs = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)/gy;
    let consumed = 0;
    for (let m = pairs.exec(body); m; m = pairs.exec(body)) {
      env[m[1]!] = m[2]!.startsWith('"') ? m[2]!.slice(1, -1).replace(/\\(.)/g, '$1') : m[2]!;
      consumed = pairs.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`Dockerfile ENV is not in NAME=value form: ${line}`);
  }
  return env;
}

export function syncerNodeFlags(): string[] {
  return entrypointNodeFlags(readFileSync(DOCKERFILE, 'utf8'));
}

export function syncerEnvironment(): Record<string, string> {
  return dockerfileEnvironment(readFileSync(DOCKERFILE, 'utf8'));
}

if (import.meta.main) {
  if (process.argv[2] === '--env') {
    for (const [name, value] of Object.entries(syncerEnvironment())) {
      // hack/syncer.sh reads these as words.
      if (/\s/.test(value)) throw new Error(`Dockerfile ENV ${name} has white space in its value`);
      console.log(`${name}=${value}`);
    }
  } else console.log(syncerNodeFlags().join(' '));
}
