// Writes charts/vsyncer/templates/_kind-rbac.tpl from the kind descriptors, so the chart grants
// exactly the host permissions the enabled kinds declare. `--check` fails when the file is stale.
//   node hack/gen-chart-rbac.ts [--check]
import { join } from 'node:path';
import { chartKindRbac } from '../src/sync/chart-rbac.ts';
import { builtinKinds } from '../src/translators/index.ts';
import { writeOrCheck } from './generated-file.ts';

const target = join(import.meta.dirname, '..', 'charts/vsyncer/templates/_kind-rbac.tpl');
writeOrCheck(target, chartKindRbac(builtinKinds().all()), 'node hack/gen-chart-rbac.ts');
