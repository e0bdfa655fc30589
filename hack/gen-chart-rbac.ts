// Writes charts/vsyncer/templates/_kind-rbac.tpl from the kind descriptors, so the chart grants
// exactly the host permissions the enabled kinds declare. `--check` fails when the file is stale.
//   node hack/gen-chart-rbac.ts [--check]
import { join } from 'node:path';
import { chartKindRbac } from '../src/sync/chart-rbac.ts';
import { VCLUSTER_SYNC_NAMES } from '../src/sync/registry.ts';
import { builtinKinds } from '../src/translators/index.ts';
import { writeOrCheck } from './generated-file.ts';

// vsyncer.kindOn reads syncer.sync as `--sync` does: through the chart's vsyncer.sync helper
// (templates/_helpers.tpl), which splits entries on commas, reads vCluster's names as the kinds they
// name (vsyncer.syncAliases, below) and lets the last mention of a kind decide. Without it a raw
// entry such as "ingresses,networkpolicies" or "-nodes,fake-nodes" would be read differently.
const RAW_SYNC = '{{- $sync := .root.Values.syncer.sync | default list -}}';
const NORMALISED_SYNC = '{{- $sync := include "vsyncer.sync" .root | fromJsonArray -}}';

const generated = chartKindRbac(builtinKinds().all());
if (!generated.includes(RAW_SYNC))
  throw new Error(
    `chartKindRbac no longer reads syncer.sync as '${RAW_SYNC}': update ${import.meta.filename}`,
  );
const aliases = ['{{- define "vsyncer.syncAliases" -}}', JSON.stringify(VCLUSTER_SYNC_NAMES), '{{- end -}}'];
const target = join(import.meta.dirname, '..', 'charts/vsyncer/templates/_kind-rbac.tpl');
writeOrCheck(
  target,
  generated.replace(RAW_SYNC, NORMALISED_SYNC) + aliases.join('\n') + '\n',
  'node hack/gen-chart-rbac.ts',
);
