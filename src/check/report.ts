import { agrees, ageOf, oldestAge, type Category, type CheckReport } from './check.ts';

const CATEGORIES: readonly Category[] = ['missing', 'orphaned', 'duplicated', 'stale'];

/** An age for people: `45s`, `12m30s`, `3h05m`, `2d04h`. */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 60) return `${seconds}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${pad(Math.floor((seconds % 3600) / 60))}m`;
  return `${Math.floor(seconds / 86_400)}d${pad(Math.floor((seconds % 86_400) / 3600))}h`;
}

/** Totals over every kind. */
export function totals(report: CheckReport): Record<Category, number> & { checked: number } {
  const sum = { checked: 0, missing: 0, orphaned: 0, duplicated: 0, stale: 0 };
  for (const k of report.kinds) {
    sum.checked += k.checked;
    for (const c of CATEGORIES) sum[c] += k[c] ?? 0;
  }
  return sum;
}

/** The report as a table per kind, then one line per difference, then a verdict line. */
export function formatTable(report: CheckReport): string {
  const header = ['KIND', 'TARGET', 'CHECKED', 'MISSING', 'ORPHANED', 'DUPLICATED', 'STALE', 'OLDEST'];
  const rows = report.kinds.map((k) =>
    k.notChecked
      ? [k.kind, k.target, '-', '-', '-', '-', '-', '-', `not checked: ${k.notChecked}`]
      : [
          k.kind,
          k.target,
          String(k.checked),
          String(k.missing),
          String(k.orphaned),
          String(k.duplicated),
          k.stale === undefined ? 'not checked' : String(k.stale),
          formatAge(oldestAge(k, report.at)),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < widths.length - 1 && i < cells.length - 1 ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  const differences = report.kinds.flatMap((k) => k.differences);
  if (differences.length) {
    out.push('', 'DIFFERENCES');
    for (const d of differences) {
      const target = d.target && d.target !== d.key ? ` -> ${d.target}` : '';
      out.push(
        `${d.kind} ${d.category} ${d.key}${target}: ${d.detail} (age ${formatAge(ageOf(d, report.at))})`,
      );
    }
  }
  const sum = totals(report);
  out.push(
    '',
    agrees(report)
      ? `the clusters agree (${sum.checked} checked)`
      : `the clusters differ: ${CATEGORIES.map((c) => `${sum[c]} ${c}`).join(', ')} (${sum.checked} checked)`,
  );
  return out.join('\n') + '\n';
}

/** The report for machines: stable field names, ages in seconds, null where a value is not known. */
export function toJson(report: CheckReport): unknown {
  return {
    vcName: report.vcName,
    hostNamespace: report.hostNamespace,
    checkedAt: new Date(report.at).toISOString(),
    agree: agrees(report),
    totals: totals(report),
    kinds: report.kinds.map((k) => ({
      kind: k.kind,
      source: k.source,
      target: k.target,
      checked: k.notChecked ? null : k.checked,
      missing: k.notChecked ? null : k.missing,
      orphaned: k.notChecked ? null : k.orphaned,
      duplicated: k.notChecked ? null : k.duplicated,
      stale: k.notChecked || k.stale === undefined ? null : k.stale,
      staleChecked: !k.notChecked && k.stale !== undefined,
      oldestAgeSeconds: oldestAge(k, report.at) ?? null,
      notChecked: k.notChecked ?? null,
    })),
    differences: report.kinds.flatMap((k) =>
      k.differences.map((d) => ({
        kind: d.kind,
        category: d.category,
        key: d.key,
        target: d.target ?? null,
        detail: d.detail,
        ageSeconds: ageOf(d, report.at) ?? null,
      })),
    ),
  };
}
