import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { labelSelectorProblem } from '../../util/label-selector.ts';
import { serviceAccountsKind } from './serviceaccounts-kind.ts';
import { isDnsSubdomain } from '../../naming/dns-names.ts';

function invalidSecretNames(names: readonly string[]): string | undefined {
  const bad = names.find((n) => !isDnsSubdomain(n));
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not a Secret name`;
}

function invalidSelector(selector: string): string | undefined {
  return selector.trim() === '*' ? undefined : labelSelectorProblem(selector);
}

/**
 * ServiceAccounts, virtual → host, for host workload identity (IRSA, GKE workload identity): off by
 * default, as vCluster's sync.toHost.serviceAccounts. With it on, host pods run as the copy of their
 * virtual service account.
 */
export const serviceAccountsDescriptor = defineKind({
  name: 'serviceaccounts',
  description: 'ServiceAccounts, virtual → host, for host workload identity; pods run as their copies',
  defaultOn: false,
  fields: [
    field({
      flag: 'denied-service-account-annotation',
      key: 'deniedServiceAccountAnnotations',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'key',
      description:
        'annotation key a tenant may not set on host service accounts (repeatable; "prefix/*" matches a prefix)',
    }),
    field({
      flag: 'workload-image-pull-secret',
      key: 'workloadImagePullSecrets',
      kind: 'list',
      default: [],
      repeatable: true,
      valueName: 'name',
      description:
        "host Secret (of the host namespace) named as an image pull secret on the host copies of service accounts --workload-image-pull-secret-selector matches, as vCluster's controlPlane.advanced.workloadServiceAccount.imagePullSecrets (repeatable)",
      validate: invalidSecretNames,
    }),
    field({
      flag: 'workload-image-pull-secret-selector',
      key: 'workloadImagePullSecretSelector',
      kind: 'string',
      default: '',
      valueName: 'selector',
      description:
        'which service accounts get --workload-image-pull-secret, by their labels in the virtual cluster (kubectl syntax; "*" for all, "" for none)',
      validate: invalidSelector,
    }),
  ],
  hostRbac: [
    { scope: 'namespace', apiGroups: [''], resources: ['serviceaccounts'], verbs: CRUD },
    // Its copies stay while a host pod runs as them.
    { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  ],
  build: (options, where) => serviceAccountsKind(options, where),
});
