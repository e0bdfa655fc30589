import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, waitFor } from './clusters.ts';

export type Cluster = 'host' | 'virtual';

/** A list of objects as kubectl prints it. */
export interface List<T> {
  items: T[];
}

/** `kubectl get -o json`, or undefined when the object does not exist. */
export async function getObject<T = Record<string, unknown>>(
  cluster: Cluster,
  args: string[],
): Promise<T | undefined> {
  const res = await kubectl(cluster, ['get', ...args, '-o', 'json']);
  if (res.code !== 0) {
    if (/NotFound|not found/.test(res.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(' ')} on ${cluster} failed: ${res.stderr}`);
  }
  return JSON.parse(res.stdout) as T;
}

/** Runs kubectl and throws with its stderr when it fails. */
export async function mustKubectl(cluster: Cluster, args: string[], input?: string): Promise<string> {
  const res = await kubectl(cluster, args, input);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} on ${cluster} failed: ${res.stderr}`);
  return res.stdout;
}

/** Applies a YAML or JSON manifest. */
export async function apply(cluster: Cluster, manifest: string | object): Promise<void> {
  await mustKubectl(
    cluster,
    ['apply', '-f', '-'],
    typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
  );
}

/**
 * Applies a manifest once its kind is served (a custom resource whose CRD the syncer is still
 * copying into the virtual cluster), trying for up to 90 s.
 */
export async function applyOnceServed(cluster: Cluster, manifest: object, kinds: string): Promise<void> {
  await waitFor(
    kinds,
    async () => {
      await apply(cluster, manifest);
      return true;
    },
    90_000,
    1_000,
  );
}

/** Events whose involved object has this name, in a namespace. */
export async function eventsFor(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await getObject<{
    items: { reason: string; message: string; type: string; involvedObject: { name: string } }[];
  }>(cluster, ['events', '-n', namespace]);
  return (list?.items ?? []).filter((e) => e.involvedObject.name === name);
}

/** Reads one counter or gauge value from Prometheus text, summing series that match every label given. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries(
      [...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(match[4]);
  }
  return total;
}

/** Appends a measurement (not an assertion) to test-results/measurements.jsonl. */
export function recordMeasurement(name: string, value: number, context: Record<string, unknown> = {}): void {
  const dir = join(import.meta.dirname, '..', '..', 'test-results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(
    join(dir, 'measurements.jsonl'),
    JSON.stringify({ name, value, ...context, at: new Date().toISOString() }) + '\n',
  );
}

/** Waits until the object has at least one event with this reason, and returns those events. */
export function waitForEvents(
  cluster: Cluster,
  namespace: string,
  name: string,
  reason: string,
  timeoutMs = 60_000,
) {
  return waitFor(
    `${reason} event on ${namespace}/${name}`,
    async () => {
      const events = (await eventsFor(cluster, namespace, name)).filter((e) => e.reason === reason);
      return events.length > 0 && events;
    },
    timeoutMs,
  );
}

/** Creates a tenant namespace in the virtual cluster and waits for its default service account (pods need it). */
export async function createTenantNamespace(namespace: string): Promise<void> {
  await mustKubectl('virtual', ['create', 'namespace', namespace]);
  // The default service account is made by the virtual controller manager, a moment later.
  await waitFor(
    `default service account in ${namespace}`,
    async () => (await getObject('virtual', ['serviceaccount', 'default', '-n', namespace])) !== undefined,
    60_000,
  );
}
