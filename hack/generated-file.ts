// What every generator under hack/ does with its output: writes it, or with `--check` fails (exit 1)
// when the committed file differs, naming the command that rewrites it.
import { readFileSync, writeFileSync } from 'node:fs';

export function writeOrCheck(target: string, text: string, command: string): void {
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== text) {
      console.error(`error: ${target} is stale; run: ${command}`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
