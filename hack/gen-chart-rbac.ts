// Writes charts/vsyncer/templates/_kind-rbac.tpl from the kind descriptors, so the chart grants
// exactly the host permissions the enabled kinds declare. `--check` fails when the file is stale.
//   node hack/gen-chart-rbac.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartKindRbac } from '../src/sync/chart-rbac.ts';
import { builtinKinds } from '../src/translators/index.ts';

const target = join(import.meta.dirname, '..', 'charts/vsyncer/templates/_kind-rbac.tpl');
const text = chartKindRbac(builtinKinds().all());
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    console.error(`error: ${target} is stale; run: node hack/gen-chart-rbac.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
