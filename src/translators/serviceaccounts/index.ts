import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { CRUD } from '../shared/data-object.ts';
import { serviceAccountsKind } from './serviceaccounts-kind.ts';

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
  ],
  hostRbac: [{ scope: 'namespace', apiGroups: [''], resources: ['serviceaccounts'], verbs: CRUD }],
  build: (options, where) => serviceAccountsKind(options, where),
});
