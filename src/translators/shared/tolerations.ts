import { field } from '../../config/fields.ts';

/** A toleration as the syncer writes it into pods. */
export interface Toleration {
  key?: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect?: string;
}

/** A node taint, as the node's spec holds it. */
export interface Taint {
  key?: string;
  value?: string;
  effect?: string;
}

const TOLERATION =
  /^(\*|:(NoSchedule|PreferNoSchedule|NoExecute)|[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?(=[A-Za-z0-9._-]*)?(:(NoSchedule|PreferNoSchedule|NoExecute))?)$/;

/** --enforce-toleration: read by the pods kind (added to every pod) and the nodes kind (taints hidden). */
export const ENFORCE_TOLERATIONS_FIELD = field({
  flag: 'enforce-toleration',
  key: 'enforceTolerations',
  kind: 'list',
  default: [] as string[],
  repeatable: true,
  valueName: 'toleration',
  description:
    'toleration added to every synced pod (repeatable): key[=value]:effect, key=value or key (any effect), :effect (every taint of that effect), or * (every taint); real nodes are shown without the taints it tolerates',
  validate: (tolerations: string[]) => {
    const bad = tolerations.find((t) => !TOLERATION.test(t));
    return bad === undefined
      ? undefined
      : `must look like key[=value][:NoSchedule|PreferNoSchedule|NoExecute], :NoSchedule|PreferNoSchedule|NoExecute or *, got ${JSON.stringify(bad)}`;
  },
});

/**
 * Parses an --enforce-toleration (already validated by config), in vCluster's forms: `*` tolerates
 * every taint; `:effect` every taint of that effect; `key[=value]:effect` tolerates that taint (any
 * value without `=value`); `key=value` or `key` alone tolerate it whatever its effect (`key` matching
 * an empty value, as vCluster reads it).
 */
export function parseToleration(text: string): Toleration {
  if (text === '*') return { operator: 'Exists' };
  if (text.startsWith(':')) return { operator: 'Exists', effect: text.slice(1) };
  const colon = text.lastIndexOf(':');
  if (colon < 0) {
    const eq = text.indexOf('=');
    return eq < 0
      ? { key: text, operator: 'Equal', value: '' }
      : { key: text.slice(0, eq), operator: 'Equal', value: text.slice(eq + 1) };
  }
  const effect = text.slice(colon + 1);
  const keyValue = text.slice(0, colon);
  const eq = keyValue.indexOf('=');
  return eq < 0
    ? { key: keyValue, operator: 'Exists', effect }
    : { key: keyValue.slice(0, eq), operator: 'Equal', value: keyValue.slice(eq + 1), effect };
}

/** Whether the toleration tolerates the taint, by the scheduler's rule (an empty key with Exists: every taint). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}
