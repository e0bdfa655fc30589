import { CustomResourceConfigError } from './config.ts';

/** Reading the sections of vCluster's `integrations`, as its values write them. */

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const json = (v: unknown) => JSON.stringify(v);

/** An `{enabled}` switch (vCluster's EnableSwitch), `fallback` when absent. */
export function enabledAt(raw: unknown, at: string, fallback: boolean): boolean {
  if (raw === undefined || raw === null) return fallback;
  if (!isRecord(raw))
    throw new CustomResourceConfigError(at, `must be a mapping {enabled}, got ${json(raw)}`);
  const enabled = raw.enabled ?? fallback;
  if (typeof enabled !== 'boolean')
    throw new CustomResourceConfigError(`${at}.enabled`, `must be true or false, got ${json(enabled)}`);
  return enabled;
}

/** Only the keys named may be set in a mapping (absent or null is taken as empty). */
export function onlyKeys(raw: unknown, at: string, keys: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new CustomResourceConfigError(at, `must be a mapping, got ${json(raw)}`);
  for (const key of Object.keys(raw))
    if (!keys.includes(key))
      throw new CustomResourceConfigError(`${at}.${key}`, `unknown field (known: ${keys.join(', ')})`);
  return raw;
}

/**
 * A `{selector}` section (vCluster's SelectorConfig: a StandardLabelSelector) as the labels an object
 * must carry; none when absent or empty. matchExpressions are not offered: refused unless empty.
 */
export function matchLabelsAt(raw: unknown, at: string): Record<string, string> {
  const selector = onlyKeys(raw, at, ['matchLabels', 'matchExpressions']);
  const expressions = selector.matchExpressions;
  if (
    expressions !== undefined &&
    expressions !== null &&
    !(Array.isArray(expressions) && expressions.length === 0)
  )
    throw new CustomResourceConfigError(
      `${at}.matchExpressions`,
      'not offered by vsyncer: select by matchLabels (every label given must be on the object)',
    );
  const labels = selector.matchLabels ?? {};
  if (!isRecord(labels) || !Object.values(labels).every((v) => typeof v === 'string'))
    throw new CustomResourceConfigError(
      `${at}.matchLabels`,
      `must be a mapping of label keys to string values, got ${json(labels)}`,
    );
  return labels as Record<string, string>;
}
