// Writes src/naming/public-tlds.generated.ts, the public top-level domains the address policy checks
// names against, from the `tlds` package. `--check` fails when the file is stale.
//   node hack/gen-public-tlds.ts [--check]
import { join } from 'node:path';
import { publicTldsModule } from '../src/naming/public-tlds-source.ts';
import { writeOrCheck } from './generated-file.ts';

const target = join(import.meta.dirname, '..', 'src/naming/public-tlds.generated.ts');
writeOrCheck(target, publicTldsModule(), 'node hack/gen-public-tlds.ts');
