/**
 * Removes host-side names from a message meant for the tenant: translated object names
 * (`<name>-x-<ns>-x-<vc>`, possibly hashed) become the virtual name, and the host namespace is hidden.
 */
export function scrubHostNames(message: string, where: { vcName: string; hostNamespace: string }): string {
  const vc = escapeRegExp(where.vcName);
  let out = message.replace(
    new RegExp(`([a-z0-9]([-a-z0-9.]*[a-z0-9])?)-x-[a-z0-9]([-a-z0-9]*[a-z0-9])?-x-${vc}\\b`, 'g'),
    '$1',
  );
  out = out.replace(new RegExp(`vcluster-[a-z0-9.-]+-x-[a-z0-9-]+-x-${vc}\\b`, 'g'), '<host object>');
  // Truncated names end in a 10-hex hash instead of the vc name.
  out = out.replace(/\b([a-z0-9][-a-z0-9.]{0,61})-[0-9a-f]{10}\b/g, (m, prefix: string) =>
    prefix.includes('-x-') ? prefix.split('-x-')[0]! : m,
  );
  if (where.hostNamespace)
    out = out.replace(new RegExp(`\\b${escapeRegExp(where.hostNamespace)}\\b`, 'g'), '<host namespace>');
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
