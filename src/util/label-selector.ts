import type { LabelSelector, LabelSelectorRequirement } from '../naming/labels.ts';
import { isDnsSubdomain } from '../naming/dns-names.ts';

/** Whether a label selector (matchLabels and matchExpressions) selects these labels; none selects nothing. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok =
      e.operator === 'In'
        ? inValues
        : e.operator === 'NotIn'
          ? !inValues
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** One requirement of kubectl's selector syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. */
const REQUIREMENT =
  /^(?:(!)\s*([^\s=!(),]+)|([^\s=!(),]+)\s*(?:(==?|!=)\s*([^\s=!(),]*)|\s(in|notin)\s*\(([^()]*)\))?)$/;
/** A label key's name part (at most 63 characters; its optional prefix is a DNS subdomain). */
const KEY_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Whether a label key is one the API server takes (`in` and `notin` are its selector's words). */
export function isLabelKey(key: string): boolean {
  if (key === 'in' || key === 'notin') return false;
  const slash = key.indexOf('/');
  if (slash < 0) return KEY_NAME.test(key);
  return isDnsSubdomain(key.slice(0, slash)) && KEY_NAME.test(key.slice(slash + 1));
}
const VALUE = /^(?:[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Whether a label value is one the API server takes (the empty value is). */
export const isLabelValue = (value: string): boolean => VALUE.test(value);

/**
 * A label selector in kubectl's syntax (comma-separated requirements, as `-l` takes), as the
 * structured selector the API uses. The empty string selects everything. Throws an Error naming the
 * requirement that is not understood.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const part of splitRequirements(text)) {
    const m = REQUIREMENT.exec(part);
    const key = m?.[2] ?? m?.[3];
    if (!m || !key || !isLabelKey(key))
      throw new Error(`label selector: cannot read ${JSON.stringify(part)}`);
    const values =
      m[7] !== undefined ? m[7].split(',').map((v) => v.trim()) : m[5] !== undefined ? [m[5]] : [];
    const bad = values.find((v) => !isLabelValue(v));
    if (bad !== undefined) throw new Error(`label selector: ${JSON.stringify(bad)} is not a label value`);
    if (m[1]) matchExpressions.push({ key, operator: 'DoesNotExist' });
    else if (m[4] === '!=') matchExpressions.push({ key, operator: 'NotIn', values });
    // A key required twice (`a=b,a=c`) must hold both, as the API server reads it: nothing matches.
    else if (m[4] && Object.hasOwn(matchLabels, key))
      matchExpressions.push({ key, operator: 'In', values: [values[0]!] });
    else if (m[4]) matchLabels[key] = values[0]!;
    else if (m[6]) matchExpressions.push({ key, operator: m[6] === 'in' ? 'In' : 'NotIn', values });
    else matchExpressions.push({ key, operator: 'Exists' });
  }
  const selector: LabelSelector = {};
  if (Object.keys(matchLabels).length) selector.matchLabels = matchLabels;
  if (matchExpressions.length) selector.matchExpressions = matchExpressions;
  return selector;
}

/** Splits at the commas outside parentheses; blank parts (a trailing comma) are an error. */
function splitRequirements(text: string): string[] {
  if (text.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  if (parts.some((p) => p === ''))
    throw new Error(`label selector: empty requirement in ${JSON.stringify(text)}`);
  return parts;
}

/** What is wrong with a selector in kubectl's syntax, or undefined: for flag validation. */
export function labelSelectorProblem(text: string): string | undefined {
  try {
    parseLabelSelector(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
