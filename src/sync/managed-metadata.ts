import type { ObjectMeta } from '../kube/object.ts';
import { MANAGED_ANNOTATIONS_ANNOTATION, MANAGED_LABELS_ANNOTATION } from '../naming/labels.ts';

type StringMap = Record<string, string>;

/** The labels and annotations of one object. */
export interface LabelsAndAnnotations {
  labels: StringMap;
  annotations: StringMap;
}

/**
 * Labels and annotations for a new host object: what the syncer wants, plus the record of which
 * keys it set, so later updates can tell its keys from those the host adds (admission webhooks,
 * sidecar injectors, policy engines) and leave the latter alone.
 */
export function withManagedRecord(desired: Pick<ObjectMeta, 'labels' | 'annotations'>): LabelsAndAnnotations {
  const labels = { ...(desired.labels ?? {}) };
  const annotations = withoutRecords(desired.annotations ?? {});
  return {
    labels,
    annotations: {
      ...annotations,
      [MANAGED_LABELS_ANNOTATION]: keyList(labels),
      [MANAGED_ANNOTATIONS_ANNOTATION]: keyList(annotations),
    },
  };
}

/**
 * Brings a host object's labels and annotations in line with what the syncer wants: its keys get
 * the wanted values, keys it set before but no longer wants are removed, and every other key (set
 * by someone on the host) stays as it is. An object without a record (written before records
 * existed) is treated as the syncer's entirely, as it was then.
 */
export function mergeManagedMetadata(
  desired: Pick<ObjectMeta, 'labels' | 'annotations'>,
  current: Pick<ObjectMeta, 'labels' | 'annotations'>,
): LabelsAndAnnotations {
  const want = withManagedRecord(desired);
  const have: LabelsAndAnnotations = { labels: current.labels ?? {}, annotations: current.annotations ?? {} };
  const recordOf = (key: string, map: StringMap) =>
    !Object.hasOwn(have.annotations, key) ? Object.keys(map) : parseKeyList(have.annotations[key]!);
  return {
    labels: merge(want.labels, have.labels, recordOf(MANAGED_LABELS_ANNOTATION, have.labels)),
    annotations: merge(
      want.annotations,
      have.annotations,
      recordOf(MANAGED_ANNOTATIONS_ANNOTATION, have.annotations),
    ),
  };
}

function merge(want: StringMap, have: StringMap, managedBefore: string[]): StringMap {
  const out = { ...have };
  // Own keys only: `toString` is a valid label key, and `in` would find Object.prototype's.
  for (const key of managedBefore) if (!Object.hasOwn(want, key)) delete out[key];
  return Object.assign(out, want);
}

function withoutRecords(annotations: StringMap): StringMap {
  const {
    [MANAGED_LABELS_ANNOTATION]: _labels,
    [MANAGED_ANNOTATIONS_ANNOTATION]: _annotations,
    ...rest
  } = annotations;
  return rest;
}

function keyList(map: StringMap): string {
  return Object.keys(map).sort().join('\n');
}

function parseKeyList(value: string): string[] {
  return value.split('\n').filter(Boolean);
}
