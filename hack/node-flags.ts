// The Node/V8 flags the syncer runs with, read from the Dockerfile's ENTRYPOINT, so that `make up`
// (hack/syncer.sh) and the bench run it exactly as the image does, from one place.
//   node hack/node-flags.ts     prints them, space-separated
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

export function syncerNodeFlags(): string[] {
  return entrypointNodeFlags(readFileSync(DOCKERFILE, 'utf8'));
}

if (import.meta.main) console.log(syncerNodeFlags().join(' '));
