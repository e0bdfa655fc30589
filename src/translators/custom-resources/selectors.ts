import {
  translateLabelSelector,
  type LabelSelector,
  type LabelSelectorRequirement,
} from '../../naming/labels.ts';
import { isLabelKey } from '../../util/label-selector.ts';
import type { SelectorReferenceKind } from './config.ts';
import { isJsonObject } from '../../util/json.ts';

/** A mapping: not a list, nor an exact integer (a raw JSON value, which is an object too). */
const isRecord = isJsonObject;
/**
 * A label key in a structured selector: `in` and `notin` are keys there (they are words only of the
 * string syntax); anything else no label may have (`__proto__`, which would be lost on the way) is not.
 */
const isSelectorKey = (key: string) => key === 'in' || key === 'notin' || isLabelKey(key);
/** Label keys to strings: what a selector's labels are. */
const isStringMap = (v: unknown): v is Record<string, string> =>
  isRecord(v) && Object.entries(v).every(([k, x]) => isSelectorKey(k) && typeof x === 'string');

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const SELECTOR_FIELDS = ['matchLabels', 'matchExpressions'];
const REQUIREMENT_FIELDS = ['key', 'operator', 'values'];

/** Where the selector is scoped: this virtual cluster and the object's virtual namespace. */
export interface SelectorScope {
  vcName: string;
  virtualNamespace: string;
}

/**
 * A tenant's LabelSelector as read from an object, or why it is not one. Fields the selector does
 * not have are refused rather than dropped: the admin said the field is a selector, and what a
 * tenant adds beside matchLabels/matchExpressions would reach the host's controller unscoped.
 */
function labelSelectorOf(value: unknown, location: string): LabelSelector | string {
  const shape = 'a label selector ({matchLabels: {key: value}, matchExpressions: [{key, operator, values}]})';
  if (!isRecord(value)) return `${location} must be ${shape}`;
  for (const field of Object.keys(value))
    if (!SELECTOR_FIELDS.includes(field)) return `${location}.${field} is not a field of ${shape}`;
  const { matchLabels, matchExpressions } = value;
  if (matchLabels !== undefined && matchLabels !== null && !isStringMap(matchLabels))
    return `${location}.matchLabels must be a map of label keys to string values`;
  if (matchExpressions === undefined || matchExpressions === null) return matchLabels ? { matchLabels } : {};
  if (!Array.isArray(matchExpressions)) return `${location}.matchExpressions must be a list`;
  const requirements: LabelSelectorRequirement[] = [];
  for (const [n, e] of matchExpressions.entries()) {
    const here = `${location}.matchExpressions[${n}]`;
    if (!isRecord(e)) return `${here} must be {key, operator, values}`;
    for (const field of Object.keys(e))
      if (!REQUIREMENT_FIELDS.includes(field))
        return `${here}.${field} is not a field of {key, operator, values}`;
    if (typeof e.key !== 'string' || !isSelectorKey(e.key)) return `${here}.key must be a label key`;
    if (typeof e.operator !== 'string' || !OPERATORS.includes(e.operator))
      return `${here}.operator must be one of ${OPERATORS.join(', ')}`;
    if (e.values !== undefined && e.values !== null) {
      if (!Array.isArray(e.values) || !e.values.every((v) => typeof v === 'string'))
        return `${here}.values must be a list of strings`;
      requirements.push({ key: e.key, operator: e.operator, values: e.values as string[] });
    } else requirements.push({ key: e.key, operator: e.operator });
  }
  return { ...(matchLabels ? { matchLabels } : {}), matchExpressions: requirements };
}

/**
 * The host form of a selector a toHost custom resource holds (the value at a `LabelSelector` or
 * `Labels` reference's path), or a problem naming its location. Keys are translated as labels are
 * and the selector gets this virtual cluster's managed-by and namespace labels, so in the shared
 * host namespace it selects only this tenant's namespace's objects. An empty selector, which would
 * select everything, becomes exactly that scope.
 */
export function hostSelectorFor(
  kind: SelectorReferenceKind,
  value: unknown,
  location: string,
  scope: SelectorScope,
): { selector: unknown } | { problem: string } {
  if (kind === 'Labels') {
    if (!isStringMap(value))
      return { problem: `${location} must be a map of label keys to string values (a selector's labels)` };
    return { selector: translateLabelSelector({ matchLabels: value }, scope).matchLabels };
  }
  const selector = labelSelectorOf(value, location);
  if (typeof selector === 'string') return { problem: selector };
  return { selector: translateLabelSelector(selector, scope) };
}
