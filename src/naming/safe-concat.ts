import { hash } from 'node:crypto';

/**
 * First 10 hex characters of the SHA-256 of s: the short hash vCluster uses in names and label keys.
 * (The one-shot `hash` makes no Hash object: this runs for every namespace label of every pod written.)
 */
export function hash10(s: string): string {
  return hash('sha256', s, 'hex').slice(0, 10);
}

function concat(parts: readonly string[], limit: number, keep: number): string {
  const full = parts.join('-');
  if (full.length <= limit) return full;
  // A cut can leave '.' right before '-', which is not a valid DNS subdomain.
  return `${full.slice(0, keep)}-${hash10(full)}`.replaceAll('.-', '-');
}

/**
 * Joins parts with '-'. A result over 63 characters becomes its first 52 characters, '-', and the
 * first 10 hex characters of the SHA-256 of the whole string, with every '.-' then made '-'.
 */
export function safeConcatName(...parts: string[]): string {
  return concat(parts, 63, 52);
}

/** The same rule for generateName prefixes, which leave room for the random suffix (53 / 42). */
export function safeConcatGenerateName(...parts: string[]): string {
  return concat(parts, 53, 42);
}
