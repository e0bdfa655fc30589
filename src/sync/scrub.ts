import { isJsonObject, setOwn } from '../util/json.ts';
/** Characters a Kubernetes object name is made of; anything else ends a name in a message. */
const NAME_TOKEN = /[a-z0-9][a-z0-9.-]*/g;
/** The `-<10 hex>` a cut name ends in. */
const HASH_SUFFIX = /-[0-9a-f]{10}$/;
/** A name cut to 63 characters by safe concatenation: 52 characters, `-`, 10 hex digits. */
const TRUNCATED = /^[a-z0-9][a-z0-9.-]{51}-[0-9a-f]{10}$/;

export interface ScrubOptions {
  /**
   * Keep names of the translated shape that are not this cluster's (see looksTranslated): for the
   * syncer's own refusals, which name what the tenant wrote, never another cluster's objects.
   */
  keepForeignNames?: boolean;
}

/**
 * Removes host-side names from a message meant for the tenant: translated object names
 * (`<name>-x-<ns>-x-<vc>`, possibly cut with a hash) become the virtual name, cluster-scoped copies
 * and cut names that show no virtual name become `<host object>`, and the host namespace is hidden.
 *
 * The message is split into name-like tokens in one linear pass (tenants choose much of the text a
 * host event carries, e.g. image names, so no pattern here may backtrack), and a token ends at any
 * character a name cannot hold, such as the `_` of the kubelet's `<pod>_<namespace>(<uid>)`.
 */
export function scrubHostNames(
  message: string,
  where: { vcName: string; hostNamespace: string },
  opts: ScrubOptions = {},
): string {
  const suffix = `-x-${where.vcName}`;
  return message.replace(NAME_TOKEN, (whole) => {
    // A dotted name may follow a host name (`<host pod>.<event id>`): each host name at the start of
    // what is left is scrubbed, and the rest read again as a name of its own. A loop, not recursion:
    // the tenant chooses much of the text (an image name), so a token may hold thousands of them.
    let out = '';
    let token = whole;
    for (;;) {
      if (token === where.hostNamespace) return `${out}<host namespace>`;
      const end = hostNameEnd(token, suffix);
      if (end === 0) break;
      out += virtualNameOf(token.slice(0, end), suffix);
      // What follows starts with a dot; dots and dashes up to the next name are kept as they are.
      const next = /[a-z0-9]/.exec(token.slice(end));
      if (!next) return out + token.slice(end);
      out += token.slice(end, end + next.index);
      token = token.slice(end + next.index);
    }
    const cut = truncatedName(token, opts);
    if (cut !== undefined) return out + cut;
    // A dotted name (`<service>.<namespace>.svc...`) may hold the host namespace or a cut name as a part.
    return (
      out +
      token
        .split('.')
        .map((part) =>
          part === where.hostNamespace
            ? '<host namespace>'
            : (truncatedName(part, opts) ??
              (!opts.keepForeignNames && looksTranslated(part) ? '<host object>' : part)),
        )
        .join('.')
    );
  });
}

/**
 * A name of the translated shape `<name>-x-<namespace>-x-<cluster>` that is not this virtual
 * cluster's: another virtual cluster's object sharing the host namespace (a volume "already used by"
 * its pod), never to be named to this tenant. A tenant's own name of that shape is hidden too.
 */
function looksTranslated(part: string): boolean {
  const first = part.indexOf('-x-');
  return first > 0 && part.indexOf('-x-', first + 3) > first + 3;
}

/** Where the first host name in a token ends (just after `-x-<vc>` at a dot or the end), or 0. */
function hostNameEnd(token: string, suffix: string): number {
  let from = 0;
  for (;;) {
    const at = token.indexOf(suffix, from);
    if (at < 0) return 0;
    const end = at + suffix.length;
    if ((end === token.length || token[end] === '.') && token.lastIndexOf('-x-', at - 1) > 0) return end;
    from = at + 1;
  }
}

/** `<name>-x-<ns>-x-<vc>` → `<name>`; a cluster-scoped copy (`vcluster-...`) → `<host object>`. */
function virtualNameOf(hostName: string, suffix: string): string {
  if (hostName.startsWith('vcluster-')) return '<host object>';
  const withoutVc = hostName.slice(0, hostName.length - suffix.length);
  return withoutVc.slice(0, withoutVc.lastIndexOf('-x-'));
}

/**
 * A name cut to 63 characters (a 10-hex hash at its end): `<host object>`, since the hash hides
 * whose it is, and its head may be another virtual cluster's object name. Where only names the
 * tenant wrote can appear (keepForeignNames: the syncer's own refusals), one that kept a `-x-`
 * shows its virtual name. Anything else is not a cut name (undefined).
 */
function truncatedName(token: string, opts: ScrubOptions): string | undefined {
  if (!HASH_SUFFIX.test(token)) return undefined;
  const prefix = token.slice(0, token.length - 11);
  if (prefix.includes('-x-')) return opts.keepForeignNames ? prefix.split('-x-')[0]! : '<host object>';
  return TRUNCATED.test(token) ? '<host object>' : undefined;
}

/**
 * A copy of a host status for the tenant, with scrubHostNames applied to every `message` in it (the
 * status's own, its conditions', an error's): the host's controllers write host names there (a claim's
 * provisioning failure names the host claim, a snapshot's error its host content). With `allStrings`,
 * to every string: a custom resource's status has no schema the syncer knows (`lastError`, `error`).
 */
export function withMessagesScrubbed<T>(
  status: T,
  where: { vcName: string; hostNamespace: string },
  opts: { allStrings?: boolean } = {},
): T {
  const walk = (value: unknown, key: string): unknown => {
    if (typeof value === 'string')
      return opts.allStrings || key === 'message' ? scrubHostNames(value, where) : value;
    if (Array.isArray(value)) return value.map((item) => walk(item, ''));
    if (!isJsonObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, walk(v, k));
    return out;
  };
  return walk(status, '') as T;
}
