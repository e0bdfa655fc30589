import { PUBLIC_TLD_LIST } from './public-tlds.generated.ts';

/**
 * The top-level domains delegated in the public DNS root, in ASCII form (hack/gen-public-tlds.ts). A
 * name whose last label is none of them resolves nowhere on the public Internet: only through a
 * private resolver or a search path, which in a cluster is where the cluster's own Services are.
 */
const PUBLIC_TLDS: ReadonlySet<string> = new Set(PUBLIC_TLD_LIST);

/** Whether a DNS label (any case) is a public top-level domain. */
export function isPublicTld(label: string): boolean {
  return PUBLIC_TLDS.has(label.toLowerCase());
}
