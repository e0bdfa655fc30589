import { Resources } from '../../kube/resources.ts';
import { field } from '../../config/fields.ts';
import { defineKind } from '../../sync/kind.ts';
import { gatewayApiReferrer } from '../gateway-api/data-referrers.ts';
import { ingressSecretKeys } from '../ingresses/translate.ts';
import { referencedSecrets } from '../pods/translate.ts';
import { CRUD, dataObjectKind } from '../shared/data-object.ts';
import { claimNamedSecretHolder } from '../storageclasses/claim-class.ts';
import { snapshotNamedSecretHolder } from '../volumesnapshots/class-secrets.ts';
import { neutraliseHostSecret } from './translate.ts';
import { SECRET_REFERRERS } from '../shared/referrer-copies.ts';

/**
 * Secrets, virtual → host; only those a pod uses (volumes, env, image pull secrets) or, while the
 * ingresses kind runs, an Ingress names (TLS, controller annotations), or while the gateways kind
 * runs, a Gateway names (certificates; another namespace's only as a ReferenceGrant there allows),
 * unless --sync-all-secrets. With `hostCertManager` (integrations.certManager), an Ingress's
 * `cert-manager.io/issuer` is the Ingress kind's to judge, as there (see IngressPlace.issuerJudged).
 */
export const secretsDescriptorFor = (hostCertManager: boolean) =>
  defineKind({
    name: 'secrets',
    description: 'Secrets, virtual → host (those pods use, or all)',
    defaultOn: true,
    eventKind: 'Secret',
    fields: [
      field({
        flag: 'sync-all-secrets',
        key: 'syncAllSecrets',
        kind: 'bool',
        default: false,
        description: 'sync every secret, not only those a pod (or an ingress) references',
      }),
    ],
    hostRbac: [
      { scope: 'namespace', apiGroups: [''], resources: ['secrets'], verbs: CRUD },
      // A copy a host pod still mounts is kept until that pod is gone.
      { scope: 'namespace', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ],
    build: (options, where) => {
      // With the host's cert-manager an Ingress's Issuer is judged, not refused, as the Ingress kind reads it.
      const ingressPlace = hostCertManager ? { ...where, issuerJudged: true } : where;
      return dataObjectKind(
        {
          type: Resources.secrets,
          payloadFields: ['data', 'type', 'immutable'],
          syncAll: options.syncAllSecrets,
          podReferences: referencedSecrets,
          referrers: [
            {
              kind: 'ingresses',
              type: Resources.ingresses,
              references: (ingress) => ingressSecretKeys(ingress, ingressPlace),
            },
            gatewayApiReferrer('gateways', Resources.gateways, 'Secret'),
          ],
          hostTransform: neutraliseHostSecret,
          keptFor: [claimNamedSecretHolder, snapshotNamedSecretHolder],
          namedByHostCopies: SECRET_REFERRERS,
        },
        where,
      );
    },
  });

/** The secrets kind without the host's cert-manager. */
export const secretsKind = secretsDescriptorFor(false);
