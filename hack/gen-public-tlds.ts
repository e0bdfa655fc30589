// Writes src/naming/public-tlds.generated.ts, the public top-level domains the address policy checks
// two-label names against, from the `tlds` package. `--check` fails when the file is stale.
//   node hack/gen-public-tlds.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicTldsModule } from '../src/naming/public-tlds-source.ts';

const target = join(import.meta.dirname, '..', 'src/naming/public-tlds.generated.ts');
const text = publicTldsModule();
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    console.error(`error: ${target} is stale; run: node hack/gen-public-tlds.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
